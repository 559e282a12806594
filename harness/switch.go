package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday/gameday/scenarios"
)

// FaultSwitch arms and disarms a stack's faults by name while it runs.
//
// Arming a fault arms it afresh: its schedule (skip, every, times, after,
// until) starts from then. Faults already armed keep their progress when
// another is armed or disarmed beside them: the proxy they share is
// re-armed with each one's schedule reduced by what it already matched,
// injected and waited (times left, skips left, after and until shifted),
// so that a times: 1 fault that fired stays spent. One thing is
// approximate: a fault with every: N whose phase is not at a multiple of
// N fires N matches later than it would have. A timer fault (crash or
// pause without match) starts its timer when armed; disarming it stops
// the timer, carrying out a pending restart or resume at once.
//
// It is safe for concurrent use.
type FaultSwitch struct {
	st     *Stack
	faults []*scenarios.Fault
	now    func() time.Time

	mu       sync.Mutex
	armedAt  map[string]time.Time  // armed faults: when
	progress map[progressKey]count // request faults: counted by earlier rule sets since armed afresh
	matched  map[string]int        // request faults: matches counted by earlier rule sets, ever
	timers   map[string]*Timers    // armed timer faults
}

type progressKey struct{ fault, target string }

type count struct{ matched, injected int }

// NewFaultSwitch returns a switch over faults (usually the scenario's) on
// st, with none of them armed by it: boot st Disarmed.
func NewFaultSwitch(st *Stack, faults []*scenarios.Fault) *FaultSwitch {
	return &FaultSwitch{st: st, faults: faults, now: st.opts.Now,
		armedAt: map[string]time.Time{}, progress: map[progressKey]count{}, matched: map[string]int{}, timers: map[string]*Timers{}}
}

// SetFaults replaces the faults the switch knows (a game day's faults
// file reloaded). Armed faults that are gone are disarmed; those that
// stay keep their state and progress; new ones are not armed.
func (f *FaultSwitch) SetFaults(faults []*scenarios.Fault) error {
	f.mu.Lock()
	var gone []string
	for name := range f.armedAt {
		if !slices.ContainsFunc(faults, func(x *scenarios.Fault) bool { return x.Name == name }) {
			gone = append(gone, name)
		}
	}
	f.mu.Unlock()
	if len(gone) > 0 {
		if err := f.Disarm(gone...); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.faults = faults
	f.mu.Unlock()
	return nil
}

// Matched returns how many requests the request fault called name matched
// while armed, on every proxy, since the switch began (0 for a timer
// fault).
func (f *FaultSwitch) Matched(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.matched[name]
	for _, target := range f.st.Order {
		if p := f.st.Proxies[target]; p != nil {
			for _, c := range p.Counters() {
				if c.Name == name {
					n += c.Matched
				}
			}
		}
	}
	return n
}

// Names lists the faults' names, in order.
func (f *FaultSwitch) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.names()
}

func (f *FaultSwitch) names() []string {
	out := make([]string, len(f.faults))
	for i, x := range f.faults {
		out[i] = x.Name
	}
	return out
}

// Armed lists the armed faults' names, in the faults' order.
func (f *FaultSwitch) Armed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, x := range f.faults {
		if _, ok := f.armedAt[x.Name]; ok {
			out = append(out, x.Name)
		}
	}
	return out
}

// lookup resolves names (none: every fault), all or nothing. The caller
// holds mu.
func (f *FaultSwitch) lookup(names []string) ([]*scenarios.Fault, error) {
	if len(names) == 0 {
		return f.faults, nil
	}
	var out []*scenarios.Fault
	var missing []string
	for _, n := range names {
		i := slices.IndexFunc(f.faults, func(x *scenarios.Fault) bool { return x.Name == n })
		if i < 0 {
			missing = append(missing, fmt.Sprintf("%q", n))
			continue
		}
		out = append(out, f.faults[i])
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no fault %s (faults: %s)", strings.Join(missing, ", "), strings.Join(f.names(), ", "))
	}
	return out, nil
}

// Arm arms the named faults afresh (none named: every fault).
func (f *FaultSwitch) Arm(names ...string) error {
	return f.set(names, true)
}

// Disarm disarms the named faults (none named: every fault).
func (f *FaultSwitch) Disarm(names ...string) error {
	return f.set(names, false)
}

func (f *FaultSwitch) set(names []string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	faults, err := f.lookup(names)
	if err != nil {
		return err
	}
	now := f.now()
	touched := map[string]bool{}
	for _, x := range faults {
		if x.IsTimer() {
			if t := f.timers[x.Name]; t != nil {
				t.Stop()
				delete(f.timers, x.Name)
			}
			delete(f.armedAt, x.Name)
			if on {
				f.armedAt[x.Name] = now
				f.timers[x.Name] = f.st.StartTimers(context.Background(), []*scenarios.Fault{x})
			}
			continue
		}
		for _, target := range f.st.Order {
			if len(ProxyRules([]*scenarios.Fault{x}, target)) > 0 {
				touched[target] = true
			}
		}
		if on {
			f.armedAt[x.Name] = now
		} else {
			delete(f.armedAt, x.Name)
		}
	}
	for _, target := range f.st.Order {
		if touched[target] {
			if err := f.rearm(target, faults, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// rearm arms the proxy of target with its armed request faults: those in
// fresh from scratch, the others reduced by their progress. The caller
// holds mu.
func (f *FaultSwitch) rearm(target string, fresh []*scenarios.Fault, now time.Time) error {
	p := f.st.Proxies[target]
	if p == nil {
		return nil
	}
	for _, c := range p.Counters() {
		k := progressKey{c.Name, target}
		n := f.progress[k]
		n.matched += c.Matched
		n.injected += c.Injected
		f.progress[k] = n
		f.matched[c.Name] += c.Matched
	}
	var rules []*scenarios.Fault
	for _, x := range f.faults {
		at, armed := f.armedAt[x.Name]
		if !armed || x.IsTimer() {
			continue
		}
		k := progressKey{x.Name, target}
		if slices.Contains(fresh, x) {
			delete(f.progress, k)
			rules = append(rules, x)
			continue
		}
		if left := remaining(x, f.progress[k], now.Sub(at)); left != nil {
			rules = append(rules, left)
		}
	}
	return f.st.Arm(target, rules)
}

// remaining is x with its schedule reduced by what it already matched and
// injected and by the time since it was armed; nil when it can never fire
// again (its times are spent, its until passed).
func remaining(x *scenarios.Fault, done count, elapsed time.Duration) *scenarios.Fault {
	y := *x
	if x.Times != nil {
		left := *x.Times - done.injected
		if left <= 0 {
			return nil
		}
		y.Times = &left
	}
	if x.Until != nil {
		left := *x.Until - elapsed
		if left <= 0 {
			return nil
		}
		y.Until = &left
	}
	if x.After != nil {
		left := max(*x.After-elapsed, 0)
		y.After = &left
	}
	skip := 0
	if x.Skip != nil {
		skip = *x.Skip
	}
	every := 1
	if x.Every != nil {
		every = *x.Every
	}
	left := skip - done.matched
	if left < 0 && every > 1 {
		// Past the skipped ones: the next injection is at the next match
		// whose number since the skipped ones is a multiple of every.
		left = ((left % every) + every) % every
	}
	y.Skip = nil
	if left > 0 {
		y.Skip = &left
	}
	return &y
}
