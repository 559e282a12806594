package e2e_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/reports"
)

var _ = Describe("gameday run with a matrix, --filter and --env", func() {
	const file = "harness/e2e/testdata/matrix.yaml"
	names := func(r *reports.Result) []string {
		var out []string
		for _, s := range r.Scenarios {
			out = append(out, s.Name)
		}
		return out
	}

	It("runs 3 × 2 combinations as six scenarios with their own verdicts, rows and replay commands, and --filter runs a subset", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--parallel", "3", "--env", "CHECK=on", "--out", out, file)
		Eventually(s, time.Minute).Should(gexec.Exit(1))
		r := readReport(out)
		Expect(names(r)).To(Equal([]string{
			"matrix-run[MODE=standard,policy=default]",
			"matrix-run[MODE=standard,policy=ci]",
			"matrix-run[MODE=adaptive,policy=default]",
			"matrix-run[MODE=adaptive,policy=ci]",
			"matrix-run[MODE=legacy,policy=default]",
			"matrix-run[MODE=legacy,policy=ci]",
		}))
		Expect(r.Summary.Passed).To(Equal(4))
		Expect(r.Summary.Failed).To(Equal(2))
		legacy := scenario(r, "matrix-run[MODE=legacy,policy=ci]")
		Expect(legacy.Passed).To(BeFalse())
		Expect(legacy.PolicySHA256).NotTo(Equal(scenario(r, "matrix-run[MODE=legacy,policy=default]").PolicySHA256), "each combination runs its own policy")
		replay := "gameday run --backend process --seed 5 --env CHECK=on --filter 'matrix-run[MODE=legacy,policy=ci]' " + file
		Expect(legacy.ReplayCommand()).To(Equal(replay))
		Expect(string(s.Out.Contents())).To(ContainSubstring(replay))
		Expect(filepath.Join(out, "matrix-run[MODE=standard,policy=ci]", "journal.jsonl")).To(BeAnExistingFile())
		junit, err := os.ReadFile(filepath.Join(out, reports.JUnitFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(junit)).To(ContainSubstring(`<testsuite name="matrix-run[MODE=adaptive,policy=default]"`))
		Expect(leftovers(mine)).To(BeEmpty())

		// The replay command runs that combination alone, and fails as it did.
		out2 := filepath.Join(GinkgoT().TempDir(), "out")
		s, _ = gameday(nil, "run", "--backend", "process", "--seed", "5", "--env", "CHECK=on", "--filter", "matrix-run[MODE=legacy,policy=ci]", "--out", out2, file)
		Eventually(s, time.Minute).Should(gexec.Exit(1))
		Expect(names(readReport(out2))).To(Equal([]string{"matrix-run[MODE=legacy,policy=ci]"}))

		// [ and ] are literal in a filter; * spans the other axes.
		out3 := filepath.Join(GinkgoT().TempDir(), "out")
		s, _ = gameday(nil, "run", "--backend", "process", "--env", "CHECK=on", "--filter", "matrix-run[MODE=standard,*]", "--out", out3, file)
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		Expect(names(readReport(out3))).To(Equal([]string{"matrix-run[MODE=standard,policy=default]", "matrix-run[MODE=standard,policy=ci]"}))
	})
})
