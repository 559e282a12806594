package harness

import (
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// ProxyRules turns the loaded faults that apply to the proxy of target into
// proxy rules, in file order (which is rule order). It is the one
// translation from scenario faults to injectors rules; `gameday proxy`,
// `gameday up` and `gameday run` all use it.
//
// A fault applies when its Target is target, or empty (a `gameday proxy`
// faults file, where target is optional), or when it is a workload fault
// (Target == scenarios.WorkloadTarget) whose Via is target or empty; those
// rules are flagged Workload.
//
// Timer faults (crash or pause without match, see Fault.IsTimer) are left
// out: they are no proxy rules, the harness fires them on a timer.
func ProxyRules(faults []*scenarios.Fault, target string) []injectors.Rule {
	var rules []injectors.Rule
	for _, f := range faults {
		if f == nil || f.IsTimer() {
			continue
		}
		workload := f.Target == scenarios.WorkloadTarget
		switch {
		case workload && (f.Via == "" || f.Via == target):
		case !workload && (f.Target == "" || f.Target == target):
		default:
			continue
		}
		rules = append(rules, proxyRule(f, workload))
	}
	return rules
}

// proxyRule converts one request-triggered fault.
func proxyRule(f *scenarios.Fault, workload bool) injectors.Rule {
	r := injectors.Rule{Name: f.Name, Workload: workload, On: injectors.OnRequest}
	if f.On == scenarios.OnResponse {
		r.On = injectors.OnResponse
	}
	if m := f.Match; m != nil {
		r.Match = injectors.Match{
			Methods: append([]string(nil), m.Method...),
			Path:    m.Path,
			Headers: m.Headers,
			Query:   m.Query,
		}
	}
	r.Action = f.Action.Action // the action types are the proxy's own
	s := &r.Schedule
	if f.After != nil {
		s.After = *f.After
	}
	if f.Until != nil {
		s.Until = *f.Until
	}
	if f.Skip != nil {
		s.Skip = *f.Skip
	}
	if f.Every != nil {
		s.Every = *f.Every
	}
	if f.Times != nil {
		s.Times = *f.Times
	}
	if f.Probability != nil {
		p := *f.Probability
		s.Probability = &p
	}
	return r
}
