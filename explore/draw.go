package explore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// The action kinds explore draws, by the names --actions takes. A status
// number names a status fault of that code; 429 carries a Retry-After.
const (
	KindReset       = "reset"        // a TCP reset, no response
	KindDelay       = "delay"        // held longer than the policy's attempt timeout
	KindCrash       = "crash"        // the target crashes on a request and restarts
	KindWorkerCrash = "worker-crash" // the workload dies right after a write was stored
)

// Transient is the default action set: what a retry policy should
// absorb. Permanent statuses are drawn only when asked for.
var (
	Transient = []string{"503", "500", "429", KindReset, KindDelay, KindCrash, KindWorkerCrash}
	Permanent = []string{"400", "401", "403", "404"}
)

// ParseActions reads the --actions list: action names, status codes
// (400..599), "transient" (Transient) and "permanent" (Permanent). An
// empty list is Transient.
func ParseActions(list []string) ([]string, error) {
	if len(list) == 0 {
		return slices.Clone(Transient), nil
	}
	var out []string
	add := func(k string) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, item := range list {
		item = strings.TrimSpace(strings.ToLower(item))
		switch item {
		case "transient":
			for _, k := range Transient {
				add(k)
			}
		case "permanent":
			for _, k := range Permanent {
				add(k)
			}
		case KindReset, KindDelay, KindCrash, KindWorkerCrash:
			add(item)
		default:
			code, err := strconv.Atoi(item)
			if err != nil || code < 400 || code > 599 {
				return nil, fmt.Errorf("unknown action %q: want transient, permanent, reset, delay, crash, worker-crash or a status 400..599", item)
			}
			add(item)
		}
	}
	return out, nil
}

// rank orders action kinds from simple to elaborate, for shrinking: a
// plain 503 is the simplest fault there is.
func rank(kind string) int {
	switch kind {
	case "503":
		return 0
	case "500":
		return 1
	case "429":
		return 3
	case KindReset:
		return 4
	case KindDelay:
		return 5
	case KindCrash:
		return 6
	case KindWorkerCrash:
		return 7
	}
	return 2 // any other status
}

// Applicable returns the kinds of kinds that have something to act on in
// sp: a worker crash needs a write and a workload that restarts.
func Applicable(kinds []string, sp Space) []string {
	var out []string
	for _, k := range kinds {
		switch {
		case k == KindWorkerCrash && (len(sp.Writes) == 0 || sp.Restarts == 0):
		case len(sp.Resources) == 0:
		default:
			out = append(out, k)
		}
	}
	return out
}

// TrialRand is the random source of trial n (1..) of an exploration with
// seed: each trial's schedule depends on the seed and its number alone.
func TrialRand(seed int64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(n)))
}

// Draw draws a schedule of 1 to 4 faults over sp, each of one of kinds
// (those that apply) on one resource, with its count, skip and start time
// from rng. Every fault is optional: a drawn fault that never fires is
// not a failure (the shrinker drops it). It returns nil when no kind
// applies.
func Draw(rng *rand.Rand, sp Space, kinds []string) []*scenarios.Fault {
	kinds = Applicable(kinds, sp)
	if len(kinds) == 0 {
		return nil
	}
	n := 1 + rng.IntN(4)
	var out []*scenarios.Fault
	for len(out) < n {
		k := kinds[rng.IntN(len(kinds))]
		pool := sp.Resources
		if k == KindWorkerCrash {
			pool = sp.Writes
		}
		res := pool[rng.IntN(len(pool))]
		f := &scenarios.Fault{}
		switch k {
		case KindCrash:
			f.Times = ptr(1)
			ra := []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second}[rng.IntN(3)]
			f.Action.Action = &injectors.Crash{RestartAfter: &ra}
		case KindWorkerCrash:
			f.Times = ptr(1)
		case KindDelay:
			f.Times = ptr(1 + rng.IntN(2))
		default:
			f.Times = ptr(1 + rng.IntN(4))
		}
		if rng.Float64() < 0.25 {
			f.Skip = ptr(1 + rng.IntN(2))
		}
		if sp.Duration > 0 && rng.Float64() < 0.15 {
			if after := (time.Duration(rng.Int64N(int64(sp.Duration/2)+1)) / (10 * time.Millisecond)) * 10 * time.Millisecond; after > 0 {
				f.After = &after
			}
		}
		set(f, k, res, sp)
		out = append(out, f)
	}
	return Named(out)
}

