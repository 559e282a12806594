package scenarios

import (
	"fmt"
	"strings"
)

// ExpectationNames returns the names the verdicts on e carry in a report
// (outcome, pages, alerts.info, retries_after[0], backoff.jitter,
// requests[1], ...), in the order of the Expect type. The implicit
// faults_fired and timeout are not among them.
func (e Expect) ExpectationNames() []string {
	var out []string
	e.each(func(name string, _ func(*Expect)) { out = append(out, name) })
	return out
}

// Only returns a copy of e that keeps just the expectations for which keep
// holds, and how their names change: a kept retries_after[2] or
// requests[1] moves up when earlier entries go (renamed maps every kept
// name to its new one).
func (e Expect) Only(keep func(name string) bool) (out Expect, renamed map[string]string) {
	renamed = map[string]string{}
	var ras []*RetriesAfter
	var reqs []*RequestsExpect
	e.each(func(name string, copyInto func(*Expect)) {
		if !keep(name) {
			return
		}
		var i int
		switch {
		case strings.HasPrefix(name, "retries_after["):
			_, _ = fmt.Sscanf(name, "retries_after[%d]", &i)
			renamed[name] = fmt.Sprintf("retries_after[%d]", len(ras))
			ras = append(ras, e.RetriesAfter[i])
		case strings.HasPrefix(name, "requests["):
			_, _ = fmt.Sscanf(name, "requests[%d]", &i)
			renamed[name] = fmt.Sprintf("requests[%d]", len(reqs))
			reqs = append(reqs, e.Requests[i])
		default:
			renamed[name] = name
			copyInto(&out)
		}
	})
	out.RetriesAfter, out.Requests = ras, reqs
	return out, renamed
}

// each calls f with the name of every expectation in e and a function
// that copies it from e into another Expect (for the listed entries,
// nothing: Only collects those itself).
func (e Expect) each(f func(name string, copyInto func(*Expect))) {
	if e.Outcome != "" {
		f("outcome", func(o *Expect) { o.Outcome = e.Outcome })
	}
	if e.Pages != nil {
		f("pages", func(o *Expect) { o.Pages = e.Pages })
	}
	if a := e.Alerts; a != nil {
		for _, lv := range []struct {
			name string
			cmp  *Cmp
			set  func(*AlertsExpect, *Cmp)
		}{
			{"info", a.Info, func(x *AlertsExpect, c *Cmp) { x.Info = c }},
			{"warning", a.Warning, func(x *AlertsExpect, c *Cmp) { x.Warning = c }},
			{"page", a.Page, func(x *AlertsExpect, c *Cmp) { x.Page = c }},
		} {
			if lv.cmp != nil {
				f("alerts."+lv.name, func(o *Expect) {
					if o.Alerts == nil {
						o.Alerts = &AlertsExpect{}
					}
					lv.set(o.Alerts, lv.cmp)
				})
			}
		}
	}
	for i, ra := range e.RetriesAfter {
		if ra != nil {
			f(fmt.Sprintf("retries_after[%d]", i), func(*Expect) {})
		}
	}
	if e.AttemptsPerOperation != nil {
		f("attempts_per_operation", func(o *Expect) { o.AttemptsPerOperation = e.AttemptsPerOperation })
	}
	if b := e.Backoff; b != nil {
		setBackoff := func(o *Expect) *BackoffExpect {
			if o.Backoff == nil {
				o.Backoff = &BackoffExpect{Target: b.Target}
			}
			return o.Backoff
		}
		if b.Jitter != nil {
			f("backoff.jitter", func(o *Expect) { setBackoff(o).Jitter = b.Jitter })
		}
		if b.Growing != nil {
			f("backoff.growing", func(o *Expect) { setBackoff(o).Growing = b.Growing })
		}
	}
	if e.RetryAfterHonored != nil {
		f("retry_after_honored", func(o *Expect) { o.RetryAfterHonored = e.RetryAfterHonored })
	}
	if e.Artifacts != nil {
		f("artifacts", func(o *Expect) { o.Artifacts = e.Artifacts })
	}
	if e.RecoveryTime != nil {
		f("recovery_time", func(o *Expect) { o.RecoveryTime = e.RecoveryTime })
	}
	if e.Duration != nil {
		f("duration", func(o *Expect) { o.Duration = e.Duration })
	}
	for i, r := range e.Requests {
		if r != nil {
			f(fmt.Sprintf("requests[%d]", i), func(*Expect) {})
		}
	}
}
