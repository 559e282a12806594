package explore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// Verdict is what one run of a schedule showed about the property.
type Verdict struct {
	// Failed names the property's expectations that failed, in report
	// order.
	Failed []string
	// Fired counts each fault's injections, by fault name.
	Fired map[string]int
	// Error is an infrastructure error: the run says nothing about the
	// property (neither a pass nor a failure).
	Error string
}

// Check runs every schedule once (at most Parallel at once, as the caller
// sees fit) and returns one Verdict per schedule, in order. An error means
// nothing could be run (the context was cancelled, or the outputs could
// not be written).
type Check func(ctx context.Context, schedules [][]*scenarios.Fault) ([]Verdict, error)

// Event is a step of an exploration, for progress output.
type Event struct {
	// Line says what happened in one line.
	Line string
	// Lasting marks a line worth keeping (a finding, a shrink step, the
	// result); the others are progress, worth showing only until the next
	// line on a terminal.
	Lasting bool
	// Tick marks a bare progress counter, for a terminal only ("3 of 12
	// candidates tried"); a log has no use for it.
	Tick bool
}

// Confirmed is a schedule whose failure reproduced: two runs of it broke
// the property.
type Confirmed struct {
	Faults []*scenarios.Fault
	// Failed are the expectations that failed in both runs (and, while
	// shrinking, in every step before).
	Failed []string
	// Verdicts are the two runs' verdicts.
	Verdicts [2]Verdict
}

