package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var _ = Describe("time-to-recovery reports", func() {
	It("gives --repeat 5 of storage-503-single-transient 5 per-seed rows and min/median/p95 in summary.md and report.html, and metrics expfmt parses", func() {
		dir := GinkgoT().TempDir()
		out := filepath.Join(dir, "out")
		prom := filepath.Join(dir, "gameday.prom")
		s, mine := gameday([]string{"CI=true"}, "run", "--backend", "process", "--repeat", "5", "--seed", "101",
			"--metrics", prom, "--out", out, "scenarios/library/storage-503-single-transient.yaml")
		Eventually(s, 2*time.Minute).Should(gexec.Exit(0))
		Expect(leftovers(mine)).To(BeEmpty())
		stdout := string(s.Out.Contents())
		Expect(stdout).To(MatchRegexp(`storage-503-single-transient\s+PASS 5/5\s+101 .* median \d+ms, worst \d+ms \(seed 10[1-5]\)`))
		Expect(strings.Count(stdout, ": boot (")).To(BeZero(), "without a TTY, no phase lines for passing runs")

		md, err := os.ReadFile(filepath.Join(out, "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(MatchRegexp(`\*\*min \d+ms · median \d+ms · p95 \d+ms · max \d+ms\*\* \(seed 10[1-5]\)`))
		for _, seed := range []string{"101", "102", "103", "104", "105"} {
			Expect(string(md)).To(MatchRegexp(`(?m)^\| ` + seed + ` \| ✅ PASS \| \d+ms \|`))
		}

		load := checkHTMLReport(out, "repeat-5", `table.seeds tbody tr`, `[data-kind="seed-recovered"]`, `dl.quantiles dt`)
		Expect(load.Counts).To(Equal(map[string]int{`table.seeds tbody tr`: 5, `[data-kind="seed-recovered"]`: 5, `dl.quantiles dt`: 4}))
		page, err := os.ReadFile(filepath.Join(out, "report.html"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(page)).To(MatchRegexp(`<dt>min</dt><dd>\d+ms</dd></div><div><dt>median</dt><dd>\d+ms</dd></div><div><dt>p95</dt><dd>\d+ms</dd>`))

		f, err := os.Open(prom)
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(f)
		Expect(err).NotTo(HaveOccurred())
		Expect(fams).To(HaveKey("gameday_scenario_recovery_seconds"))
		Expect(fams["gameday_scenario_recovery_seconds"].Metric[0].Summary.GetSampleCount()).To(Equal(uint64(5)))
	})

	It("keeps ten runs appended by two concurrent gameday processes, and trends shows them with the right pass rate", func() {
		dir := GinkgoT().TempDir()
		hist := filepath.Join(dir, "history.db")
		// Two jobs at once on one history file: 5 runs of a scenario that
		// always passes, 5 of one whose coin fails seeds 6 and 8 of 4..8.
		a, mineA := gameday([]string{"CI=true"}, "run", "--backend", "process", "--repeat", "5", "--history", hist,
			"--out", filepath.Join(dir, "a"), "scenarios/library/storage-503-single-transient.yaml")
		b, mineB := gameday([]string{"CI=true"}, "run", "--backend", "process", "--repeat", "5", "--seed", "4", "--history", hist,
			"--out", filepath.Join(dir, "b"), "harness/e2e/testdata/flaky.yaml")
		Eventually(a, 2*time.Minute).Should(gexec.Exit(0))
		Eventually(b, 2*time.Minute).Should(gexec.Exit(1))
		Expect(leftovers(mineA)).To(BeEmpty())
		Expect(leftovers(mineB)).To(BeEmpty())
		Expect(string(a.Out.Contents())).To(ContainSubstring("history: 5 runs appended to " + hist))
		Expect(string(b.Out.Contents())).To(ContainSubstring("history: 5 runs appended to " + hist))

		t, _ := gameday(nil, "trends", hist, "--since", "1d")
		Eventually(t, time.Minute).Should(gexec.Exit(0))
		text := string(t.Out.Contents())
		Expect(text).To(MatchRegexp(`(?m)^flaky-probe\s+\d{4}-\d\d-\d\d\s+5\s+60% \(3/5\)\s+1 \(requests\[0\]\)`))
		Expect(text).To(MatchRegexp(`(?m)^storage-503-single-transient\s+\d{4}-\d\d-\d\d\s+5\s+100% \(5/5\)\s+0\s+\d+ms\s+\d+ms\s+0\s+1\.0\s+0$`))
		Expect(text).To(ContainSubstring("10 runs of 2 scenarios: 8 passed (80%)"))
		Expect(filepath.Join(dir, "trends.html")).To(BeAnExistingFile())
		if shots := os.Getenv("GAMEDAY_SCREENSHOTS"); shots != "" {
			load := openInChromium(filepath.Join(dir, "trends.html"), true)
			Expect(os.WriteFile(filepath.Join(shots, "trends-e2e.png"), load.Full, 0o644)).To(Succeed())
		}
		load := openInChromium(filepath.Join(dir, "trends.html"), false, `[data-kind="pass-rate"]`)
		Expect(load.Errors).To(BeEmpty())
		Expect(load.Requests).To(BeEmpty())
		Expect(load.Counts[`[data-kind="pass-rate"]`]).To(Equal(2))

		// A corrupt history file is exit 2 with one line, for run and trends.
		bad := filepath.Join(dir, "bad.db")
		Expect(os.WriteFile(bad, []byte(strings.Repeat("not sqlite\n", 200)), 0o644)).To(Succeed())
		for _, args := range [][]string{{"trends", bad}, {"run", "--backend", "process", "--history", bad, "scenarios/library/storage-503-single-transient.yaml"}} {
			c, _ := gameday(nil, args...)
			Eventually(c, time.Minute).Should(gexec.Exit(2))
			Expect(string(c.Err.Contents())).To(MatchRegexp(`^gameday: [^\n]*not a gameday history file[^\n]*\n$`))
		}
	})
})
