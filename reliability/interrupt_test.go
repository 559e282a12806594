package reliability_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/reports"
)

// interruptScenario's workload outlives the spec's patience; its
// expectations would all fail if it were judged as it stands when
// interrupted (outcome: the run was killed; requests: none with 503).
const interruptScenario = `name: interrupt-probe
seed: 1
timeout: 1m
targets:
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["sh", "-c", "curl -s $GAMEDAY_FEATURE_API_URL/v1/schema; echo workload-up; exec sleep 47.5"]
expect:
  outcome: success
  pages: 0
  requests:
    - {target: feature-api, status: 503, count: 1}
`

// interruptStart starts gameday with args, with dir as its TMPDIR and
// dir/state as its state home.
func interruptStart(dir string, args ...string) *gexec.Session {
	cmd := exec.Command(gamedayBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+dir, "GAMEDAY_STATE_HOME="+filepath.Join(dir, "state"), "CI=true")
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
	return s
}

var _ = Describe("interrupted runs", func() {
	DescribeTable("gameday run interrupted mid-workload is an error (exit 3), with no expectation failed",
		func(sig syscall.Signal) {
			dir := GinkgoT().TempDir()
			file := filepath.Join(dir, "scenario.yaml")
			Expect(os.WriteFile(file, []byte(interruptScenario), 0o644)).To(Succeed())
			out := filepath.Join(dir, "out")
			s := interruptStart(dir, "run", "--backend", "process", "--out", out, file)
			Eventually(func() string {
				b, _ := os.ReadFile(filepath.Join(out, "interrupt-probe", "workload-run1-attempt0.log"))
				return string(b)
			}, time.Minute).Should(ContainSubstring("workload-up"))
			s.Signal(sig)
			Eventually(s, time.Minute).Should(gexec.Exit(3))

			r, err := reports.ReadFile(filepath.Join(out, reports.JSONFile))
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Scenarios).To(HaveLen(1))
			sc := r.Scenarios[0]
			Expect(sc.Error).To(ContainSubstring("interrupted"))
			Expect(sc.Verdict()).To(Equal("ERROR"))
			for _, e := range sc.Expectations {
				Expect(e.Passed).To(BeTrue(), "expectation %s counted as failed: %s", e.Name, e.Message)
			}
			Expect(r.Summary.ExpectationsFailed).To(BeZero())
			Expect(r.Summary.Errored).To(Equal(1))
			junit, err := os.ReadFile(filepath.Join(out, reports.JUnitFile))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(junit)).NotTo(ContainSubstring("<failure"), "no expectation is a JUnit failure")
		},
		Entry("SIGINT (Ctrl-C)", syscall.SIGINT),
		Entry("SIGTERM", syscall.SIGTERM),
	)

	It("gameday up ended by Ctrl-C once ready exits 0", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "scenario.yaml")
		Expect(os.WriteFile(file, []byte(interruptScenario), 0o644)).To(Succeed())
		s := interruptStart(dir, "up", "--backend", "process", "--out", filepath.Join(dir, "out"), file)
		Eventually(s.Out, time.Minute).Should(gbytes.Say("running until Ctrl-C"))
		s.Signal(syscall.SIGINT)
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say("stopped"))
	})

	It("gameday up ended by Ctrl-C while it is still starting exits 0", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "scenario.yaml")
		Expect(os.WriteFile(file, []byte(interruptScenario), 0o644)).To(Succeed())
		s := interruptStart(dir, "up", "--backend", "process", "--out", filepath.Join(dir, "out"), file)
		// The stack is booting once its run record exists.
		Eventually(func() []string {
			m, _ := filepath.Glob(filepath.Join(dir, "state", "runs", "*.json"))
			return m
		}, time.Minute, time.Millisecond).ShouldNot(BeEmpty())
		s.Signal(syscall.SIGINT)
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		Expect(s.Out.Contents()).NotTo(ContainSubstring("running until Ctrl-C"), "interrupted before it was ready")
		m, _ := filepath.Glob(filepath.Join(dir, "state", "runs", "*.json"))
		Expect(m).To(BeEmpty(), "everything it started is torn down")
	})
})
