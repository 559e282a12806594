package reports_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

var _ = Describe("a failed expectation's line", func() {
	render := func(e reports.Expectation) (text, md string) {
		r := &reports.Result{Scenarios: []reports.Scenario{{Name: "s", File: "s.yaml", Seed: 1, Expectations: []reports.Expectation{e}}}}
		var t, m bytes.Buffer
		Expect(reports.WriteText(&t, r)).To(Succeed())
		Expect(reports.WriteMarkdown(&m, r)).To(Succeed())
		return t.String(), m.String()
	}

	It("shows a message that restates name, want and got once, not twice", func() {
		text, md := render(reports.Expectation{Name: "outcome", Want: "failure", Got: "success",
			Message: "outcome: want failure, got success (run 1 attempt 0: exit 0)"})
		Expect(text).To(ContainSubstring("    - outcome: want failure, got success (run 1 attempt 0: exit 0)\n"))
		Expect(md).To(ContainSubstring("- `outcome`: want failure, got success (run 1 attempt 0: exit 0)\n"))
	})

	It("names the seed a repeated run's message comes from", func() {
		text, _ := render(reports.Expectation{Name: "requests[0]", Want: "==0", Got: "1", Held: 2, Runs: 3, FailedSeeds: []int64{6},
			Message: "seed 6: requests[0]: want ==0 requests to api with status 503, got 1"})
		Expect(text).To(ContainSubstring("    - requests[0] (seed 6): want ==0 requests to api with status 503, got 1 [held 2/3; failed seeds 6]\n"))
	})

	It("keeps want and got before a message that explains without restating", func() {
		text, _ := render(reports.Expectation{Name: "backoff.jitter", Want: "true", Got: "2 gaps", Inconclusive: true,
			Message: "needs at least 3 retry gaps of one operation, saw 2"})
		Expect(text).To(ContainSubstring("    - backoff.jitter: want true, got 2 gaps (inconclusive) — needs at least 3 retry gaps of one operation, saw 2\n"))
	})

	It("says inconclusive once when got or the message already says it", func() {
		text, md := render(reports.Expectation{Name: "backoff.jitter", Want: "true", Got: "inconclusive", Inconclusive: true,
			Message: "inconclusive: more operations would tell"})
		Expect(text).To(ContainSubstring("    - backoff.jitter: want true, got inconclusive — inconclusive: more operations would tell\n"))
		Expect(md).To(ContainSubstring("- `backoff.jitter`: want `true`, got `inconclusive` — inconclusive: more operations would tell\n"))
	})
})
