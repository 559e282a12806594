package harness_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/moby/moby/client"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/testenv"
)

const upScenario = `name: up-spec
seed: 11
targets:
  storage:
    kind: minio
    buckets: [models]
    objects:
      - {bucket: models, key: keep/model.bin, content: "weights"}
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: "/v1/features/{id}", status: 200, json: {ok: true}}
workload:
  exec: ["true"]
faults:
  - name: storage-restart
    target: storage
    action: {crash: {restart_after: 700ms}}
    after: 700ms
  - name: first-feature-fails
    target: feature-api
    match: {path: "/v1/*"}
    action: {status: 503}
    times: 1
`

var targetLine = regexp.MustCompile(`(?m)^\s+(\S+)\s+(minio|stub)\s+proxy (http://\S+)\s+\(target (http://\S+), (?:pid (\d+)|container (\w+))\)`)

type upTarget struct {
	name, kind, proxy, target string
	pid                       int
	container                 string
}

type upSession struct {
	session *gexec.Session
	targets map[string]upTarget
	env     map[string]string
	envFile string
	runID   string
}

// startUp runs `gameday up` on a scenario and waits until it is running.
func startUp(backend string, args ...string) *upSession {
	dir := GinkgoT().TempDir()
	file := filepath.Join(dir, "up.yaml")
	Expect(os.WriteFile(file, []byte(upScenario), 0o600)).To(Succeed())
	cmd := exec.Command(os.Getenv("GAMEDAY_BIN"), append([]string{"up", file, "--backend", backend, "--out", filepath.Join(dir, "out")}, args...)...)
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
	Eventually(s, 30*time.Second).Should(gbytes.Say(`running (for|until)`))
	out := string(s.Out.Contents())

	u := &upSession{session: s, targets: map[string]upTarget{}, env: map[string]string{}}
	for _, m := range targetLine.FindAllStringSubmatch(out, -1) {
		t := upTarget{name: m[1], kind: m[2], proxy: m[3], target: m[4], container: m[6]}
		t.pid, _ = strconv.Atoi(m[5])
		u.targets[t.name] = t
	}
	Expect(u.targets).To(HaveLen(2), out)
	u.runID = regexp.MustCompile(`run (\S+) \(ready`).FindStringSubmatch(out)[1]
	u.envFile = regexp.MustCompile(`env file: (\S+)`).FindStringSubmatch(out)[1]
	st, err := os.Stat(u.envFile)
	Expect(err).NotTo(HaveOccurred())
	Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	data, err := os.ReadFile(u.envFile)
	Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		u.env[k] = strings.Trim(v, "'")
	}
	Expect(out).NotTo(ContainSubstring(u.env["AWS_SECRET_ACCESS_KEY"]), "no secret on the terminal")
	return u
}

// noneLeft asserts that nothing u started still runs.
func noneLeft(ctx context.Context, backend string, u *upSession) {
	for _, t := range u.targets {
		switch backend {
		case lifecycle.BackendProcess:
			Eventually(func() bool { return testenv.ProcessGone(t.pid) }).Should(BeTrue(), t.name)
		case lifecycle.BackendDocker:
			cli, err := lifecycle.DockerClient(ctx)
			Expect(err).NotTo(HaveOccurred())
			list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true,
				Filters: client.Filters{}.Add("label", lifecycle.LabelRun+"="+u.runID)})
			cli.Close()
			Expect(err).NotTo(HaveOccurred())
			Expect(list.Items).To(BeEmpty())
		}
	}
}

