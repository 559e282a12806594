package expect_test

import (
	"fmt"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// sdk is a request under an operation header.
func sdk(hdr, method, path string, ms, status int) observe.Request {
	r := req("storage", method, path, ms, status)
	r.OpHeader = hdr
	return r
}

var _ = Describe("Judging retry chains", func() {
	// An application loop around an SDK call: five fresh calls, each
	// after a 401, one attempt each.
	appLoop := func() []observe.Request {
		var j []observe.Request
		for i := range 5 {
			j = append(j, sdk(fmt.Sprintf("inv-%d", i), "PUT", "/models/r1/model.bin", i*1000, 401))
		}
		return j
	}

	It("fails retries_after and attempts_per_operation on an application-level retry loop, and says so", func() {
		e := scenarios.Expect{
			RetriesAfter:         []*scenarios.RetriesAfter{{Status: scenarios.StatusList{401}, Max: atMost(0)}},
			AttemptsPerOperation: &scenarios.TargetCmp{Cmp: *cmp("<=1")},
		}
		vs := judge(e, observe.Input{Journal: appLoop()})
		ra := byName(vs, "retries_after[0]")
		Expect(ra.Passed).To(BeFalse())
		Expect(ra.Got).To(Equal("4"))
		Expect(ra.Message).To(ContainSubstring("application-level"))
		ap := byName(vs, "attempts_per_operation")
		Expect(ap.Passed).To(BeFalse())
		Expect(ap.Message).To(Equal("attempts_per_operation: want <=1, got 5 (storage PUT /models/r1/model.bin: 5 attempts in 5 calls (an application-level retry loop) at 0ms, 1.0s, 2.0s, 3.0s, 4.0s)"))
	})

	It("names the operation a fault hit when a client gave up without retrying", func() {
		// s3cmd-like: HEAD the object (200), then GET it, get a 503, give up.
		head := req("storage", "HEAD", "/features/day/part-0.bin", 0, 200)
		get := req("storage", "GET", "/features/day/part-0.bin", 20, 503)
		get.Fault = "one-503"
		e := scenarios.Expect{AttemptsPerOperation: &scenarios.TargetCmp{Cmp: *cmp("==2")}}
		ap := byName(judge(e, observe.Input{Journal: []observe.Request{head, get}}), "attempts_per_operation")
		Expect(ap.Passed).To(BeFalse())
		Expect(ap.Message).To(HavePrefix("attempts_per_operation: want ==2, got 1 (storage GET /features/day/part-0.bin: 1 attempt"))
	})

	It("reads max as at most and a comparison string as written", func() {
		for _, c := range []struct {
			max  scenarios.AtMost
			held bool
		}{
			{atMost(4), true},
			{atMost(3), false},
			{scenarios.AtMost{Cmp: *cmp("==4")}, true},
			{scenarios.AtMost{Cmp: *cmp(">=5")}, false},
		} {
			e := scenarios.Expect{RetriesAfter: []*scenarios.RetriesAfter{{Status: scenarios.StatusList{401}, Max: c.max}}}
			Expect(byName(judge(e, observe.Input{Journal: appLoop()}), "retries_after[0]").Passed).To(Equal(c.held), c.max.String())
		}
	})

	It("splits a nested chain's waits into the SDK's and the loop's", func() {
		// 3 calls × 4 SDK attempts; each request lasts 1 ms; the SDK waits
		// 100, 200, 400 ms, the loop 1 s after a failed call.
		var j []observe.Request
		t := 0
		for c := range 3 {
			for a := range 4 {
				j = append(j, sdk(fmt.Sprintf("inv-%d", c), "PUT", "/m", t, 503))
				if a < 3 {
					t += 1 + 100<<a
				}
			}
			t += 1 + 1000
		}
		w := expect.WaitsOf(observe.Observe(observe.Input{Journal: j}), "")
		Expect(w.Call).To(Equal([][]float64{{100, 200, 400}, {100, 200, 400}, {100, 200, 400}}))
		Expect(w.Loop).To(Equal([][]float64{{1000, 1000}}))
		vs := judge(scenarios.Expect{AttemptsPerOperation: &scenarios.TargetCmp{Cmp: *cmp("<=4")}}, observe.Input{Journal: j})
		Expect(byName(vs, "attempts_per_operation").Message).To(ContainSubstring("12 attempts: 3 calls × 4 attempts (nested retries)"))
	})

	It("never takes a nested deterministic schedule for jitter", func() {
		// 4 calls × 5 SDK attempts, 100/200/400/800 ms, a flat 1 s between
		// calls: in one chain the waits zig-zag, which only a layered fit
		// explains.
		var j []observe.Request
		t := 0
		for c := range 4 {
			for a := range 5 {
				j = append(j, sdk(fmt.Sprintf("inv-%d", c), "PUT", "/m", t, 503))
				if a < 4 {
					t += 1 + 100<<a
				}
			}
			t += 1 + 1000
		}
		vs := judge(scenarios.Expect{Backoff: &scenarios.BackoffExpect{Jitter: &yes}}, observe.Input{Journal: j})
		v := byName(vs, "backoff.jitter")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Got).To(Equal("false"), v.Message)
	})

	It("judges backoff on the waits of evidence runs pooled with the primary run's, and says how many", func() {
		run := func(seed int) *observe.Observations {
			var j []observe.Request
			t := 0
			for a := range 5 {
				j = append(j, sdk("inv", "GET", "/k", t, 503))
				// botocore legacy: rand()·2^i s, here fixed draws per seed.
				t += 1 + int(float64(int(1000)<<a)*math.Mod(0.37*float64(seed+a+1)*1.618, 1))
			}
			return observe.Observe(observe.Input{Journal: j})
		}
		e := scenarios.Expect{Backoff: &scenarios.BackoffExpect{Jitter: &yes}}
		alone := byName(expect.Judge(expect.Input{Expect: e, Obs: run(1), Timeout: time.Minute}), "backoff.jitter")
		Expect(alone.Inconclusive).To(BeTrue())
		Expect(expect.NeedsEvidence(expect.Judge(expect.Input{Expect: e, Obs: run(1), Timeout: time.Minute}))).To(BeTrue())

		in := expect.Input{Expect: e, Obs: run(1), Timeout: time.Minute, Evidence: []*observe.Observations{run(2), run(3), run(4)}, EvidenceDropped: 1}
		v := byName(expect.Judge(in), "backoff.jitter")
		Expect(v.Passed).To(BeTrue(), v.Message)
		Expect(v.Evidence).NotTo(BeNil())
		Expect(v.Evidence.Runs).To(Equal(4))
		Expect(v.Evidence.Waits).To(Equal(16))
		Expect(v.Evidence.Dropped).To(Equal(1))
		Expect(v.Message).To(HavePrefix("backoff.jitter: jittered: judged 16 waits from 4 runs (the primary and 3 evidence runs); 1 evidence run dropped for an infrastructure error: "))
		Expect(v.Message).NotTo(ContainSubstring("inconclusive"))
	})
})