// set makes f a fault of kind on res, keeping its schedule (and a crash's
// restart_after when it already is a crash).
func set(f *scenarios.Fault, kind string, res Resource, sp Space) {
	f.Target, f.Via, f.On = res.Target, "", scenarios.OnRequest
	f.Match = &scenarios.Match{Method: scenarios.Methods{res.Method}, Path: res.Path}
	f.Optional = ptr(true)
	switch kind {
	case KindReset:
		f.Action.Action = &injectors.Reset{On: true}
	case KindDelay:
		f.Action.Action = &injectors.Delay{D: delayFor(sp)}
	case KindCrash:
		if _, ok := f.Action.Action.(*injectors.Crash); !ok {
			ra := time.Second
			f.Action.Action = &injectors.Crash{RestartAfter: &ra}
		}
	case KindWorkerCrash:
		f.Target, f.Via, f.On = scenarios.WorkloadTarget, res.Target, scenarios.OnResponse
		f.Action.Action = &injectors.Crash{}
	case "429":
		f.Action.Action = &injectors.Status{Code: 429, RetryAfter: &injectors.RetryAfter{Delay: time.Second}}
	default:
		code, _ := strconv.Atoi(kind)
		f.Action.Action = &injectors.Status{Code: code}
	}
}

// delayFor is the delay of a delay fault: a second longer than the
// policy's attempt timeout (5s without a policy), at most the run timeout.
func delayFor(sp Space) time.Duration {
	d := 5 * time.Second
	if sp.AttemptTimeout > 0 {
		d = sp.AttemptTimeout + time.Second
	}
	if sp.RunTimeout > 0 && d > sp.RunTimeout {
		d = sp.RunTimeout
	}
	return d
}

// KindOf names the kind of a fault explore drew (or shrank).
func KindOf(f *scenarios.Fault) string {
	switch a := f.Action.Action.(type) {
	case *injectors.Status:
		return strconv.Itoa(a.Code)
	case *injectors.Reset:
		return KindReset
	case *injectors.Delay:
		return KindDelay
	case *injectors.Crash:
		if f.Target == scenarios.WorkloadTarget {
			return KindWorkerCrash
		}
		return KindCrash
	}
	return f.Action.Kind()
}

// resourceOf is the resource a fault acts on.
func resourceOf(f *scenarios.Fault) Resource {
	r := Resource{Target: f.Target}
	if f.Target == scenarios.WorkloadTarget {
		r.Target = f.Via
	}
	if f.Match != nil {
		if len(f.Match.Method) > 0 {
			r.Method = f.Match.Method[0]
		}
		r.Path = f.Match.Path
	}
	return r
}

// Named returns faults with names that say what they do:
// <target>-<kind> (storage-503, feature-api-delay, worker-crash), with -2,
// -3 ... where two would be called the same.
func Named(faults []*scenarios.Fault) []*scenarios.Fault {
	used := map[string]int{}
	for _, f := range faults {
		base := f.Target + "-" + KindOf(f)
		if f.Target == scenarios.WorkloadTarget {
			base = KindWorkerCrash
		}
		used[base]++
		f.Name = base
		if n := used[base]; n > 1 {
			f.Name = fmt.Sprintf("%s-%d", base, n)
		}
	}
	return faults
}

func ptr[T any](v T) *T { return &v }

// clone copies a schedule deeply enough that changing a copy's fault
// (its schedule, action or name) leaves the original alone.
func clone(faults []*scenarios.Fault) []*scenarios.Fault {
	out := make([]*scenarios.Fault, len(faults))
	for i, f := range faults {
		c := *f
		if f.Match != nil {
			m := *f.Match
			c.Match = &m
		}
		for _, p := range []**int{&c.Times, &c.Skip, &c.Every} {
			if *p != nil {
				*p = ptr(**p)
			}
		}
		if c.After != nil {
			c.After = ptr(*c.After)
		}
		if c.Optional != nil {
			c.Optional = ptr(*c.Optional)
		}
		if cr, ok := c.Action.Action.(*injectors.Crash); ok {
			cc := *cr
			if cr.RestartAfter != nil {
				cc.RestartAfter = ptr(*cr.RestartAfter)
			}
			c.Action.Action = &cc
		}
		out[i] = &c
	}
	return out
}

// Describe renders a schedule in one line for people: "storage-503 GET
// /features/* times 2; worker-crash ...".
func Describe(faults []*scenarios.Fault) string {
	if len(faults) == 0 {
		return "no faults"
	}
	parts := make([]string, len(faults))
	for i, f := range faults {
		s := f.Name + ": " + f.Action.String() + " on " + f.Match.String()
		if f.Target == scenarios.WorkloadTarget {
			s = f.Name + ": workload killed after " + f.Match.String() + " on " + f.Via
		} else if f.Target != "" {
			s += " (" + f.Target + ")"
		}
		if sch := f.Schedule(); sch != "always" {
			s += ", " + sch
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}
