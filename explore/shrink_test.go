package explore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/explore"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// A property is a synthetic judge: the expectations a schedule breaks.
type property func(faults []*scenarios.Fault) []string

// synthetic is a Check that judges with prop, runs nothing, and counts.
// flaky, when set, makes the first run of each schedule it holds for
// fail outcome as well (a failure that does not reproduce).
type synthetic struct {
	prop  property
	flaky func(faults []*scenarios.Fault) bool

	mu    sync.Mutex
	runs  int
	calls int
	seen  map[string]int
}

func (s *synthetic) check(ctx context.Context, schedules [][]*scenarios.Fault) ([]explore.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.calls++
	out := make([]explore.Verdict, len(schedules))
	for i, f := range schedules {
		s.runs++
		key := explore.Describe(f)
		s.seen[key]++
		v := explore.Verdict{Failed: s.prop(f), Fired: map[string]int{}}
		for _, fl := range f {
			v.Fired[fl.Name] = 1
		}
		if s.flaky != nil && s.flaky(f) && s.seen[key] == 1 && !slices.Contains(v.Failed, "outcome") {
			v.Failed = append(v.Failed, "outcome")
		}
		out[i] = v
	}
	return out, nil
}

// Helpers that build faults as Draw does.

func fault(target, method, path string, a injectors.Action, times int) *scenarios.Fault {
	return &scenarios.Fault{Target: target, Match: &scenarios.Match{Method: scenarios.Methods{method}, Path: path},
		Action: scenarios.Action{Action: a}, Times: &times, On: scenarios.OnRequest, Optional: ptr(true)}
}

func ptr[T any](v T) *T { return &v }

func status(code int) injectors.Action { return &injectors.Status{Code: code} }

func crash(d time.Duration) injectors.Action { return &injectors.Crash{RestartAfter: &d} }

func workerCrash(path string) *scenarios.Fault {
	return &scenarios.Fault{Target: scenarios.WorkloadTarget, Via: "storage", On: scenarios.OnResponse,
		Match:  &scenarios.Match{Method: scenarios.Methods{"PUT"}, Path: path},
		Action: scenarios.Action{Action: &injectors.Crash{}}, Times: ptr(1), Optional: ptr(true)}
}

// injections is how many requests to (target, path) a schedule fails,
// with a given kind, assuming every request is retried until it passes
// and each fault injects its times.
func injections(faults []*scenarios.Fault, path string, kinds ...string) int {
	n := 0
	for _, f := range faults {
		if f.Match != nil && f.Match.Path == path && f.Target != scenarios.WorkloadTarget && slices.Contains(kinds, explore.KindOf(f)) {
			n += *f.Times
		}
	}
	return n
}

// Retries: a weak policy of 2 attempts fails outcome when a read fails
// twice (any transient kind), and pages when the write's worker crash
// meets a 500 on the schema.
var twoAttempts property = func(faults []*scenarios.Fault) []string {
	var out []string
	if injections(faults, "/features/day/part-0.bin", "503", "500", "429", explore.KindReset, explore.KindDelay) >= 2 {
		out = append(out, "outcome")
	}
	return out
}

var kinds = explore.Transient

var space = explore.Space{
	Resources: []explore.Resource{
		{Target: "feature-api", Method: "GET", Path: "/v1/schema"},
		{Target: "feature-api", Method: "POST", Path: "/v1/runs"},
		{Target: "storage", Method: "GET", Path: "/features/day/part-0.bin"},
		{Target: "storage", Method: "GET", Path: "/features/day/part-1.bin"},
		{Target: "storage", Method: "HEAD", Path: "/models/*/model.bin"},
		{Target: "storage", Method: "PUT", Path: "/models/*/model.bin"},
	},
	Writes:         []explore.Resource{{Target: "storage", Method: "PUT", Path: "/models/*/model.bin"}},
	Restarts:       1,
	AttemptTimeout: 2 * time.Second,
	RunTimeout:     30 * time.Second,
	Duration:       400 * time.Millisecond,
}

