package e2e_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/explore"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func readExplore(out string) *explore.Result {
	data, err := os.ReadFile(filepath.Join(out, explore.ResultFile))
	Expect(err).NotTo(HaveOccurred())
	var r explore.Result
	Expect(json.Unmarshal(data, &r)).To(Succeed())
	return &r
}

var _ = Describe("gameday explore", func() {
	It("finds a schedule that breaks outcome/pages under a policy of two attempts, shrinks it to at most 2 faults, and the written file fails the same way in 5 of 5 replays from another folder", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "explore", "--backend", "process", "--property", "outcome,pages",
			"--policy", "policies/examples/two-attempts.yaml", "--trials", "40", "--seed", "1", "--parallel", "2", "--out", out,
			"scenarios/library/storage-503-single-transient.yaml")
		Eventually(s, 5*time.Minute).Should(gexec.Exit(1), string(s.Out.Contents())+string(s.Err.Contents()))
		Expect(leftovers(mine)).To(BeEmpty())
		stdout := string(s.Out.Contents())
		r := readExplore(out)
		Expect(r.Property).To(Equal([]string{"outcome", "pages"}))
		Expect(r.Found).NotTo(BeNil())
		Expect(r.Found.Trial).To(BeNumerically("<=", 40))
		Expect(len(r.Found.Faults)).To(BeNumerically("<=", 2))
		Expect(r.Found.Failed).NotTo(BeEmpty())
		file := filepath.Join(out, "explore-storage-503-single-transient-min.yaml")
		Expect(r.Found.File).To(Equal(file))
		Expect(stdout).To(ContainSubstring("replay:   gameday run --backend process " + file + "\n"))

		text, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(text)).To(HavePrefix("# Written by gameday explore"))
		Expect(string(text)).To(ContainSubstring("# Explored with --policy policies/examples/two-attempts.yaml"))
		sc, err := scenarios.LoadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.IsAbs(sc.Workload.Policy)).To(BeTrue())
		Expect(sc.Expect.ExpectationNames()).To(Equal([]string{"outcome", "pages"}))

		// Replayed as a user would, from a folder of its own: every path in
		// the file is absolute.
		elsewhere := GinkgoT().TempDir()
		for i := range 5 {
			rout := filepath.Join(elsewhere, "replay", string(rune('1'+i)))
			cmd := exec.Command(gamedayBin, "run", "--backend", "process", "--out", rout, file)
			cmd.Dir = elsewhere
			rs, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(rs, time.Minute).Should(gexec.Exit(1), "replay %d", i+1)
			rep := readReport(rout)
			var failedNames []string
			for _, e := range rep.Scenarios[0].Expectations {
				if !e.Passed {
					failedNames = append(failedNames, e.Name)
				}
			}
			Expect(failedNames).To(Equal(r.Found.Failed), "replay %d fails the same way", i+1)
		}
	})

	It("exits 0 when no schedule in the budget breaks the property", func() {
		// One scheduled run never pages (the sustained rule needs three
		// failures in a row), whatever the 503s do.
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, _ := gameday(nil, "explore", "--backend", "process", "--property", "pages", "--actions", "503",
			"--trials", "3", "--seed", "2", "--out", out, "scenarios/library/storage-503-single-transient.yaml")
		Eventually(s, 2*time.Minute).Should(gexec.Exit(0), string(s.Out.Contents())+string(s.Err.Contents()))
		Expect(string(s.Out.Contents())).To(ContainSubstring("no failing schedule in 3 trials (seed 2"))
		r := readExplore(out)
		Expect(r.Found).To(BeNil())
		Expect(r.Trials).To(Equal(3))
		cal, err := reports.ReadFile(filepath.Join(out, "runs", "001-calibration", reports.JSONFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(cal.Scenarios[0].Metrics.FaultsInjected).To(BeZero(), "the calibration run has no faults")
	})

	DescribeTable("rejects bad input in one line, exit 2",
		func(msg string, args ...string) {
			s, _ := gameday(nil, append([]string{"explore", "--backend", "process", "--out", filepath.Join(GinkgoT().TempDir(), "out")}, args...)...)
			Eventually(s, time.Minute).Should(gexec.Exit(2))
			errOut := strings.TrimSpace(string(s.Err.Contents()))
			Expect(errOut).To(ContainSubstring(msg))
			Expect(strings.Count(errOut, "\n")).To(BeZero(), errOut)
		},
		Entry("an unknown action", `unknown action "fire"`, "--actions", "fire", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("a property the scenario does not have", "--property backoff: ", "--property", "backoff", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("a property that fails without faults", "--property requests[0]: storage-503-single-transient does not hold without faults", "--property", "requests", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("a missing policy", "nope.yaml", "--policy", "nope.yaml", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("two scenarios", "accepts 1 arg", "scenarios/library/storage-503-single-transient.yaml", "scenarios/library/three-failures-page.yaml"),
	)
})
