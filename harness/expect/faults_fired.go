package expect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// judgeFaultsFired is the implicit faults_fired expectation: every fault
// injects at least once unless it says optional: true. A scenario whose
// faults never fired tested nothing, however well its other expectations
// held.
func judgeFaultsFired(faults []*scenarios.Fault, o *observe.Observations, log string) reports.Expectation {
	var required, silent []*scenarios.Fault
	for _, f := range faults {
		if f == nil || !f.MustFire() {
			continue
		}
		required = append(required, f)
		if o.FaultsByName[f.Name] == 0 {
			silent = append(silent, f)
		}
	}
	v := reports.Expectation{Name: "faults_fired",
		Want: fmt.Sprintf("each of %d faults injects", len(required)),
		Got:  fmt.Sprintf("%d of %d injected", len(required)-len(silent), len(required))}
	if len(required) == 0 {
		v.Want, v.Got = "no required faults", "none required"
	}
	v.Passed = len(silent) == 0
	if v.Passed {
		return v
	}
	parts := make([]string, len(silent))
	for i, f := range silent {
		parts[i] = f.Name + " never injected (" + whySilent(f, o, log) + ")"
	}
	v.Message = "faults_fired: " + strings.Join(parts, "; ")
	return v
}

// whySilent says what the silent fault's target did see, so the user can
// tell a workload that never started from a match that never held.
func whySilent(f *scenarios.Fault, o *observe.Observations, log string) string {
	if f.IsTimer() {
		after := time.Duration(0)
		if f.After != nil {
			after = *f.After
		}
		return fmt.Sprintf("a timer %s due %s after arming; the scenario ran %s", f.Action.Kind(), after, fmtOffsetDur(o.Duration))
	}
	target := f.Target
	if target == scenarios.WorkloadTarget {
		target = f.Via
	}
	seen := map[string]int{}
	n := 0
	for _, r := range o.Requests {
		if target == "" || r.Target == target {
			n++
			seen[r.Method+" "+r.Path]++
		}
	}
	who := target
	if who == "" {
		who = "the proxies"
	}
	if n == 0 {
		msg := who + " saw 0 requests — did the workload start?"
		if log != "" {
			msg += " see " + log
		}
		return msg
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if seen[keys[i]] != seen[keys[j]] {
			return seen[keys[i]] > seen[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var top []string
	for _, k := range first(keys, 3) {
		if c, ok := seen[k]; ok {
			top = append(top, fmt.Sprintf("%s ×%d", k, c))
		} else {
			top = append(top, k)
		}
	}
	return fmt.Sprintf("%s saw %d requests: %s; none matched %s", who, n, strings.Join(top, ", "), matchOf(f))
}

func fmtOffsetDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// matchOf renders what a fault matches, with its schedule when it has one.
func matchOf(f *scenarios.Fault) string {
	out := f.Match.String()
	if s := f.Schedule(); s != "always" {
		out += " (" + s + ")"
	}
	return out
}
