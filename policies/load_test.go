package policies_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gameday/gameday/policies"
)

var update = flag.Bool("update", false, "rewrite the golden .err files of testdata/bad")

func files(glob string) []string {
	m, err := filepath.Glob(glob)
	if err != nil {
		panic(err)
	}
	return m
}

var _ = Describe("Load", func() {
	It("loads the shipped default.yaml with the primer's defaults", func() {
		p, err := policies.Load("default.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Retry.MaxAttempts).To(Equal(5))
		Expect(p.Retry.Backoff).To(Equal(policies.Backoff{Initial: time.Second, Max: 20 * time.Second, Multiplier: 2, Jitter: policies.JitterFull}))
		Expect(p.Retry.AttemptTimeout).To(Equal(60 * time.Second))
		Expect(p.Retry.OverallTimeout).To(Equal(6 * time.Minute))
		Expect(p.Retry.RetryAfter).To(Equal(policies.RetryAfter{Honor: true, Cap: 30 * time.Second}))
		Expect(p.Classify.Permanent.Status).To(ContainElements(401, 403, 404))
		Expect(p.Alerts.Rules).To(HaveLen(3))
		Expect(p.Alerts.Rules[0]).To(Equal(policies.AlertRule{Name: "first-failure", When: "failure_count == 1",
			Severity: policies.SeverityInfo, Notify: []string{"team"}, DedupWindow: 30 * time.Minute, AutoResolve: true}))
		Expect(p.Alerts.Rules[1].Severity).To(Equal(policies.SeverityPage))
		Expect(p.Alerts.Rules[1].When).To(Equal("consecutive_failures >= 3"))
		Expect(p.Alerts.Rules[2].When).To(Equal("late > duration('60m')"))
	})

	It("loads ci.yaml: the same rules as default.yaml with short delays", func() {
		def, err := policies.Load("default.yaml")
		Expect(err).NotTo(HaveOccurred())
		ci, err := policies.Load("ci.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(ci.Retry.MaxAttempts).To(Equal(def.Retry.MaxAttempts))
		Expect(ci.Retry.Backoff.Initial).To(Equal(50 * time.Millisecond))
		Expect(ci.Retry.Backoff.Max).To(Equal(500 * time.Millisecond))
		Expect(ci.Retry.OverallTimeout).To(BeNumerically("<=", 30*time.Second))
		Expect(ci.Classify).To(Equal(def.Classify))
		Expect(ci.Alerts.Receivers).To(Equal(def.Alerts.Receivers))
		for i := range def.Alerts.Rules {
			d, c := def.Alerts.Rules[i], ci.Alerts.Rules[i]
			Expect(c.Name).To(Equal(d.Name))
			Expect(c.Severity).To(Equal(d.Severity))
			Expect(c.Notify).To(Equal(d.Notify))
		}
	})

	It("applies the defaults to what a file leaves out", func() {
		p, err := policies.Load("testdata/good/minimal.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Retry.Backoff).To(Equal(policies.Backoff{Initial: time.Second, Max: 20 * time.Second, Multiplier: 2, Jitter: policies.JitterFull}))
		Expect(p.Retry.AttemptTimeout).To(Equal(60 * time.Second))
		Expect(p.Retry.OverallTimeout).To(Equal(6 * time.Minute))
		Expect(p.Retry.RetryAfter).To(Equal(policies.RetryAfter{Honor: true, Cap: 30 * time.Second}))
		def := policies.DefaultClassify()
		Expect(p.Classify.Transient).To(Equal(def.Transient))
		Expect(p.Classify.Throttled).To(Equal(def.Throttled))
		Expect(p.Classify.Permanent).To(Equal(def.Permanent))
		Expect(*p.Classify.Unknown.Retry).To(BeTrue())
		Expect(p.Classify.Unknown.MaxAttempts).To(Equal(3))
		Expect(p.Breaker).To(BeNil())
		Expect(p.Idempotency.CommitMarker).To(Equal("meta.json"))
		Expect(p.Alerts.State).To(Equal("file"))
		Expect(p.Alerts.Rules).To(BeEmpty())
	})

	It("keeps what a file sets and defaults only the classes it leaves out", func() {
		p, err := policies.Load("testdata/good/decorrelated.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Retry.Backoff.Jitter).To(Equal(policies.JitterDecorrelated))
		Expect(p.Retry.RetryAfter.Honor).To(BeFalse())
		Expect(p.Retry.RetryAfter.Cap).To(Equal(30 * time.Second))
		Expect(p.Classify.Permanent.Status).To(Equal([]int{400, 401, 403, 404, 409}))
		Expect(p.Classify.Permanent.S3Codes).To(Equal([]string{"AccessDenied"}))
		Expect(p.Classify.Transient).To(Equal(policies.DefaultClassify().Transient))
		Expect(*p.Classify.Unknown.Retry).To(BeFalse())
		Expect(p.Idempotency.CommitMarker).To(Equal("_SUCCESS"))
		Expect(p.Alerts.State).To(Equal("s3://alert-state/pipelines"))
	})

	It("clamps the default unknown bound to retry.max_attempts", func() {
		p, err := policies.Parse("p.yaml", []byte("retry: {max_attempts: 2}\n"), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Classify.Unknown.MaxAttempts).To(Equal(2))
	})

	It("expands ${VAR} in the alerts section from the environment", func() {
		env := map[string]string{"GAMEDAY_ALERT_URL": "http://127.0.0.1:1/am", "GAMEDAY_PAGERDUTY_URL": "http://127.0.0.1:1/pd"}
		data, err := os.ReadFile("default.yaml")
		Expect(err).NotTo(HaveOccurred())
		p, err := policies.Parse("default.yaml", data, func(k string) string { return env[k] })
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Alerts.Receivers["team"].Alertmanager.URL).To(Equal("http://127.0.0.1:1/am"))
		Expect(p.Alerts.Receivers["oncall"].PagerDuty.URL).To(Equal("http://127.0.0.1:1/pd"))
		Expect(p.Alerts.Receivers["oncall"].PagerDuty.RoutingKey).To(Equal("gameday"))
	})

	It("accepts a leading byte order mark", func() {
		p, err := policies.Parse("bom.yaml", []byte("\ufeffretry:\n  max_attempts: 3\n"), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Retry.MaxAttempts).To(Equal(3))
	})

	DescribeTable("reads regular files only, after following links",
		func(path func() string, want string) {
			p := path()
			_, err := policies.Load(p)
			Expect(err).To(MatchError(p + ": " + want))
		},
		Entry("a device", func() string { return "/dev/zero" }, "is a character device, not a regular file"),
		Entry("a link to a device", func() string {
			p := filepath.Join(GinkgoT().TempDir(), "p.yaml")
			Expect(os.Symlink("/dev/zero", p)).To(Succeed())
			return p
		}, "is a character device, not a regular file"),
		Entry("a FIFO", func() string {
			p := filepath.Join(GinkgoT().TempDir(), "p.yaml")
			Expect(syscall.Mkfifo(p, 0o600)).To(Succeed())
			return p
		}, "is a FIFO, not a regular file"),
		Entry("a directory", func() string { return GinkgoT().TempDir() }, "is a directory, not a regular file"),
		Entry("a file over the cap", func() string {
			p := filepath.Join(GinkgoT().TempDir(), "p.yaml")
			Expect(os.WriteFile(p, bytes.Repeat([]byte("#\n"), policies.MaxFileSize), 0o600)).To(Succeed())
			return p
		}, fmt.Sprintf("file too large (%d bytes; at most %d)", 2*policies.MaxFileSize, policies.MaxFileSize)),
	)

	It("names a missing file", func() {
		_, err := policies.Load("testdata/nope.yaml")
		Expect(err).To(MatchError("testdata/nope.yaml: no such file or directory"))
	})

	Describe("bad files", func() {
		bad := files("testdata/bad/*.yaml")
		It("has at least 8 of them", func() { Expect(len(bad)).To(BeNumerically(">=", 8)) })
		for _, f := range bad {
			It("rejects "+filepath.Base(f)+" with the exact positioned errors", func() {
				_, err := policies.Load(f)
				Expect(err).To(HaveOccurred())
				golden := strings.TrimSuffix(f, ".yaml") + ".err"
				got := err.Error() + "\n"
				if *update {
					Expect(os.WriteFile(golden, []byte(got), 0o644)).To(Succeed())
				}
				want, rerr := os.ReadFile(golden)
				Expect(rerr).NotTo(HaveOccurred(), "golden file %s (run with -update to create)", golden)
				Expect(got).To(Equal(string(want)))
				for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
					Expect(line).To(HavePrefix(f+":"), "every error names the file")
				}
			})
		}
	})
})

var _ = Describe("JSONSchema", func() {
	It("equals the committed policy.schema.json", func() {
		got, err := policies.JSONSchema()
		Expect(err).NotTo(HaveOccurred())
		if *update {
			Expect(os.WriteFile("policy.schema.json", got, 0o644)).To(Succeed())
		}
		want, err := os.ReadFile("policy.schema.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(string(want)), "regenerate with: go test ./policies -update")
	})

	compile := func() *jsonschema.Schema {
		raw, err := policies.JSONSchema()
		Expect(err).NotTo(HaveOccurred())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		Expect(err).NotTo(HaveOccurred())
		c := jsonschema.NewCompiler()
		Expect(c.AddResource(policies.SchemaID, doc)).To(Succeed())
		s, err := c.Compile(policies.SchemaID)
		Expect(err).NotTo(HaveOccurred())
		return s
	}
	asJSON := func(file string) any {
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		j, err := yaml.YAMLToJSON(data)
		Expect(err).NotTo(HaveOccurred())
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		Expect(err).NotTo(HaveOccurred())
		return v
	}

	It("accepts every shipped and good policy file", func() {
		s := compile()
		for _, f := range append(files("*.yaml"), files("testdata/good/*.yaml")...) {
			Expect(s.Validate(asJSON(f))).To(Succeed(), f)
		}
	})

	DescribeTable("rejects structural mistakes", func(file string) {
		Expect(compile().Validate(asJSON(file))).NotTo(Succeed())
	},
		Entry("misspelt key", "testdata/bad/misspelt-key.yaml"),
		Entry("wrong type", "testdata/bad/wrong-type.yaml"),
		Entry("bad duration", "testdata/bad/bad-duration.yaml"),
		Entry("unknown jitter", "testdata/bad/unknown-jitter.yaml"),
		Entry("unknown severity", "testdata/bad/unknown-severity.yaml"),
		Entry("missing retry", "testdata/bad/missing-retry.yaml"),
		Entry("max_attempts 0", "testdata/bad/max-attempts-zero.yaml"),
	)

	It("is valid JSON with durations as strings", func() {
		raw, err := policies.JSONSchema()
		Expect(err).NotTo(HaveOccurred())
		var m map[string]any
		Expect(json.Unmarshal(raw, &m)).To(Succeed())
		Expect(string(raw)).To(ContainSubstring(`"attempt_timeout": {`))
	})
})