// confirmed runs start through check twice, as Search hands it over.
func confirmed(s *synthetic, start []*scenarios.Fault) *explore.Confirmed {
	start = explore.Named(start)
	f := s.prop(start)
	Expect(f).NotTo(BeEmpty(), "the start schedule fails")
	return &explore.Confirmed{Faults: start, Failed: f, Verdicts: [2]explore.Verdict{{Failed: f}, {Failed: f}}}
}

// localMinimum asserts that no candidate one step smaller than faults
// still fails: what greedy shrinking promises.
func localMinimum(prop property, faults []*scenarios.Fault, failed []string) {
	for _, c := range explore.Candidates(faults, kinds, space) {
		f := prop(c)
		Expect(slices.ContainsFunc(f, func(n string) bool { return slices.Contains(failed, n) })).To(BeFalse(),
			"candidate %s of %s still fails %v", explore.Describe(c), explore.Describe(faults), f)
	}
}

var _ = Describe("Shrink on a synthetic property", func() {
	ctx := context.Background()

	It("drops the faults that do not matter, lowers counts, removes skips and start times and simplifies the action", func() {
		s := &synthetic{prop: twoAttempts}
		start := []*scenarios.Fault{
			fault("storage", "HEAD", "/models/*/model.bin", &injectors.Reset{On: true}, 3),
			fault("storage", "GET", "/features/day/part-0.bin", &injectors.Delay{D: 3 * time.Second}, 4),
			fault("feature-api", "POST", "/v1/runs", status(500), 2),
			workerCrash("/models/*/model.bin"),
		}
		start[1].Skip, start[1].After = ptr(2), ptr(120*time.Millisecond)
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(explore.Describe(res.Faults)).To(Equal("storage-503: status 503 on GET /features/day/part-0.bin (storage), times 2"))
		Expect(res.Failed).To(Equal([]string{"outcome"}))
		localMinimum(twoAttempts, res.Faults, res.Failed)
		Expect(res.Steps).To(BeNumerically(">=", 5))
		Expect(res.Runs).To(Equal(s.runs))
		Expect(res.Runs).To(Equal(res.Tried+res.Steps), "every accepted step was run a second time, nothing else was")
	})

	It("keeps two faults when only their combination breaks the property", func() {
		both := func(faults []*scenarios.Fault) []string {
			if injections(faults, "/v1/schema", "503", "500", "429", explore.KindReset) >= 1 &&
				injections(faults, "/features/day/part-1.bin", "503", "500", "429", explore.KindReset) >= 1 {
				return []string{"pages"}
			}
			return nil
		}
		s := &synthetic{prop: both}
		start := []*scenarios.Fault{
			fault("feature-api", "GET", "/v1/schema", &injectors.Reset{On: true}, 4),
			fault("storage", "GET", "/features/day/part-0.bin", status(503), 1),
			fault("storage", "GET", "/features/day/part-1.bin", &injectors.Status{Code: 429, RetryAfter: &injectors.RetryAfter{Delay: time.Second}}, 3),
		}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(explore.Describe(res.Faults)).To(Equal("feature-api-503: status 503 on GET /v1/schema (feature-api), times 1; " +
			"storage-503: status 503 on GET /features/day/part-1.bin (storage), times 1"))
		localMinimum(both, res.Faults, res.Failed)
	})

	It("merges two faults of one action on one request into one of their summed count", func() {
		s := &synthetic{prop: twoAttempts}
		start := []*scenarios.Fault{
			fault("storage", "GET", "/features/day/part-0.bin", status(503), 1),
			fault("feature-api", "GET", "/v1/schema", status(500), 1),
			fault("storage", "GET", "/features/day/part-0.bin", status(503), 1),
		}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(explore.Describe(res.Faults)).To(Equal("storage-503: status 503 on GET /features/day/part-0.bin (storage), times 2"))
		localMinimum(twoAttempts, res.Faults, res.Failed)
	})

	It("brings a crash's restart forward as far as the property allows, and keeps the crash when nothing simpler fails", func() {
		longOutage := func(faults []*scenarios.Fault) []string {
			for _, f := range faults {
				if c, ok := f.Action.Action.(*injectors.Crash); ok && c.RestartAfter != nil && *c.RestartAfter >= 400*time.Millisecond {
					return []string{"outcome"}
				}
			}
			return nil
		}
		s := &synthetic{prop: longOutage}
		start := []*scenarios.Fault{fault("storage", "HEAD", "/models/*/model.bin", crash(2*time.Second), 1)}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(explore.Describe(res.Faults)).To(Equal("storage-crash: crash, restart after 500ms on HEAD /models/*/model.bin (storage), times 1"))
		localMinimum(longOutage, res.Faults, res.Failed)
	})

	It("does not let a failure that does not reproduce steer it", func() {
		// Every schedule whose faults fire once fails on its first run
		// only: greedy shrinking without confirmation would take it.
		s := &synthetic{prop: twoAttempts, flaky: func(f []*scenarios.Fault) bool {
			return len(f) == 1 && *f[0].Times == 1
		}}
		start := []*scenarios.Fault{fault("storage", "GET", "/features/day/part-0.bin", status(503), 4)}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(*res.Faults[0].Times).To(Equal(2))
		Expect(s.seen["storage-503: status 503 on GET /features/day/part-0.bin (storage), times 1"]).To(Equal(3),
			"the flaky candidate was tried from times 4 (failed, then held on its replay) and from times 2 (held), and never taken")
	})

	It("only takes candidates that fail on an expectation every step so far failed", func() {
		// The start fails outcome and pages; one smaller candidate fails
		// only alerts.info, which is a different failure.
		prop := func(f []*scenarios.Fault) []string {
			switch {
			case len(f) == 2:
				return []string{"outcome", "pages"}
			case len(f) == 1 && explore.KindOf(f[0]) == "500":
				return []string{"alerts.info"}
			case len(f) == 1:
				return []string{"pages"}
			}
			return nil
		}
		s := &synthetic{prop: prop}
		start := []*scenarios.Fault{
			fault("storage", "GET", "/features/day/part-0.bin", status(500), 1),
			fault("storage", "GET", "/features/day/part-1.bin", status(503), 1),
		}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failed).To(Equal([]string{"pages"}))
		Expect(explore.Describe(res.Faults)).To(Equal("storage-503: status 503 on GET /features/day/part-1.bin (storage), times 1"))
	})

	It("returns what it has when the context ends", func() {
		ctx, cancel := context.WithCancel(context.Background())
		s := &synthetic{prop: func(f []*scenarios.Fault) []string {
			if len(f) > 0 {
				cancel()
				return []string{"outcome"}
			}
			return nil
		}}
		start := []*scenarios.Fault{
			fault("storage", "GET", "/features/day/part-0.bin", status(503), 3),
			fault("storage", "GET", "/features/day/part-1.bin", status(503), 3),
		}
		res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space})
		Expect(errors.Is(err, context.Canceled)).To(BeTrue())
		Expect(res.Faults).To(HaveLen(2), "the last confirmed schedule")
	})

	It("ends at a local minimum, with the same result whatever --parallel is, on 300 random schedules", func() {
		// A property with interactions: fails outcome when part-0 fails
		// twice or the schema fails three times; pages when any crash
		// restarts after 1s or more together with a 5xx on the runs API.
		prop := func(f []*scenarios.Fault) []string {
			var out []string
			t := []string{"503", "500", "429", explore.KindReset, explore.KindDelay}
			if injections(f, "/features/day/part-0.bin", t...) >= 2 || injections(f, "/v1/schema", t...) >= 3 {
				out = append(out, "outcome")
			}
			slow := slices.ContainsFunc(f, func(x *scenarios.Fault) bool {
				c, ok := x.Action.Action.(*injectors.Crash)
				return ok && c.RestartAfter != nil && *c.RestartAfter >= time.Second
			})
			if slow && injections(f, "/v1/runs", "503", "500") >= 1 {
				out = append(out, "pages")
			}
			return out
		}
		shrunk := 0
		for seed := range 300 {
			start := explore.Draw(rand.New(rand.NewPCG(uint64(seed), 7)), space, kinds)
			if len(prop(start)) == 0 {
				continue
			}
			shrunk++
			var results []string
			for _, p := range []int{1, 3} {
				s := &synthetic{prop: prop}
				res, err := explore.Shrink(ctx, s.check, confirmed(s, start), explore.ShrinkOptions{Kinds: kinds, Space: space, Parallel: p})
				Expect(err).NotTo(HaveOccurred())
				Expect(res.Faults).NotTo(BeEmpty())
				Expect(len(res.Faults)).To(BeNumerically("<=", len(start)))
				Expect(prop(res.Faults)).To(ContainElement(res.Failed[0]))
				localMinimum(prop, res.Faults, res.Failed)
				results = append(results, fmt.Sprintf("%s %v", explore.Describe(res.Faults), res.Failed))
			}
			Expect(results[1]).To(Equal(results[0]), "seed %d: --parallel changes nothing", seed)
		}
		Expect(shrunk).To(BeNumerically(">", 50), "enough random schedules failed to say something")
	})
})

