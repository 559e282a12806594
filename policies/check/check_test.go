package check_test

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/check"
)

func load(file string) (*policies.Policy, check.Options) {
	GinkgoHelper()
	raw, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	p, err := policies.Parse(file, raw, nil)
	Expect(err).NotTo(HaveOccurred())
	return p, check.Options{}
}

func parse(yaml string) (*policies.Policy, check.Options) {
	GinkgoHelper()
	p, err := policies.Parse("inline.yaml", []byte(yaml), nil)
	Expect(err).NotTo(HaveOccurred())
	return p, check.Options{}
}

func violations(rep check.Report) []string {
	var names []string
	for _, f := range rep.Violations() {
		names = append(names, f.Check)
	}
	return names
}

var _ = Describe("the shipped policies", func() {
	DescribeTable("pass or fail for their own reason",
		func(file string, want []string) {
			p, opts := load(filepath.Join("..", file))
			rep := check.Run(p, opts)
			if want == nil {
				Expect(rep.Failed()).To(BeFalse(), "%+v", rep.Violations())
			} else {
				Expect(violations(rep)).To(Equal(want))
			}
			var out bytes.Buffer
			Expect(rep.Write(&out)).To(Succeed())
			for _, v := range want {
				Expect(out.String()).To(MatchRegexp(`(?m)^%s\s+FAIL\s`, v))
			}
		},
		Entry("default.yaml", "default.yaml", nil),
		Entry("ci.yaml", "ci.yaml", nil),
		Entry("retries 401", "examples/retries-401.yaml", []string{"permanent"}),
		Entry("no jitter, no overall timeout", "examples/no-jitter-no-overall-timeout.yaml", []string{"jitter", "overall_timeout"}),
		Entry("pages on the first failure", "examples/pages-on-first-failure.yaml", []string{"paging"}),
		Entry("unknown unbounded", "examples/unbounded-unknown.yaml", []string{"unknown"}),
		Entry("ci.yaml without jitter", "examples/ci-no-jitter.yaml", []string{"jitter"}),
		// Weak, not wrong: only running it finds what two attempts cannot
		// absorb (gameday explore, gameday compare).
		Entry("two attempts", "examples/two-attempts.yaml", nil),
	)

	It("covers every example file: each fails the check, except the weak ones the check cannot see", func() {
		files, err := filepath.Glob("../examples/*.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(len(files)).To(BeNumerically(">=", 3))
		passes := map[string]bool{"two-attempts.yaml": true}
		for _, f := range files {
			p, opts := load(f)
			Expect(check.Run(p, opts).Failed()).To(Equal(!passes[filepath.Base(f)]), f)
		}
	})
})

var _ = Describe("worst cases", func() {
	const base = `
retry:
  max_attempts: 4
  backoff: {initial: 1s, max: 3s, multiplier: 2, jitter: full}
  attempt_timeout: 10s
  overall_timeout: 1m
  retry_after: {honor: false}
`
	It("adds attempt timeouts and the capped backoff", func() {
		p, opts := parse(base)
		rep := check.Run(p, opts)
		tr := rep.Operations[0]
		Expect(tr.Class).To(Equal(policies.ClassTransient))
		Expect(tr.Attempts).To(Equal(4))
		Expect(tr.Sleep).To(Equal(1*time.Second + 2*time.Second + 3*time.Second))
		Expect(tr.Wall).To(Equal(46 * time.Second))
		Expect(tr.Bound).To(Equal(46 * time.Second))
		perm := rep.Operations[3]
		Expect(perm.Class).To(Equal(policies.ClassPermanent))
		Expect(perm.Attempts).To(Equal(1))
		Expect(perm.Wall).To(Equal(10 * time.Second))
	})

	It("counts a honoured Retry-After up to its cap as the longest sleep", func() {
		p, opts := parse(base)
		p.Retry.RetryAfter = policies.RetryAfter{Honor: true, Cap: 20 * time.Second}
		rep := check.Run(p, opts)
		Expect(rep.Operations[1].Sleep).To(Equal(60 * time.Second))
		Expect(rep.Operations[1].Bound).To(Equal(time.Minute))
	})

	It("bounds decorrelated jitter by tripling up to the cap", func() {
		p, opts := parse(base)
		p.Retry.Backoff.Jitter = policies.JitterDecorrelated
		p.Retry.Backoff.Max = 10 * time.Second
		Expect(check.Run(p, opts).Operations[0].Sleep).To(Equal(3*time.Second + 9*time.Second + 10*time.Second))
	})

	It("multiplies attempts by a nested client's retries and flags it", func() {
		p, opts := parse(base)
		opts.ClientRetries = 10
		rep := check.Run(p, opts)
		Expect(rep.Operations[0].WireAttempts).To(Equal(40))
		Expect(violations(rep)).To(ContainElement("nested_retries"))
	})

	It("fails an SLA the worst case does not fit in, and passes one it does", func() {
		p, opts := parse(base)
		opts.SLA = 30 * time.Second
		Expect(violations(check.Run(p, opts))).To(Equal([]string{"sla"}))
		opts.SLA = time.Minute
		Expect(check.Run(p, opts).Failed()).To(BeFalse())
	})
})

var _ = Describe("alert rules, judged by evaluation", func() {
	rules := func(when, severity string) string {
		return `
retry: {max_attempts: 3, overall_timeout: 5m}
alerts:
  rules:
    - {name: r, when: "` + when + `", severity: ` + severity + `, notify: [x]}
  receivers:
    x: {alertmanager: {url: "http://127.0.0.1:1/"}}
`
	}
	DescribeTable("paging on one failed run that is not late",
		func(when, severity string, flagged bool) {
			p, opts := parse(rules(when, severity))
			rep := check.Run(p, opts)
			if flagged {
				Expect(violations(rep)).To(Equal([]string{"paging"}))
			} else {
				Expect(rep.Failed()).To(BeFalse(), "%+v", rep.Violations())
			}
		},
		Entry("first failure pages", "failure_count == 1", "page", true),
		Entry("spelled differently", "!(consecutive_failures < 1)", "page", true),
		Entry("one permanent error pages", "error_class == 'permanent'", "page", true),
		Entry("a long operation pages", "attempts >= 3", "page", true),
		Entry("only the train step", "step == 'train' && failure_count > 0", "page", true),
		Entry("first failure informs", "failure_count == 1", "info", false),
		Entry("three in a row page", "consecutive_failures >= 3", "page", false),
		Entry("late pages", "late > duration('60m')", "page", false),
		Entry("two in a row or late", "failure_count >= 2 || late > duration('1h')", "page", false),
	)

	It("reports when each rule fires", func() {
		p, opts := load("../default.yaml")
		rep := check.Run(p, opts)
		Expect(rep.Rules).To(HaveLen(3))
		Expect(rep.Rules[0].FiresAt).To(Equal(1))
		Expect(rep.Rules[1].FiresAt).To(Equal(3))
		Expect(rep.Rules[2].FiresAt).To(Equal(0))
		Expect(rep.Rules[2].LateAt).To(Equal(time.Hour + time.Millisecond))
	})
})

var _ = Describe("rules that fail to evaluate", func() {
	It("reports them as errors, not as never firing", func() {
		p, opts := parse(`
retry: {max_attempts: 3, overall_timeout: 5m}
alerts:
  rules:
    - {name: broken, when: "int(run_id) > 0", severity: page, notify: [x]}
    - {name: fine, when: "failure_count >= 3", severity: page, notify: [x]}
  receivers:
    x: {alertmanager: {url: "http://127.0.0.1:1/"}}
`)
		rep := check.Run(p, opts)
		Expect(violations(rep)).To(Equal([]string{"rule_errors"}))
		Expect(rep.Rules[0].Error).To(Equal(`evaluate "int(run_id) > 0": invalid operation: int(check-1) (1:1)`))
		Expect(rep.Rules[1].Error).To(BeEmpty())
		var out bytes.Buffer
		Expect(rep.Write(&out)).To(Succeed())
		Expect(out.String()).To(MatchRegexp(`(?m)^broken\s+page\s+error\s+error\s+quiet$`))
		Expect(out.String()).To(ContainSubstring(`FAIL    rule broken fails to evaluate (failure_count=1, late=0s, error_class="transient", attempts=1, step=""): evaluate "int(run_id) > 0": invalid operation: int(check-1) (1:1); at run time it does not fire there`))
	})
})

var _ = Describe("numbers past the loader's limits", func() {
	// check.Run takes policies built in Go too, which no loader bounded.
	It("neither panics nor allocates nor loops by max_attempts", func() {
		p, opts := parse("retry: {max_attempts: 3}\n")
		p.Retry.MaxAttempts = math.MaxInt
		p.Classify.Unknown.MaxAttempts = math.MaxInt
		p.Retry.Backoff.Max = time.Duration(math.MaxInt64)
		p.Retry.Backoff.Multiplier = 1
		p.Retry.AttemptTimeout = time.Duration(math.MaxInt64)
		opts.ClientRetries = math.MaxInt
		done := make(chan check.Report, 1)
		go func() { done <- check.Run(p, opts) }()
		var rep check.Report
		Eventually(done).WithTimeout(5 * time.Second).Should(Receive(&rep))
		tr := rep.Operations[0]
		Expect(tr.Attempts).To(Equal(math.MaxInt))
		Expect(tr.WireAttempts).To(Equal(math.MaxInt))
		Expect(tr.Sleep).To(Equal(time.Duration(math.MaxInt64)))
		Expect(tr.Wall).To(Equal(time.Duration(math.MaxInt64)))
		Expect(rep.Write(io.Discard)).To(Succeed())
	})

	It("sums the sleeps past exactSleeps at their upper bound", func() {
		p, opts := parse("retry: {max_attempts: 3, backoff: {initial: 1ms, max: 2ms}, retry_after: {honor: false}}\n")
		p.Retry.MaxAttempts = 20_001
		Expect(check.Run(p, opts).Operations[0].Sleep).To(Equal(1*time.Millisecond + 19_999*2*time.Millisecond))
	})
})