var _ = DescribeTableSubtree("gameday up", func(backend string) {
	BeforeEach(func() {
		if backend == lifecycle.BackendDocker {
			requireDocker()
		}
	})

	It("serves the stack, fires the timer crash, restarts MinIO on the same address with its data, and tears down", func(ctx SpecContext) {
		u := startUp(backend, "--for", "4s")
		storage := u.targets["storage"]
		Expect(u.env).To(HaveKeyWithValue("AWS_ENDPOINT_URL", storage.proxy))
		Expect(u.env).To(HaveKeyWithValue("GAMEDAY_FEATURE_API_URL", u.targets["feature-api"].proxy))
		Expect(u.env).To(HaveKeyWithValue("GAMEDAY_SCENARIO", "up-spec"))
		Expect(u.env).To(HaveKey("GAMEDAY_ALERT_URL"))

		// The request fault is armed on the stub's proxy.
		code := func() int {
			resp, err := testenv.HTTPGet(ctx, u.targets["feature-api"].proxy+"/v1/features/7")
			if err != nil {
				return -1
			}
			return resp
		}
		Expect(code()).To(Equal(503))
		Expect(code()).To(Equal(200))

		Eventually(u.session, 10*time.Second).Should(gbytes.Say(`timer storage-restart: crash storage`))
		Eventually(u.session, 10*time.Second).Should(gbytes.Say(`timer storage-restart: restart storage`))
		// Through the unchanged proxy: MinIO is back at its old address.
		cl, err := lifecycle.MinIOClient(strings.TrimPrefix(storage.proxy, "http://"),
			lifecycle.Credentials{AccessKey: u.env["AWS_ACCESS_KEY_ID"], SecretKey: u.env["AWS_SECRET_ACCESS_KEY"]})
		Expect(err).NotTo(HaveOccurred())
		Expect(testenv.ReadObject(ctx, cl, "models", "keep/model.bin")).To(Equal([]byte("weights")))

		Eventually(u.session, 15*time.Second).Should(gexec.Exit(0))
		Expect(u.session.Out).To(gbytes.Say("stopped"))
		noneLeft(ctx, backend, u)
		_, err = os.Stat(u.envFile)
		Expect(os.IsNotExist(err)).To(BeTrue(), "the env file goes with the run")
	})

	It("tears everything down on SIGTERM", func(ctx SpecContext) {
		u := startUp(backend, "--for", "5m")
		u.session.Terminate()
		Eventually(u.session, 30*time.Second).Should(gexec.Exit(0))
		Expect(u.session.Out).To(gbytes.Say("interrupted: ending the game day, tearing down"))
		noneLeft(ctx, backend, u)
		recs, _, err := lifecycle.LoadRunRecords()
		Expect(err).NotTo(HaveOccurred())
		for _, r := range recs {
			Expect(r.RunID).NotTo(Equal(u.runID))
		}
	})

	It("leaves nothing that `gameday clean` cannot remove after kill -9", func(ctx SpecContext) {
		u := startUp(backend, "--for", "5m")
		u.session.Kill() // SIGKILL: no teardown runs
		Eventually(u.session, 10*time.Second).Should(gexec.Exit())

		clean := exec.Command(os.Getenv("GAMEDAY_BIN"), "clean")
		s, err := gexec.Start(clean, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`removed run ` + regexp.QuoteMeta(u.runID)))
		if backend == lifecycle.BackendDocker {
			Expect(string(s.Out.Contents())).To(ContainSubstring("container"))
		}
		noneLeft(ctx, backend, u)
		recs, _, err := lifecycle.LoadRunRecords()
		Expect(err).NotTo(HaveOccurred())
		for _, r := range recs {
			Expect(r.RunID).NotTo(Equal(u.runID))
		}

		again := exec.Command(os.Getenv("GAMEDAY_BIN"), "clean")
		s, err = gexec.Start(again, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(0))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring(u.runID))
	})
},
	Entry("process", lifecycle.BackendProcess),
	Entry("docker", Label("docker"), lifecycle.BackendDocker),
)

var _ = Describe("gameday up errors", func() {
	It("exits 3 with one line and leaves nothing when MinIO cannot start", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "up.yaml")
		Expect(os.WriteFile(file, []byte(upScenario), 0o600)).To(Succeed())
		cmd := exec.Command(os.Getenv("GAMEDAY_BIN"), "up", file, "--backend", "process", "--for", "1s", "--out", filepath.Join(GinkgoT().TempDir(), "out"))
		cmd.Env = append(os.Environ(), "GAMEDAY_MINIO_BIN="+filepath.Join(dir, "no-minio"))
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(3))
		errText := strings.TrimSpace(string(s.Err.Contents()))
		Expect(strings.Split(errText, "\n")).To(HaveLen(1))
		Expect(errText).To(ContainSubstring("make bin/minio"))
		recs, _, err := lifecycle.LoadRunRecords()
		Expect(err).NotTo(HaveOccurred())
		for _, r := range recs {
			Expect(r.RunID).NotTo(HavePrefix("up-up-spec"), "no record left")
		}
	})

	It("exits 3 with the fix when docker is asked for and its image is missing", func() {
		requireDocker()
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "up.yaml")
		Expect(os.WriteFile(file, []byte(upScenario), 0o600)).To(Succeed())
		cmd := exec.Command(os.Getenv("GAMEDAY_BIN"), "up", file, "--backend", "docker", "--for", "1s", "--out", filepath.Join(GinkgoT().TempDir(), "out"))
		cmd.Env = append(os.Environ(), "GAMEDAY_MINIO_IMAGE=gameday/absent:none")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(3))
		Expect(s.Err).To(gbytes.Say("make images.*--backend process"))
	}, Label("docker"))

	It("exits 2 on a bad scenario", func() {
		file := filepath.Join(GinkgoT().TempDir(), "bad.yaml")
		Expect(os.WriteFile(file, []byte("name: x\ncolour: red\n"), 0o600)).To(Succeed())
		s, err := gexec.Start(exec.Command(os.Getenv("GAMEDAY_BIN"), "up", file), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(2))
	})
})
