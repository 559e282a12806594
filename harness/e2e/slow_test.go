package e2e_test

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/reports"
)

// verdicts returns the named expectation of every repeat of the only
// scenario in the report at out.
func verdicts(out, name string) []reports.Expectation {
	r := readReport(out)
	Expect(r.Scenarios).To(HaveLen(1))
	sc := r.Scenarios[0]
	Expect(sc.Repeats).NotTo(BeNil())
	var vs []reports.Expectation
	for _, each := range sc.Repeats.Each {
		Expect(each.Error).To(BeEmpty(), "seed %d", each.Seed)
		found := false
		for _, e := range each.Expectations {
			if e.Name == name {
				vs = append(vs, e)
				found = true
			}
		}
		Expect(found).To(BeTrue(), "seed %d judged %s", each.Seed, name)
	}
	return vs
}

// The statistical verdicts, repeated: ten runs each, so that a rate below
// 10/10 shows up as a failure rather than as luck. They carry the label
// "slow" and run alone, after every other package (see TestE2E).
var _ = Describe("backoff verdicts over ten runs", Label("slow"), func() {
	It("calls boto3's legacy retries (4 waits per call) jittered in 10 of 10 runs, with evidence runs", func() {
		requireClients()
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--parallel", "2", "--repeat", "10", "--out", out,
			"scenarios/clients/boto3-legacy-jitter.yaml")
		Eventually(s, 10*time.Minute).Should(gexec.Exit(0))
		vs := verdicts(out, "backoff.jitter")
		Expect(vs).To(HaveLen(10))
		pooled := 0
		for _, v := range vs {
			Expect(v.Inconclusive).To(BeFalse(), v.Message)
			Expect(v.Passed).To(BeTrue(), v.Message)
			if v.Evidence != nil {
				pooled++
			}
		}
		AddReportEntry("boto3 legacy runs that needed evidence runs", pooled)
		Expect(leftovers(mine)).To(BeEmpty())
	})

	It("calls exponential backoff without jitter deterministic in 10 of 10 runs beside a CPU hog", func() {
		// Two busy loops: both cores taken, as on a loaded CI runner.
		for range 2 {
			hog := exec.Command("sh", "-c", "while :; do :; done")
			hog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			Expect(hog.Start()).To(Succeed())
			DeferCleanup(func() {
				_ = syscall.Kill(-hog.Process.Pid, syscall.SIGKILL)
				_ = hog.Wait()
			})
		}
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--repeat", "10", "--out", out,
			"scenarios/negative/no-jitter-exponential.yaml")
		Eventually(s, 10*time.Minute).Should(gexec.Exit(1))
		vs := verdicts(out, "backoff.jitter")
		Expect(vs).To(HaveLen(10))
		for _, v := range vs {
			Expect(v.Inconclusive).To(BeFalse(), v.Message)
			Expect(v.Passed).To(BeFalse(), v.Message)
			Expect(v.Got).To(Equal("false"), v.Message)
		}
		Expect(leftovers(mine)).To(BeEmpty())
	})
})

var _ = Describe("a backoff of no shape the judge fits", Label("slow"), func() {
	It("calls s3cmd's retries (3 s times the retry number, then a second of its own) deterministic, not jittered, from evidence runs", func() {
		requireClients()
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--out", out, "scenarios/negative/slow")
		Eventually(s, 12*time.Minute).Should(gexec.Exit(1))
		sc := scenario(readReport(out), "neg-s3cmd-linear-backoff")
		Expect(sc.Error).To(BeEmpty())
		var failed []string
		for _, e := range sc.Expectations {
			if e.Passed {
				continue
			}
			failed = append(failed, e.Name)
			Expect(e.Inconclusive).To(BeFalse(), e.Message)
			Expect(e.Got).To(Equal("false"), e.Message)
			Expect(e.Evidence).NotTo(BeNil(), "judged with evidence runs: %s", e.Message)
			Expect(e.Message).To(ContainSubstring("repeat from chain to chain"))
		}
		Expect(failed).To(Equal([]string{"backoff.jitter"}))
		Expect(leftovers(mine)).To(BeEmpty())
	})
})