var _ = Describe("Search", func() {
	ctx := context.Background()
	// Trial n's schedule is 503 on part-0 n times: trials 1 hold, 2 and
	// on fail (twoAttempts).
	draw := func(n int) []*scenarios.Fault {
		return explore.Named([]*scenarios.Fault{fault("storage", "GET", "/features/day/part-0.bin", status(503), n)})
	}

	It("stops at the first trial that fails twice", func() {
		s := &synthetic{prop: twoAttempts}
		res, err := explore.Search(ctx, s.check, explore.SearchOptions{Trials: 10, Draw: draw})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Trial).To(Equal(2))
		Expect(res.Ran).To(Equal(2))
		Expect(res.Found.Failed).To(Equal([]string{"outcome"}))
		Expect(s.runs).To(Equal(3), "trial 1, trial 2 and its replay")
	})

	It("records a failure that does not reproduce as flaky and goes on", func() {
		s := &synthetic{prop: func(f []*scenarios.Fault) []string {
			if *f[0].Times >= 4 {
				return []string{"outcome"}
			}
			return nil
		}, flaky: func(f []*scenarios.Fault) bool { return *f[0].Times == 2 }}
		res, err := explore.Search(ctx, s.check, explore.SearchOptions{Trials: 10, Draw: draw})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Flaky).To(Equal([]int{2}))
		Expect(res.Trial).To(Equal(4))
	})

	It("takes the first failing trial in order whatever --parallel is, and finds none in a budget without one", func() {
		s := &synthetic{prop: func(f []*scenarios.Fault) []string {
			if *f[0].Times == 5 || *f[0].Times == 7 {
				return []string{"outcome"}
			}
			return nil
		}}
		res, err := explore.Search(ctx, s.check, explore.SearchOptions{Trials: 10, Parallel: 4, Draw: draw})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Trial).To(Equal(5))
		Expect(s.calls).To(Equal(3), "trials 1-4, trials 5-8, the replay of 5")

		none, err := explore.Search(ctx, (&synthetic{prop: func([]*scenarios.Fault) []string { return nil }}).check,
			explore.SearchOptions{Trials: 6, Parallel: 4, Draw: draw})
		Expect(err).NotTo(HaveOccurred())
		Expect(none.Found).To(BeNil())
		Expect(none.Ran).To(Equal(6))
	})
})