// confirm runs a schedule whose first run v failed once more and returns
// it when the second run fails too, on at least one of the expectations
// in within (nil: any) that the first run failed.
func confirm(ctx context.Context, check Check, faults []*scenarios.Fault, v Verdict, within []string) (*Confirmed, error) {
	vs, err := check(ctx, [][]*scenarios.Fault{faults})
	if err != nil {
		return nil, err
	}
	common := intersect(v.Failed, vs[0].Failed)
	if within != nil {
		common = intersect(common, within)
	}
	if vs[0].Error != "" || len(common) == 0 {
		return nil, nil
	}
	return &Confirmed{Faults: faults, Failed: common, Verdicts: [2]Verdict{v, vs[0]}}, nil
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// SearchOptions configure Search.
type SearchOptions struct {
	// Trials is the budget of schedules; default 50.
	Trials int
	// Parallel is how many trials run at once; default 1. Trials are
	// still judged in order: the first failing one wins.
	Parallel int
	// Draw returns the schedule of trial n (1..Trials).
	Draw func(n int) []*scenarios.Fault
	// Progress, when set, sees every step.
	Progress func(Event)
}

// SearchResult is what Search found.
type SearchResult struct {
	// Found is the first trial whose failure reproduced; nil when none
	// did within the budget.
	Found *Confirmed
	// Trial is Found's trial number.
	Trial int
	// Ran counts the trials run (confirmation runs aside).
	Ran int
	// Flaky are the trials that failed once and held on the second run:
	// not counted, and not shrunk.
	Flaky []int
	// Errored are the trials whose run hit an infrastructure error.
	Errored []int
}

// Search runs trials in order, Parallel at a time, until one breaks the
// property twice in a row, and returns it; a failure that does not
// reproduce is recorded as flaky and the search goes on.
func Search(ctx context.Context, check Check, o SearchOptions) (*SearchResult, error) {
	if o.Trials <= 0 {
		o.Trials = 50
	}
	o.Parallel = max(o.Parallel, 1)
	res := &SearchResult{}
	for next := 1; next <= o.Trials; {
		var batch [][]*scenarios.Fault
		first := next
		for ; next <= o.Trials && len(batch) < o.Parallel; next++ {
			batch = append(batch, o.Draw(next))
		}
		vs, err := check(ctx, batch)
		if err != nil {
			return res, err
		}
		for i, v := range vs {
			n := first + i
			res.Ran++
			switch {
			case v.Error != "":
				res.Errored = append(res.Errored, n)
				progress(o.Progress, true, "trial %d/%d: infrastructure error, not judged: %s", n, o.Trials, v.Error)
				continue
			case len(v.Failed) == 0:
				progress(o.Progress, false, "trial %d/%d: held (%s)", n, o.Trials, Describe(batch[i]))
				continue
			}
			c, err := confirm(ctx, check, batch[i], v, nil)
			if err != nil {
				return res, err
			}
			if c == nil {
				res.Flaky = append(res.Flaky, n)
				progress(o.Progress, true, "trial %d/%d: failed %s once, held on the replay: flaky, not counted (%s)",
					n, o.Trials, strings.Join(v.Failed, ", "), Describe(batch[i]))
				continue
			}
			res.Found, res.Trial = c, n
			progress(o.Progress, true, "trial %d/%d: FAILED %s, twice (%s)", n, o.Trials, strings.Join(c.Failed, ", "), Describe(c.Faults))
			return res, nil
		}
	}
	return res, nil
}

// ShrinkOptions configure Shrink.
type ShrinkOptions struct {
	// Kinds are the action kinds an action may be simplified to (the
	// --actions set); a fault's action is only ever replaced by a simpler
	// one (see Candidates).
	Kinds []string
	// Space rebuilds actions (a delay's length) when simplifying.
	Space Space
	// Parallel is how many candidates run at once; default 1. The first
	// failing candidate in order wins, whatever Parallel is.
	Parallel int
	// MaxSteps bounds the accepted steps; default 100. The order on
	// schedules that every step descends makes this a guard, not a limit
	// that is reached.
	MaxSteps int
	// Progress, when set, sees every step.
	Progress func(Event)
}

// ShrinkResult is the smallest schedule Shrink found.
type ShrinkResult struct {
	Confirmed
	// Steps counts the accepted steps; Tried the candidates run; Runs
	// every run, confirmations included.
	Steps, Tried, Runs int
}

// Shrink reduces a confirmed failing schedule to the smallest one it can
// find that still fails, greedily: it tries the Candidates of the current
// schedule in order, takes the first that fails the same way twice (on at
// least one expectation the schedule so far failed every time), and starts
// again from it, until no candidate fails. A candidate that fails once and
// holds on its replay does not steer the shrink.
func Shrink(ctx context.Context, check Check, start *Confirmed, o ShrinkOptions) (*ShrinkResult, error) {
	o.Parallel = max(o.Parallel, 1)
	if o.MaxSteps <= 0 {
		o.MaxSteps = 100
	}
	res := &ShrinkResult{Confirmed: *start}
	counting := func(ctx context.Context, s [][]*scenarios.Fault) ([]Verdict, error) {
		res.Runs += len(s)
		return check(ctx, s)
	}
	for res.Steps < o.MaxSteps {
		cands := Candidates(res.Faults, o.Kinds, o.Space)
		var next *Confirmed
	batches:
		for i := 0; i < len(cands); i += o.Parallel {
			batch := cands[i:min(i+o.Parallel, len(cands))]
			vs, err := counting(ctx, batch)
			if err != nil {
				return res, err
			}
			res.Tried += len(batch)
			for j, v := range vs {
				if v.Error != "" || len(intersect(v.Failed, res.Failed)) == 0 {
					continue
				}
				c, err := confirm(ctx, counting, batch[j], v, res.Failed)
				if err != nil {
					return res, err
				}
				if c == nil {
					progress(o.Progress, true, "shrink: %s failed once, held on the replay: flaky, skipped", Describe(batch[j]))
					continue
				}
				next = c
				break batches
			}
			if o.Progress != nil {
				o.Progress(Event{Line: fmt.Sprintf("shrinking: %d steps taken, %d of %d candidates of the next tried", res.Steps,
					min(i+o.Parallel, len(cands)), len(cands)), Tick: true})
			}
		}
		if next == nil {
			break
		}
		res.Confirmed = *next
		res.Steps++
		progress(o.Progress, true, "shrink step %d: %s still fails %s", res.Steps, Describe(next.Faults), strings.Join(next.Failed, ", "))
	}
	return res, nil
}

// Candidates are the schedules one step smaller than faults, in the order
// Shrink tries them: each fault dropped (while more than one is left),
// two faults of one action on one request merged into one of their summed
// count; then per fault its count lowered (to 1, halved, minus one), its skip
// removed or lowered, its start moved earlier (removed, halved), a crash's
// restart brought forward, and its action replaced by a simpler kind among
// kinds (503 < 500 < other statuses < 429 < reset < delay < crash <
// worker-crash). Every candidate is smaller in that order, fault count
// first, so shrinking ends.
func Candidates(faults []*scenarios.Fault, kinds []string, sp Space) [][]*scenarios.Fault {
	var out [][]*scenarios.Fault
	seen := map[string]bool{Describe(faults): true}
	add := func(c []*scenarios.Fault) {
		c = Named(c)
		if key := Describe(c); !seen[key] {
			seen[key] = true
			out = append(out, c)
		}
	}
	if len(faults) > 1 {
		for i := range faults {
			c := clone(faults)
			add(append(c[:i], c[i+1:]...))
		}
		// Two faults of one kind on one request, both counted and
		// unconditioned, are one fault of their summed count.
		for i := range faults {
			for j := i + 1; j < len(faults); j++ {
				a, b := faults[i], faults[j]
				if KindOf(a) != KindOf(b) || resourceOf(a) != resourceOf(b) || !plain(a) || !plain(b) || a.Action.String() != b.Action.String() {
					continue
				}
				c := clone(faults)
				c[i].Times = ptr(*a.Times + *b.Times)
				add(append(c[:j], c[j+1:]...))
			}
		}
	}
	each := func(i int, change func(f *scenarios.Fault) bool) {
		c := clone(faults)
		if change(c[i]) {
			add(c)
		}
	}
	for i, f := range faults {
		if f.Times == nil {
			each(i, func(f *scenarios.Fault) bool { f.Times = ptr(1); return true })
		} else {
			for _, t := range lower(*f.Times, 1) {
				each(i, func(f *scenarios.Fault) bool { f.Times = ptr(t); return true })
			}
		}
		if f.Skip != nil {
			each(i, func(f *scenarios.Fault) bool { f.Skip = nil; return true })
			for _, s := range lower(*f.Skip, 1) {
				each(i, func(f *scenarios.Fault) bool { f.Skip = ptr(s); return true })
			}
		}
		if f.After != nil {
			each(i, func(f *scenarios.Fault) bool { f.After = nil; return true })
			if half := (*f.After / 2).Truncate(10 * time.Millisecond); half > 0 {
				each(i, func(f *scenarios.Fault) bool { f.After = ptr(half); return true })
			}
		}
		if cr, ok := f.Action.Action.(*injectors.Crash); ok && cr.RestartAfter != nil && *cr.RestartAfter > 100*time.Millisecond {
			half := max((*cr.RestartAfter / 2).Truncate(10*time.Millisecond), 100*time.Millisecond)
			each(i, func(f *scenarios.Fault) bool {
				f.Action.Action.(*injectors.Crash).RestartAfter = ptr(half)
				return true
			})
		}
		kind := KindOf(f)
		simpler := slices.Clone(kinds)
		slices.SortStableFunc(simpler, func(a, b string) int { return rank(a) - rank(b) })
		for _, k := range simpler {
			if rank(k) >= rank(kind) || k == KindWorkerCrash {
				continue
			}
			res := resourceOf(f)
			if res.Method == "" {
				continue
			}
			each(i, func(f *scenarios.Fault) bool { set(f, k, res, sp); return true })
		}
	}
	return out
}

// plain reports a fault with a count and no other condition.
func plain(f *scenarios.Fault) bool {
	return f.Times != nil && f.Skip == nil && f.After == nil && f.Until == nil && f.Every == nil && f.Probability == nil
}

// lower returns the counts below n to try, smallest change last: floor,
// n/2, n-1 (each once, each >= floor, each < n).
func lower(n, floor int) []int {
	var out []int
	for _, c := range []int{floor, n / 2, n - 1} {
		if c >= floor && c < n && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func progress(f func(Event), lasting bool, format string, args ...any) {
	if f != nil {
		f(Event{Line: fmt.Sprintf(format, args...), Lasting: lasting})
	}
}
