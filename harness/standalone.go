package harness

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// StandaloneOptions configure ServeStandalone, `gameday proxy`: one fault
// proxy in front of one upstream, no stack around it.
type StandaloneOptions struct {
	Upstream *url.URL
	Listen   string
	Kind     injectors.Kind
	// Faults is the faults file (scenario syntax); Target picks the faults
	// of one target (see StandaloneRules).
	Faults string
	Target string
	// Rules and Timers, when Rules is set, are StandaloneRules(Faults,
	// Target) already loaded (so the file is read once at start).
	Rules  []injectors.Rule
	Timers []string
	// Journal receives one line per request; nil writes none.
	Journal io.Writer
	Seed    int64
	// Reload re-reads Faults on every value; a bad file keeps the rules
	// armed before.
	Reload <-chan struct{}
	// Stdout gets the listening line; Log every other line.
	Stdout io.Writer
	Log    func(format string, args ...any)
}

// BadRulesError is an error of ServeStandalone about the rules (bad
// input), as opposed to one of the proxy itself.
type BadRulesError struct{ Err error }

func (e *BadRulesError) Error() string { return e.Err.Error() }
func (e *BadRulesError) Unwrap() error { return e.Err }

// StandaloneRules loads a faults file and translates it for the proxy's
// target (target "" : the only one the file names). It also returns the
// names of the timer faults (crash or pause without match), which a
// standalone proxy cannot fire and leaves out.
func StandaloneRules(path, target string) ([]injectors.Rule, []string, error) {
	faults, err := scenarios.LoadFaults(path)
	if err != nil {
		return nil, nil, err
	}
	named := map[string]bool{}
	for _, f := range faults {
		if f.Target != "" {
			named[f.Target] = true
		}
	}
	var names []string
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	switch {
	case target != "" && !named[target]:
		list := "none"
		if len(names) > 0 {
			list = strings.Join(names, ", ")
		}
		return nil, nil, fmt.Errorf("%s: --target %q: no fault names it (targets named: %s)", path, target, list)
	case target != "":
	case len(names) == 1:
		target = names[0]
	case len(names) > 1:
		return nil, nil, fmt.Errorf("%s: faults name targets %s; choose one with --target", path, strings.Join(names, ", "))
	}
	var timers []string
	for _, f := range faults {
		if f.IsTimer() && (f.Target == "" || f.Target == target) {
			timers = append(timers, f.Name)
		}
	}
	return ProxyRules(faults, target), timers, nil
}

// ruleTotals adds up rule counters by rule name across reloads: Arm starts
// the counters of the new rules afresh.
type ruleTotals struct {
	order []string
	sum   map[string]injectors.RuleCounter
}

func (t *ruleTotals) add(cs []injectors.RuleCounter) {
	if t.sum == nil {
		t.sum = map[string]injectors.RuleCounter{}
	}
	for _, c := range cs {
		cur, ok := t.sum[c.Name]
		if !ok {
			t.order = append(t.order, c.Name)
			cur.Name = c.Name
		}
		cur.Matched += c.Matched
		cur.Injected += c.Injected
		t.sum[c.Name] = cur
	}
}

// with returns the totals plus the current counters, in order of first
// appearance.
func (t *ruleTotals) with(current []injectors.RuleCounter) []injectors.RuleCounter {
	all := &ruleTotals{}
	for _, n := range t.order {
		all.add([]injectors.RuleCounter{t.sum[n]})
	}
	all.add(current)
	out := make([]injectors.RuleCounter, 0, len(all.order))
	for _, n := range all.order {
		out = append(out, all.sum[n])
	}
	return out
}

// ServeStandalone loads the faults, starts the proxy and serves until ctx
// ends, re-reading the faults file on every Reload; at the end it prints
// each rule's matched and injected totals, summed by name across reloads.
// Errors about the rules wrap ErrBadRules.
func ServeStandalone(ctx context.Context, o StandaloneOptions) error {
	rules, timers := o.Rules, o.Timers
	if rules == nil {
		var err error
		if rules, timers, err = StandaloneRules(o.Faults, o.Target); err != nil {
			return &BadRulesError{err}
		}
	}
	target := o.Target
	if target == "" {
		target = o.Upstream.Host
	}
	ignored := func(timers []string) {
		for _, name := range timers {
			o.Log("fault %s: a timer fault (crash or pause without match) is ignored: a standalone proxy owns no process to crash or pause", name)
		}
	}
	ignored(timers)
	noProcess := func(what string) func(context.Context, injectors.Rule) error {
		return func(_ context.Context, r injectors.Rule) error {
			o.Log("fault %s: %s fired; a standalone proxy owns no process, so only the connection is affected", r.Name, what)
			return nil
		}
	}
	p, err := injectors.New(injectors.Config{
		Upstream: o.Upstream, Listen: o.Listen, Kind: o.Kind, Target: target, Journal: o.Journal, Seed: o.Seed,
		OnCrash: noProcess("crash"), OnPause: noProcess("pause"),
	})
	if err != nil {
		return err
	}
	if err := p.Arm(rules); err != nil {
		_ = p.Close()
		return &BadRulesError{fmt.Errorf("%s: %w", o.Faults, err)}
	}
	if err := p.Start(ctx); err != nil {
		_ = p.Close()
		return err
	}
	fmt.Fprintf(o.Stdout, "gameday proxy listening on %s -> %s (%d rules, seed %d)\n", p.URL(), o.Upstream, len(rules), o.Seed)
	var totals ruleTotals
	for {
		select {
		case <-ctx.Done():
			err := p.Close()
			for _, c := range totals.with(p.Counters()) {
				o.Log("fault %s: matched %d, injected %d", c.Name, c.Matched, c.Injected)
			}
			return err
		case <-o.Reload:
			next, timers, err := StandaloneRules(o.Faults, o.Target)
			if err != nil {
				o.Log("reload %s failed, keeping the previous %d rules: %s", o.Faults, len(p.Counters()), strings.ReplaceAll(err.Error(), "\n", "; "))
				continue
			}
			// Arm restarts the counters: keep what the old rules counted.
			prev := p.Counters()
			if err := p.Arm(next); err != nil {
				o.Log("reload %s failed, keeping the previous %d rules: %v", o.Faults, len(prev), err)
				continue
			}
			totals.add(prev)
			ignored(timers)
			o.Log("reloaded %s: %d rules", o.Faults, len(next))
		}
	}
}