var _ = Describe("faults_fired", func() {
	faults := func() []*scenarios.Fault {
		opt := true
		return []*scenarios.Fault{
			{Name: "one-503", Target: "storage", Match: &scenarios.Match{Method: scenarios.Methods{"GET"}, Path: "/features/*"}, Action: scenarios.Action{Action: &injectors.Status{Code: 503}}},
			{Name: "maybe", Target: "storage", Action: scenarios.Action{Action: &injectors.Status{Code: 500}}, Optional: &opt},
		}
	}

	It("holds when every required fault injected, optional ones aside", func() {
		f := req("storage", "GET", "/features/a", 0, 503)
		f.Fault = "one-503"
		vs := expect.Judge(expect.Input{Faults: faults(), Obs: observe.Observe(observe.Input{Journal: []observe.Request{f}}), Timeout: time.Minute})
		v := byName(vs, "faults_fired")
		Expect(v.Passed).To(BeTrue())
		Expect(v.Want).To(Equal("each of 1 faults injects"))
		Expect(v.Got).To(Equal("1 of 1 injected"))
		Expect(vs[len(vs)-2].Name).To(Equal("faults_fired")) // before timeout
	})

	It("fails a scenario whose workload never reached its fault, naming what the target saw", func() {
		vs := expect.Judge(expect.Input{Faults: faults(), Obs: observe.Observe(observe.Input{}), Timeout: time.Minute,
			WorkloadLog: "out/s/workload-run1-attempt0.log"})
		v := byName(vs, "faults_fired")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Got).To(Equal("0 of 1 injected"))
		Expect(v.Message).To(Equal("faults_fired: one-503 never injected (storage saw 0 requests — did the workload start? see out/s/workload-run1-attempt0.log)"))

		j := []observe.Request{req("storage", "PUT", "/models/m", 0, 200), req("storage", "PUT", "/models/m", 10, 200), req("storage", "GET", "/other", 20, 200)}
		v = byName(expect.Judge(expect.Input{Faults: faults(), Obs: observe.Observe(observe.Input{Journal: j}), Timeout: time.Minute}), "faults_fired")
		Expect(v.Message).To(Equal("faults_fired: one-503 never injected (storage saw 3 requests: PUT /models/m ×2, GET /other ×1; none matched GET /features/*)"))
	})
})
