package expect_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func req(target, method, path string, ms, status int) observe.Request {
	return observe.Request{Target: target, Run: 1, Method: method, Path: path, Start: at(ms), End: at(ms + 1), Status: status}
}

func cmp(s string) *scenarios.Cmp {
	c, err := scenarios.ParseCmp(s)
	Expect(err).NotTo(HaveOccurred())
	return &c
}

func byName(vs []reports.Expectation, name string) reports.Expectation {
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	Fail("no verdict " + name)
	return reports.Expectation{}
}

func judge(e scenarios.Expect, in observe.Input) []reports.Expectation {
	return expect.Judge(expect.Input{Expect: e, Obs: observe.Observe(in), Timeout: time.Minute})
}

var yes, no = true, false

func atMost(n int64) scenarios.AtMost {
	return scenarios.AtMost{Cmp: scenarios.Cmp{Op: scenarios.OpLE, N: n}}
}

var _ = Describe("Judge", func() {
	It("names a fail-fast violation with the operation's timeline", func() {
		j := []observe.Request{
			req("api", "GET", "/v1/features", 0, 401),
			req("api", "GET", "/v1/features", 12, 401),
			req("api", "GET", "/v1/features", 25, 401),
			req("api", "GET", "/v1/features", 37, 401),
		}
		vs := judge(scenarios.Expect{RetriesAfter: []*scenarios.RetriesAfter{
			{Status: scenarios.StatusList{403}, Max: atMost(0)},
			{Status: scenarios.StatusList{401}, Max: atMost(0)},
		}}, observe.Input{Journal: j})
		Expect(byName(vs, "retries_after[0]").Passed).To(BeTrue())
		v := byName(vs, "retries_after[1]")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Want).To(Equal("<=0 retries after 401"))
		Expect(v.Got).To(Equal("3"))
		Expect(v.Message).To(Equal("retries_after[1]: want <=0 retries after 401, got 3 (worst, 3 after 401: api GET /v1/features: 4 attempts (no operation header: one call or a loop) at 0ms, 12ms, 25ms, 37ms)"))
	})

	It("judges outcome from the last run, and timeout always", func() {
		in := observe.Input{Runs: []observe.RunRecord{
			{Run: 1, Start: at(0), End: at(10)},
			{Run: 2, Start: at(20), End: at(30), Crashed: true, Signal: "killed"},
			{Run: 2, Attempt: 1, Start: at(40), End: at(50), ExitCode: 1},
		}}
		vs := judge(scenarios.Expect{Outcome: "success"}, in)
		Expect(vs).To(HaveLen(3))
		Expect(vs[0].Name).To(Equal("outcome"))
		Expect(vs[0].Got).To(Equal("failure"))
		Expect(vs[0].Message).To(ContainSubstring("run 2 attempt 1: exit 1"))
		Expect(vs[1].Name).To(Equal("faults_fired"))
		Expect(vs[1].Passed).To(BeTrue())
		Expect(vs[2].Name).To(Equal("timeout"))
		Expect(vs[2].Passed).To(BeTrue())
		in.TimedOut = true
		Expect(byName(judge(scenarios.Expect{}, in), "timeout").Passed).To(BeFalse())
	})

	It("judges pages and alerts by severity", func() {
		in := observe.Input{Notifications: []observe.Notification{
			{Source: "alertmanager", Action: "firing", Severity: "info", Name: "first-failure", Valid: true},
			{Source: "pagerduty", Action: "trigger", Severity: "critical", Name: "sustained", Valid: true},
		}}
		vs := judge(scenarios.Expect{Pages: cmp("0"), Alerts: &scenarios.AlertsExpect{Info: cmp("<=1"), Warning: cmp("0")}}, in)
		p := byName(vs, "pages")
		Expect(p.Passed).To(BeFalse())
		Expect(p.Message).To(Equal("pages: want ==0, got 1 (pagerduty sustained critical)"))
		Expect(byName(vs, "alerts.info").Passed).To(BeTrue())
		Expect(byName(vs, "alerts.warning").Passed).To(BeTrue())
	})

	It("judges attempts per operation, optionally per target", func() {
		j := []observe.Request{
			req("storage", "GET", "/a", 0, 503), req("storage", "GET", "/a", 10, 503), req("storage", "GET", "/a", 30, 200),
			req("api", "GET", "/b", 0, 200),
		}
		vs := judge(scenarios.Expect{AttemptsPerOperation: &scenarios.TargetCmp{Cmp: *cmp("<=2")}}, observe.Input{Journal: j})
		v := byName(vs, "attempts_per_operation")
		Expect(v.Got).To(Equal("3"))
		Expect(v.Message).To(Equal("attempts_per_operation: want <=2, got 3 (storage GET /a: 3 attempts (no operation header: one call or a loop) at 0ms, 10ms, 30ms)"))
		vs = judge(scenarios.Expect{AttemptsPerOperation: &scenarios.TargetCmp{Target: "api", Cmp: *cmp("<=2")}}, observe.Input{Journal: j})
		Expect(byName(vs, "attempts_per_operation").Passed).To(BeTrue())
	})

	It("judges Retry-After honoured with a 50 ms allowance", func() {
		mk := func(waitMS int) []observe.Request {
			a := req("s", "GET", "/a", 0, 429)
			a.RetryAfterMS = 1000
			return []observe.Request{a, req("s", "GET", "/a", 1+waitMS, 200)}
		}
		e := scenarios.Expect{RetryAfterHonored: &scenarios.RetryAfterHonored{Honored: true}}
		Expect(byName(judge(e, observe.Input{Journal: mk(960)}), "retry_after_honored").Passed).To(BeTrue())
		v := byName(judge(e, observe.Input{Journal: mk(900)}), "retry_after_honored")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Message).To(ContainSubstring("GET /a on s retried 900ms after a 429 with Retry-After 1000ms"))
		v = byName(judge(e, observe.Input{}), "retry_after_honored")
		Expect(v.Inconclusive).To(BeTrue())
		Expect(v.Passed).To(BeFalse())
	})

	It("judges recovery time, failing with 'no recovery' when nothing recovered", func() {
		f := req("s", "GET", "/a", 100, 503)
		f.Fault = "one-503"
		e := scenarios.Expect{RecoveryTime: cmp("<=1s")}
		v := byName(judge(e, observe.Input{Journal: []observe.Request{f}, Runs: []observe.RunRecord{{Run: 1, Start: at(0), End: at(600)}}}), "recovery_time")
		Expect(v.Passed).To(BeTrue())
		Expect(v.Got).To(Equal("500ms"))
		v = byName(judge(e, observe.Input{Journal: []observe.Request{f}, Runs: []observe.RunRecord{{Run: 1, Start: at(0), End: at(600), ExitCode: 1}}}), "recovery_time")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Got).To(Equal("no recovery"))
	})

	It("judges requests by received status", func() {
		j := []observe.Request{req("s", "GET", "/a", 0, 503), req("s", "GET", "/a", 10, 200), req("t", "GET", "/a", 10, 503)}
		e := scenarios.Expect{Requests: []*scenarios.RequestsExpect{
			{Target: "s", Status: 503, Count: *cmp("1")},
			{Status: 503, Count: *cmp("1")},
		}}
		vs := judge(e, observe.Input{Journal: j})
		Expect(byName(vs, "requests[0]").Passed).To(BeTrue())
		v := byName(vs, "requests[1]")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Message).To(Equal("requests[1]: want ==1 requests with status 503, got 2 (all statuses: 1×200, 2×503)"))
	})

	It("judges artifacts from the listing", func() {
		a := observe.Duplicates([]observe.ObjectVersion{{Key: "r/model.bin"}, {Key: "r/model.bin"}}, []string{"r"}, nil)
		vs := expect.Judge(expect.Input{Expect: scenarios.Expect{Artifacts: &scenarios.ArtifactsExpect{Bucket: "models", Duplicates: cmp("0")}},
			Obs: observe.Observe(observe.Input{}), Artifacts: &a})
		v := byName(vs, "artifacts")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Message).To(ContainSubstring("r/model.bin has 2 versions"))
	})

	It("judges backoff from the waits, leaving Retry-After waits out", func() {
		// Two operations retried with a fixed 300 ms sleep, 4 retries each.
		var j []observe.Request
		for op, path := range []string{"/a", "/b"} {
			ms := op * 5000
			for i := 0; i < 5; i++ {
				st := 503
				if i == 4 {
					st = 200
				}
				j = append(j, req("s", "GET", path, ms, st))
				ms += 1 + 300 + i%2 // 1 ms answer, 300 ms sleep, a little noise
			}
		}
		e := scenarios.Expect{Backoff: &scenarios.BackoffExpect{Jitter: &yes, Growing: &yes}}
		vs := judge(e, observe.Input{Journal: j})
		jv := byName(vs, "backoff.jitter")
		Expect(jv.Passed).To(BeFalse())
		Expect(jv.Got).To(Equal("false"))
		Expect(jv.Message).To(ContainSubstring("backoff.jitter: want jittered, got not jittered: 8 of 8 waits within noise of 300ms, none earlier: a fixed delay"))
		Expect(byName(vs, "backoff.growing").Passed).To(BeFalse())

		e = scenarios.Expect{Backoff: &scenarios.BackoffExpect{Jitter: &no, Growing: &no}}
		vs = judge(e, observe.Input{Journal: j})
		Expect(byName(vs, "backoff.jitter").Passed).To(BeTrue())
		Expect(byName(vs, "backoff.growing").Passed).To(BeTrue())

		ws := expect.WaitsOf(observe.Observe(observe.Input{Journal: j}), "")
		Expect(ws.Call).To(HaveLen(2))
		Expect(ws.Call[0]).To(HaveLen(4))
		Expect(ws.Loop).To(BeEmpty())
	})

	It("calls too few retries inconclusive and says how many it needs", func() {
		j := []observe.Request{req("s", "GET", "/a", 0, 503), req("s", "GET", "/a", 100, 200)}
		vs := judge(scenarios.Expect{Backoff: &scenarios.BackoffExpect{Jitter: &yes, Growing: &yes}}, observe.Input{Journal: j})
		for _, n := range []string{"backoff.jitter", "backoff.growing"} {
			v := byName(vs, n)
			Expect(v.Passed).To(BeFalse())
			Expect(v.Inconclusive).To(BeTrue())
			Expect(v.Got).To(Equal("inconclusive"))
			Expect(v.Message).To(MatchRegexp(`inconclusive: \d+ .*need \d+`))
		}
	})

	It("computes the metrics", func() {
		f := req("s", "GET", "/a", 0, 503)
		f.Fault = "x"
		o := observe.Observe(observe.Input{Journal: []observe.Request{f, req("s", "GET", "/a", 50, 200)},
			Runs: []observe.RunRecord{{Run: 1, Start: at(0), End: at(100)}}})
		m := expect.Metrics(o, &observe.Artifacts{Duplicates: 2})
		Expect(m.Requests).To(Equal(2))
		Expect(m.FaultsInjected).To(Equal(1))
		Expect(m.Attempts).To(Equal(2))
		Expect(m.Retries).To(Equal(1))
		Expect(m.DuplicateArtifacts).To(Equal(2))
		Expect(*m.RecoveryTimeMS).To(Equal(int64(100)))
		Expect(m.SuccessRate).To(Equal(1.0))
	})
})
