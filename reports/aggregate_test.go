package reports_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

func run(seed int64, passed bool, exps ...reports.Expectation) reports.Scenario {
	return reports.Scenario{Name: "s", File: "s.yaml", Seed: seed, Passed: passed, DurationMS: 100, Expectations: exps,
		Metrics: reports.Metrics{Requests: 10, FaultsInjected: 1, Attempts: int(seed), Retries: 1, Pages: 0,
			Alerts: map[string]int{"info": 1}, RecoveryTimeMS: ms(seed * 100), SuccessRate: 1}}
}

func held(name string) reports.Expectation {
	return reports.Expectation{Name: name, Passed: true, Want: "0", Got: "0"}
}

func broke(name, got, msg string) reports.Expectation {
	return reports.Expectation{Name: name, Passed: false, Want: "0", Got: got, Message: msg}
}

var _ = Describe("Aggregate", func() {
	It("says per expectation how often it held, and replays the first failed seed", func() {
		agg, err := reports.Aggregate([]reports.Scenario{
			run(1, true, held("pages"), held("artifacts")),
			run(2, false, held("pages"), broke("artifacts", "1", "second model")),
			run(3, false, held("pages"), broke("artifacts", "2", "third model")),
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Passed).To(BeFalse())
		Expect(agg.Verdict()).To(Equal("FLAKY"))
		Expect(agg.Seed).To(Equal(int64(2)))
		Expect(agg.ReplayCommand()).To(Equal("gameday run --seed 2 s.yaml"))
		Expect(agg.Repeats.Runs).To(Equal(3))
		Expect(agg.Repeats.Passed).To(Equal(1))
		Expect(agg.Repeats.Seeds).To(Equal([]int64{1, 2, 3}))
		Expect(agg.Repeats.FailedSeeds).To(Equal([]int64{2, 3}))
		Expect(agg.Repeats.Each).To(HaveLen(3))
		Expect(agg.Expectations).To(Equal([]reports.Expectation{
			{Name: "pages", Passed: true, Want: "0", Got: "0", Held: 3, Runs: 3},
			{Name: "artifacts", Passed: false, Want: "0", Got: "1", Message: "seed 2: second model", Held: 1, Runs: 3, FailedSeeds: []int64{2, 3}},
		}))
		Expect(agg.Metrics.Requests).To(Equal(10), "per run, not summed")
		Expect(agg.Metrics.Attempts).To(Equal(3))
		Expect(*agg.Metrics.RecoveryTimeMS).To(Equal(int64(300)))
		Expect(agg.Metrics.Alerts).To(Equal(map[string]int{"info": 1}))
		Expect(agg.DurationMS).To(Equal(int64(100)))

		r := &reports.Result{Scenarios: []reports.Scenario{agg}}
		r.Summarize()
		Expect(r.Summary.Flaky).To(Equal(1))
	})

	It("takes the worst run of every counter, recovery time and duration, and the mean success rate", func() {
		a, b, c := run(1, true), run(2, true), run(3, true)
		a.Metrics = reports.Metrics{Requests: 12, FaultsInjected: 1, Attempts: 2, Retries: 5, Pages: 0,
			Alerts: map[string]int{"info": 2}, DuplicateArtifacts: 0, RecoveryTimeMS: nil, SuccessRate: 1}
		a.DurationMS = 900
		b.Metrics = reports.Metrics{Requests: 30, FaultsInjected: 4, Attempts: 5, Retries: 1, Pages: 2,
			Alerts: map[string]int{"page": 2, "info": 1}, DuplicateArtifacts: 1, RecoveryTimeMS: ms(700), SuccessRate: 0.5}
		b.DurationMS = 300
		c.Metrics = reports.Metrics{Requests: 8, FaultsInjected: 2, Attempts: 3, Retries: 2, Pages: 1,
			Alerts: map[string]int{"warning": 1}, DuplicateArtifacts: 3, RecoveryTimeMS: ms(200), SuccessRate: 0}
		c.DurationMS = 500
		agg, err := reports.Aggregate([]reports.Scenario{a, b, c})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Metrics).To(Equal(reports.Metrics{Requests: 30, FaultsInjected: 4, Attempts: 5, Retries: 5, Pages: 2,
			Alerts: map[string]int{"info": 2, "page": 2, "warning": 1}, DuplicateArtifacts: 3, RecoveryTimeMS: ms(700), SuccessRate: 0.5}))
		Expect(agg.DurationMS).To(Equal(int64(900)))
		Expect(agg.Seed).To(Equal(int64(1)), "nothing failed: the first seed")
	})

	It("leaves recovery time null only when no run recovered", func() {
		a, b := run(1, true), run(2, true)
		a.Metrics.RecoveryTimeMS, b.Metrics.RecoveryTimeMS = nil, nil
		agg, err := reports.Aggregate([]reports.Scenario{a, b})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Metrics.RecoveryTimeMS).To(BeNil())
	})

	It("passes only when every run passed", func() {
		agg, err := reports.Aggregate([]reports.Scenario{run(1, true, held("pages")), run(2, true, held("pages"))})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Passed).To(BeTrue())
		Expect(agg.Verdict()).To(Equal("PASS"))
		Expect(agg.Seed).To(Equal(int64(1)))
	})

	It("leaves an expectation a run did not judge (infrastructure error) out of held, failed and flaky", func() {
		bad := run(2, false)
		bad.Error = "start target storage: exit 1"
		agg, err := reports.Aggregate([]reports.Scenario{run(1, true, held("pages"), held("artifacts")), bad,
			run(3, false, held("pages"), broke("artifacts", "1", "second model"))})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Error).To(Equal("seed 2: start target storage: exit 1"))
		Expect(agg.Verdict()).To(Equal("ERROR"))
		Expect(agg.Expectations).To(Equal([]reports.Expectation{
			{Name: "pages", Passed: true, Want: "0", Got: "0", Held: 2, Runs: 2, NotJudgedSeeds: []int64{2}},
			{Name: "artifacts", Passed: false, Want: "0", Got: "1", Message: "seed 3: second model", Held: 1, Runs: 2,
				FailedSeeds: []int64{3}, NotJudgedSeeds: []int64{2}},
		}))
		Expect(agg.Seed).To(Equal(int64(3)), "the judged failure is the one to replay")
	})

	It("counts a repeat whose one seed hit an infrastructure error as errored, and nothing else", func() {
		bad := run(2, false)
		bad.Error = "start target storage: exit 1"
		agg, err := reports.Aggregate([]reports.Scenario{
			run(1, true, held("pages"), held("artifacts"), held("outcome")), bad,
			run(3, true, held("pages"), held("artifacts"), held("outcome"))})
		Expect(err).NotTo(HaveOccurred())
		r := &reports.Result{Backend: "process", Repeat: 3, Scenarios: []reports.Scenario{agg}}
		r.Summarize()
		Expect(r.Summary).To(Equal(reports.Summary{Scenarios: 1, Failed: 1, Errored: 1,
			Expectations: 3, ExpectationsFailed: 0, Flaky: 0}))
		Expect(r.ExitCode()).To(Equal(3))

		var junit bytes.Buffer
		Expect(reports.WriteJUnit(&junit, r)).To(Succeed())
		Expect(junit.String()).To(ContainSubstring(`<testsuites name="gameday" tests="4" failures="0" errors="1"`))
		Expect(junit.String()).NotTo(ContainSubstring("<failure"))

		var md, text bytes.Buffer
		Expect(reports.WriteMarkdown(&md, r)).To(Succeed())
		Expect(reports.WriteText(&text, r)).To(Succeed())
		for _, out := range []string{md.String(), text.String()} {
			Expect(out).To(ContainSubstring("start target storage: exit 1"))
			Expect(out).NotTo(ContainSubstring("not judged"))
			Expect(out).NotTo(ContainSubstring("flaky"))
		}

		// It survives report.json.
		var js bytes.Buffer
		Expect(reports.WriteJSON(&js, r)).To(Succeed())
		back, err := reports.ReadJSON(&js)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Scenarios[0].Expectations[0].NotJudgedSeeds).To(Equal([]int64{2}))
	})

	It("rejects no runs and mixed scenarios", func() {
		_, err := reports.Aggregate(nil)
		Expect(err).To(MatchError("aggregate repeats: no runs"))
		other := run(2, true)
		other.Name = "t"
		_, err = reports.Aggregate([]reports.Scenario{run(1, true), other})
		Expect(err).To(MatchError(`aggregate repeats: runs of "s" and "t" mixed`))
	})
})
