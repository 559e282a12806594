package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/receiver"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/testenv"
)

// stack is one MinIO behind one fault proxy, the alert receiver and a state
// dir shared by the scheduled runs of a spec.
type stack struct {
	minio    *testenv.MinIO
	proxy    *injectors.Proxy
	rc       *receiver.Receiver
	stateDir string
	policy   string
	start    time.Time // logical time of run 1
}

func newStack(ctx context.Context) *stack {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	m, err := testenv.StartMinIO(ctx, dir)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(m.Stop)

	client, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	Expect(err).NotTo(HaveOccurred())
	for _, b := range []string{"features", "models"} {
		Expect(client.MakeBucket(ctx, b, minio.MakeBucketOptions{})).To(Succeed())
	}
	Expect(client.EnableVersioning(ctx, "models")).To(Succeed())
	for i := 0; i < 2; i++ {
		data := bytes.Repeat([]byte{byte(i + 1)}, 64<<10)
		_, err := client.PutObject(ctx, "features", fmt.Sprintf("day/part-%d.bin", i), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
	}

	up, _ := url.Parse(m.URL())
	journal, err := os.Create(filepath.Join(dir, "journal.jsonl"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(journal.Close)
	p, err := injectors.New(injectors.Config{Upstream: up, Kind: injectors.KindS3, Target: "storage", Journal: journal, Seed: 1})
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Start(context.Background())).To(Succeed())
	DeferCleanup(p.Close)

	rc, err := receiver.Start(ctx, receiver.Options{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rc.Close)

	root, err := testenv.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	return &stack{minio: m, proxy: p, rc: rc, stateDir: filepath.Join(dir, "state"),
		policy: filepath.Join(root, "policies", "ci.yaml"), start: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)}
}

// run starts scheduled run n (1..) of the reference pipeline and returns
// its exit code. extra overrides environment variables.
func (s *stack) run(ctx context.Context, n int, extra map[string]string) int {
	GinkgoHelper()
	Expect(os.MkdirAll(s.stateDir, 0o700)).To(Succeed())
	env := map[string]string{
		"PATH":                      os.Getenv("PATH"),
		"HOME":                      os.Getenv("HOME"),
		"GAMEDAY_SCENARIO":          "alerting-e2e",
		"GAMEDAY_SEED":              "1",
		"GAMEDAY_RUN_ID":            fmt.Sprintf("nightly-%d", n),
		"GAMEDAY_ATTEMPT":           "0",
		"GAMEDAY_SCHEDULED_AT":      s.start.Add(time.Duration(n-1) * 24 * time.Hour).Format(time.RFC3339),
		"GAMEDAY_RUN_STARTED_AT":    time.Now().UTC().Format(time.RFC3339Nano),
		"GAMEDAY_STATE_DIR":         s.stateDir,
		"GAMEDAY_POLICY":            s.policy,
		"AWS_ENDPOINT_URL":          s.proxy.URL(),
		"GAMEDAY_S3_ENDPOINT":       s.proxy.URL(),
		"AWS_ACCESS_KEY_ID":         s.minio.AccessKey,
		"AWS_SECRET_ACCESS_KEY":     s.minio.SecretKey,
		"AWS_REGION":                "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
		"NO_PROXY":                  "127.0.0.1,localhost",
		"GAMEDAY_ALERT_URL":         s.rc.AlertmanagerURL(),
		"GAMEDAY_PAGERDUTY_URL":     s.rc.PagerDutyURL(),
	}
	for k, v := range extra {
		env[k] = v
	}
	cmd := exec.CommandContext(ctx, gamedayBin, "pipeline")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	err := cmd.Run()
	Expect(logs.String()).NotTo(ContainSubstring(s.minio.SecretKey))
	AddReportEntry(fmt.Sprintf("run %d log", n), logs.String())
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	Expect(ok).To(BeTrue(), "run %d: %v\n%s", n, err, logs.String())
	return ee.ExitCode()
}

func (s *stack) arm(rules ...injectors.Rule) {
	GinkgoHelper()
	Expect(s.proxy.Arm(rules)).To(Succeed())
}

func featureFault(name string, status int, times int) injectors.Rule {
	return injectors.Rule{Name: name, Match: injectors.Match{Methods: []string{"GET"}, Path: "/features/*"},
		Action: &injectors.Status{Code: status}, Schedule: injectors.Schedule{Times: times}}
}

func firing(ns []receiver.Notification) []receiver.Notification {
	var out []receiver.Notification
	for _, n := range ns {
		if n.Firing() {
			out = append(out, n)
		}
	}
	return out
}

var _ = Describe("alerts from the reference pipeline", Label("e2e"), func() {
	var s *stack
	BeforeEach(func(ctx SpecContext) {
		s = newStack(ctx)
	}, NodeTimeout(60*time.Second))

	It("stays quiet for one absorbed transient 503", func(ctx SpecContext) {
		s.arm(featureFault("one-503", 503, 1))
		Expect(s.run(ctx, 1, nil)).To(Equal(0))
		Expect(s.proxy.Counters()[0].Injected).To(Equal(1), "the fault must have fired")
		Expect(s.rc.Notifications()).To(BeEmpty())
	}, NodeTimeout(60*time.Second))

	It("sends one info for a failed run, then a resolve after the next success", func(ctx SpecContext) {
		s.arm(featureFault("denied", 403, 0))
		Expect(s.run(ctx, 1, nil)).To(Equal(1))
		ns := s.rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(ns).To(HaveLen(1))
		Expect(ns[0].Source).To(Equal(receiver.SourceAlertmanager))
		Expect(ns[0].Status).To(Equal("firing"))
		Expect(ns[0].Severity).To(Equal("info"))
		Expect(ns[0].Labels).To(HaveKeyWithValue("error_class", "permanent"))
		Expect(ns[0].Labels).To(HaveKeyWithValue("run_id", "nightly-1"))

		s.proxy.Disarm()
		Expect(s.run(ctx, 2, nil)).To(Equal(0))
		ns = s.rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(ns).To(HaveLen(2))
		Expect(ns[1].Status).To(Equal("resolved"))
		Expect(ns[1].DedupKey).To(Equal(ns[0].DedupKey))
		Expect(receiver.Pages(ns)).To(BeZero())
	}, NodeTimeout(90*time.Second))

	It("pages exactly once, a PagerDuty critical trigger, for three failed scheduled runs", func(ctx SpecContext) {
		s.arm(featureFault("storage-down", 503, 0))
		for n := 1; n <= 3; n++ {
			Expect(s.run(ctx, n, nil)).To(Equal(1), "run %d", n)
		}
		ns := s.rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(receiver.Pages(ns)).To(Equal(1))
		Expect(receiver.CountBySeverity(ns)).To(Equal(map[string]int{"info": 1, "page": 1}))
		var page receiver.Notification
		for _, n := range firing(ns) {
			if receiver.IsPage(n) {
				page = n
			}
		}
		Expect(page.Source).To(Equal(receiver.SourcePagerDuty))
		Expect(page.Status).To(Equal("trigger"))
		Expect(page.Severity).To(Equal("critical"))
		Expect(page.Labels).To(HaveKeyWithValue("run_id", "nightly-3"))
		Expect(page.Labels["safe_to_retry"]).To(HavePrefix("yes"))
		Expect(page.Labels["last_log_lines"]).NotTo(BeEmpty())
		Expect(strings.Contains(page.Labels["last_log_lines"], s.minio.SecretKey)).To(BeFalse())
	}, NodeTimeout(120*time.Second))

	It("keeps the state in an unversioned S3 bucket with `state: s3://...` and still pages once", func(ctx SpecContext) {
		ci, err := os.ReadFile(s.policy)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(ci)).To(ContainSubstring("state: file"))
		s.policy = filepath.Join(GinkgoT().TempDir(), "ci-s3-state.yaml")
		Expect(os.WriteFile(s.policy, []byte(strings.Replace(string(ci), "state: file", "state: s3://alert-state/gameday", 1)), 0o600)).To(Succeed())
		client, err := minio.New(s.minio.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.minio.AccessKey, s.minio.SecretKey, "")})
		Expect(err).NotTo(HaveOccurred())
		Expect(client.MakeBucket(ctx, "alert-state", minio.MakeBucketOptions{})).To(Succeed())

		s.arm(featureFault("storage-down", 503, 0))
		for n := 1; n <= 3; n++ {
			Expect(s.run(ctx, n, nil)).To(Equal(1), "run %d", n)
		}
		ns := s.rc.Notifications()
		Expect(receiver.Pages(ns)).To(Equal(1))
		Expect(receiver.CountBySeverity(ns)).To(Equal(map[string]int{"info": 1, "page": 1}))
		obj, err := client.StatObject(ctx, "alert-state", "gameday/alerts-reference.json", minio.StatObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(obj.Size).To(BeNumerically(">", 0))
		entries, err := os.ReadDir(s.stateDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(BeEmpty(), "nothing in the state dir with an S3 store")
	}, NodeTimeout(120*time.Second))

	It("pages for a run that ends late", func(ctx SpecContext) {
		// The run's first attempt started 5s ago (as after a restart) and
		// the SLA is 1s, so it ends about 4s late: beyond ci.yaml's 3s.
		started := time.Now().Add(-5 * time.Second).UTC().Format(time.RFC3339Nano)
		Expect(s.run(ctx, 1, map[string]string{"GAMEDAY_RUN_STARTED_AT": started, "GAMEDAY_SLA": "1s"})).To(Equal(0))
		ns := s.rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(receiver.Pages(ns)).To(Equal(1))
		Expect(firing(ns)[0].Labels).To(HaveKeyWithValue("alertname", "late-data"))
	}, NodeTimeout(60*time.Second))
})
