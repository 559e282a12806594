package reports_test

import (
	"bytes"
	"encoding/xml"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

func gaveUp(seed, after int64) reports.Scenario {
	s := run(seed, false)
	s.Metrics.RecoveryTimeMS = nil
	s.Metrics.GaveUpAfterMS = ms(after)
	return s
}

var _ = Describe("recovery time across runs", func() {
	DescribeTable("Median and the nearest-rank Percentile",
		func(values []int64, median, p95 int64) {
			Expect(reports.Median(values)).To(Equal(median))
			Expect(reports.Percentile(values, 95)).To(Equal(p95))
		},
		Entry("none", []int64{}, int64(0), int64(0)),
		Entry("one", []int64{7}, int64(7), int64(7)),
		Entry("five: p95 is the maximum", []int64{38, 56, 60, 78, 95}, int64(60), int64(95)),
		Entry("even: the mean of the middle two", []int64{10, 20, 30, 40}, int64(25), int64(40)),
		Entry("twenty: p95 is the 19th", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, int64(10), int64(19)),
	)

	It("gives the distribution over the runs that recovered, the seed of the worst, and the runs that gave up", func() {
		agg, err := reports.Aggregate([]reports.Scenario{run(1, true), run(3, true), gaveUp(4, 2500), run(2, true), gaveUp(5, 1800)})
		Expect(err).NotTo(HaveOccurred())
		st := agg.Repeats.Recovery
		Expect(st.Runs).To(Equal(5))
		Expect(st.Recovered).To(Equal(3))
		Expect(st.GaveUp).To(Equal(2))
		Expect([]int64{*st.MinMS, *st.MedianMS, *st.P95MS, *st.MaxMS}).To(Equal([]int64{100, 200, 300, 300}))
		Expect(*st.WorstSeed).To(Equal(int64(3)))
		Expect(*st.GaveUpMaxMS).To(Equal(int64(2500)))
		Expect(*st.GaveUpWorstSeed).To(Equal(int64(4)))
		Expect(*agg.Metrics.GaveUpAfterMS).To(Equal(int64(2500)), "the worst run's, as every aggregate number")
		Expect(agg.RecoveryText()).To(Equal("median 200ms, worst 300ms (seed 3), 2 gave up"))
		Expect(st.Text()).To(Equal("min 100ms, median 200ms, p95 300ms, max 300ms (seed 3) over 3 runs that recovered; 2 gave up after at most 2.5s (seed 4)"))
	})

	It("says how long a run tried before it gave up, in the console table and summary.md", func() {
		r := &reports.Result{Scenarios: []reports.Scenario{gaveUp(9, 1300)}}
		r.Scenarios[0].Name = "three-failures-page"
		r.Summarize()
		var text, md bytes.Buffer
		Expect(reports.WriteText(&text, r)).To(Succeed())
		Expect(reports.WriteMarkdown(&md, r)).To(Succeed())
		Expect(text.String()).To(MatchRegexp(`three-failures-page\s+FAIL\s+9 .*gave up after 1.3s`))
		Expect(md.String()).To(ContainSubstring("| gave up after 1.3s |"))

		agg, err := reports.Aggregate([]reports.Scenario{gaveUp(1, 1000), gaveUp(2, 1400)})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.RecoveryText()).To(Equal("gave up after 1.4s (worst, seed 2)"))
	})

	It("gives summary.md per-seed rows and min/median/p95 under --repeat", func() {
		var md bytes.Buffer
		Expect(reports.WriteMarkdown(&md, timelineFixture())).To(Succeed())
		out := md.String()
		Expect(out).To(ContainSubstring("| storage-503-single-transient | ✅ PASS 5/5 | 101 | 2 | 1 | 0 | 0 | median 60ms, worst 95ms (seed 103) | 1.1s |"))
		Expect(out).To(ContainSubstring("#### storage-503-single-transient: 5 runs, 5 passed\n\n" +
			"Recovery time over the 5 runs that recovered: **min 38ms · median 60ms · p95 95ms · max 95ms** (seed 103).\n\n" +
			"| seed | verdict | recovery | attempts | retries | pages | duplicates | duration |\n"))
		for _, row := range []string{"| 101 | ✅ PASS | 56ms |", "| 102 | ✅ PASS | 78ms |", "| 103 | ✅ PASS | 95ms |", "| 104 | ✅ PASS | 60ms |", "| 105 | ✅ PASS | 38ms |"} {
			Expect(out).To(ContainSubstring(row))
		}
	})

	It("shows the median and the worst with its seed in the console table", func() {
		var text bytes.Buffer
		Expect(reports.WriteText(&text, timelineFixture())).To(Succeed())
		Expect(text.String()).To(MatchRegexp(`storage-503-single-transient\s+PASS 5/5\s+101 .* median 60ms, worst 95ms \(seed 103\)\s+1.1s`))
	})
})

var _ = Describe("junit system-out", func() {
	It("carries the last lines of the workload log of a failed scenario, and nothing for a passed one", func() {
		r := fixture()
		r.Scenarios[0].WorkloadLog = &reports.LogTail{Path: "out/ok/workload-run1-attempt0.log", Lines: []string{"fine"}}
		r.Scenarios[1].WorkloadLog = &reports.LogTail{Path: "out/auth/workload-run1-attempt0.log", Truncated: true,
			Lines: []string{"Traceback (most recent call last):", "botocore.exceptions.ClientError: An error occurred (InvalidAccessKeyId)"}}
		var buf bytes.Buffer
		Expect(reports.WriteJUnit(&buf, r)).To(Succeed())
		var doc struct {
			Suites []struct {
				Name      string `xml:"name,attr"`
				SystemOut string `xml:"system-out"`
			} `xml:"testsuite"`
		}
		Expect(xml.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
		Expect(doc.Suites[0].SystemOut).To(BeEmpty())
		Expect(doc.Suites[1].SystemOut).To(Equal("workload log out/auth/workload-run1-attempt0.log (last 2 lines):\n" +
			"Traceback (most recent call last):\n" +
			"botocore.exceptions.ClientError: An error occurred (InvalidAccessKeyId)\n"))
	})

	It("under --repeat, carries the log of every seed that failed", func() {
		a, b := run(1, true), run(2, false)
		a.WorkloadLog = &reports.LogTail{Path: "a.log", Lines: []string{"fine"}}
		b.WorkloadLog = &reports.LogTail{Path: "b.log", Lines: []string{"boom"}}
		agg, err := reports.Aggregate([]reports.Scenario{a, b})
		Expect(err).NotTo(HaveOccurred())
		r := &reports.Result{Scenarios: []reports.Scenario{agg}}
		r.Summarize()
		var buf bytes.Buffer
		Expect(reports.WriteJUnit(&buf, r)).To(Succeed())
		Expect(buf.String()).To(ContainSubstring("<system-out><![CDATA[seed 2: workload log b.log:\nboom\n]]></system-out>"))
		Expect(strings.Count(buf.String(), "fine")).To(BeZero())
	})
})

var _ = Describe("ReplayCommandFlags", func() {
	It("carries every flag it is given, quoted for a shell", func() {
		Expect(reports.ReplayCommandFlags([]string{"--backend", "process", "--seed", "7", "--evidence-runs", "0"}, "my dir/a.yaml")).
			To(Equal("gameday run --backend process --seed 7 --evidence-runs 0 'my dir/a.yaml'"))
	})
})
