package expect

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// RetryAfterAllowance is how much sooner than an announced Retry-After a
// retry may come and still count as honouring it.
const RetryAfterAllowance = 50 * time.Millisecond

// Input is what Judge needs for one scenario.
type Input struct {
	Expect scenarios.Expect
	Obs    *observe.Observations
	// Artifacts is the duplicate count of the artifact bucket listing; nil
	// when it could not be listed (ArtifactsErr says why).
	Artifacts    *observe.Artifacts
	ArtifactsErr error
	// Timeout is the scenario's timeout; Obs.TimedOut says it was passed.
	Timeout time.Duration
	// Backoff tunes the backoff statistics; zero means the defaults.
	Backoff BackoffParams
	// Faults are the scenario's faults, for faults_fired.
	Faults []*scenarios.Fault
	// WorkloadLog is the first workload log as shown to users, named in
	// faults_fired's message when a fault never fired.
	WorkloadLog string
	// Evidence are the observations of evidence runs: their waits are
	// pooled with the primary run's for backoff.jitter and backoff.growing,
	// and for nothing else. EvidenceDropped counts evidence runs left out
	// of the pool for an infrastructure error.
	Evidence        []*observe.Observations
	EvidenceDropped int
	// GameDay says nothing ran a workload (gameday up): outcome and
	// duration are reported as not judged, and recovery time is the
	// longest per-operation recovery (first injected fault on an operation
	// to its first 2xx).
	GameDay bool
}

// Judge returns one verdict per expectation in in.Expect, in DESIGN's order,
// followed by the scenario's `timeout`.
func Judge(in Input) []reports.Expectation {
	e, o := in.Expect, in.Obs
	if o == nil {
		o = observe.Observe(observe.Input{})
	}
	var out []reports.Expectation
	add := func(v reports.Expectation) { out = append(out, v) }

	if e.Outcome != "" {
		if in.GameDay {
			add(notJudged("outcome", e.Outcome))
		} else {
			add(judgeOutcome(e.Outcome, o))
		}
	}
	if e.Pages != nil {
		add(judgePages(*e.Pages, o))
	}
	if a := e.Alerts; a != nil {
		for _, lv := range []struct {
			name string
			cmp  *scenarios.Cmp
		}{{"info", a.Info}, {"warning", a.Warning}, {"page", a.Page}} {
			if lv.cmp != nil {
				add(judgeAlerts(lv.name, *lv.cmp, o))
			}
		}
	}
	for i, ra := range e.RetriesAfter {
		if ra != nil {
			add(judgeRetriesAfter(i, ra, o))
		}
	}
	if a := e.AttemptsPerOperation; a != nil {
		add(judgeAttempts(a, o))
	}
	if b := e.Backoff; b != nil {
		waits := WaitsOf(o, b.Target)
		for _, ev := range in.Evidence {
			waits = waits.Pool(WaitsOf(ev, b.Target))
		}
		pool := pool{runs: 1 + len(in.Evidence), dropped: in.EvidenceDropped, waits: waits.N()}
		if b.Jitter != nil {
			add(judgeBackoff("backoff.jitter", "jittered", *b.Jitter, JudgeJitter(waits, in.Backoff), pool))
		}
		if b.Growing != nil {
			add(judgeBackoff("backoff.growing", "growing", *b.Growing, JudgeGrowing(waits, in.Backoff), pool))
		}
	}
	if r := e.RetryAfterHonored; r != nil {
		add(judgeRetryAfter(r, o))
	}
	if a := e.Artifacts; a != nil {
		add(judgeArtifacts(a, in.Artifacts, in.ArtifactsErr))
	}
	if e.RecoveryTime != nil {
		if in.GameDay {
			add(judgeOperationRecovery(*e.RecoveryTime, o))
		} else {
			add(judgeRecovery(*e.RecoveryTime, o))
		}
	}
	if e.Duration != nil && in.GameDay {
		add(notJudged("duration", e.Duration.String()))
	} else if e.Duration != nil {
		v := reports.Expectation{Name: "duration", Want: e.Duration.String(), Got: ms(o.Duration)}
		v.Passed = e.Duration.HoldsDuration(o.Duration)
		if !v.Passed {
			v.Message = fmt.Sprintf("duration: want %s, got %s (scenario wall time)", v.Want, v.Got)
		}
		add(v)
	}
	for i, r := range e.Requests {
		if r != nil {
			add(judgeRequests(i, r, o))
		}
	}
	add(judgeFaultsFired(in.Faults, o, in.WorkloadLog))
	if !in.GameDay { // a game day ends when people say so
		add(judgeTimeout(in.Timeout, o))
	}
	return out
}

// notJudged is the verdict of an expectation a game day cannot judge: it
// holds nothing against the team, and says why.
func notJudged(name, want string) reports.Expectation {
	return reports.Expectation{Name: name, Passed: true, Want: want, Got: "not judged",
		Message: name + ": not judged: a game day runs no workload"}
}

// OperationRecovery is the longest recovery of any operation a fault hit
// (first injected fault on it to its first 2xx), and false when one of
// them never recovered or no fault was injected.
func OperationRecovery(o *observe.Observations) (time.Duration, bool) {
	var longest time.Duration
	hit := false
	for _, op := range o.Operations {
		faulted := false
		for _, r := range op.Requests {
			if r.Fault != "" {
				faulted = true
				break
			}
		}
		if !faulted {
			continue
		}
		hit = true
		if !op.Recovered {
			return 0, false
		}
		longest = max(longest, op.Recovery)
	}
	return longest, hit
}

func judgeOperationRecovery(c scenarios.Cmp, o *observe.Observations) reports.Expectation {
	v := reports.Expectation{Name: "recovery_time", Want: c.String()}
	d, ok := OperationRecovery(o)
	if !ok {
		v.Got = "no recovery"
		v.Message = "recovery_time: no recovery (no operation hit by a fault got a 2xx after it)"
		if o.FirstFault.IsZero() {
			v.Message = "recovery_time: no recovery (no fault was injected, so nothing recovered)"
		}
		return v
	}
	v.Got = ms(d)
	v.Passed = c.HoldsDuration(d)
	if !v.Passed {
		v.Message = fmt.Sprintf("recovery_time: want %s, got %s (the longest per-operation recovery: first injected fault to its first 2xx)", c, v.Got)
	}
	return v
}

// NeedsEvidence reports whether a statistical verdict among vs is
// inconclusive, so that evidence runs could settle it.
func NeedsEvidence(vs []reports.Expectation) bool {
	for _, v := range vs {
		if IsStatistical(v.Name) && v.Inconclusive {
			return true
		}
	}
	return false
}

// IsStatistical reports whether the expectation called name is judged on
// pooled evidence runs: backoff.jitter and backoff.growing.
func IsStatistical(name string) bool { return name == "backoff.jitter" || name == "backoff.growing" }

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

func judgeOutcome(want string, o *observe.Observations) reports.Expectation {
	v := reports.Expectation{Name: "outcome", Want: want}
	last, ok := o.LastRun()
	if !ok {
		v.Got = "none"
		v.Message = "outcome: want " + want + ", got none (the workload never ran)"
		return v
	}
	got := scenarios.OutcomeFailure
	if last.Succeeded() {
		got = scenarios.OutcomeSuccess
	}
	v.Got = got
	v.Passed = got == want
	if !v.Passed {
		v.Message = fmt.Sprintf("outcome: want %s, got %s (run %d attempt %d: %s)", want, got, last.Run, last.Attempt, describeRun(last))
	}
	return v
}

func describeRun(r observe.RunRecord) string {
	switch {
	case r.TimedOut:
		return "killed after its timeout"
	case r.Crashed:
		return "crashed"
	case r.Signal != "":
		return "ended by " + r.Signal
	}
	return fmt.Sprintf("exit %d", r.ExitCode)
}

func notificationList(ns []observe.Notification, keep func(observe.Notification) bool) string {
	var parts []string
	for _, n := range ns {
		if keep(n) {
			name := n.Name
			if name == "" {
				name = "(unnamed)"
			}
			parts = append(parts, fmt.Sprintf("%s %s %s", n.Source, name, n.Severity))
		}
	}
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, "; ")
}

func judgePages(c scenarios.Cmp, o *observe.Observations) reports.Expectation {
	v := reports.Expectation{Name: "pages", Want: c.String(), Got: fmt.Sprint(o.Pages)}
	v.Passed = c.HoldsInt(o.Pages)
	if !v.Passed {
		v.Message = fmt.Sprintf("pages: want %s, got %d", c, o.Pages)
		if o.Pages > 0 {
			v.Message += " (" + notificationList(o.Notifications, observe.Notification.Page) + ")"
		}
	}
	return v
}

func judgeAlerts(level string, c scenarios.Cmp, o *observe.Observations) reports.Expectation {
	n := o.Alerts[level]
	v := reports.Expectation{Name: "alerts." + level, Want: c.String(), Got: fmt.Sprint(n)}
	v.Passed = c.HoldsInt(n)
	if !v.Passed {
		v.Message = fmt.Sprintf("alerts.%s: want %s, got %d", level, c, n)
		if n > 0 {
			v.Message += " (" + notificationList(o.Notifications, func(x observe.Notification) bool {
				return x.Firing() && x.Level() == level
			}) + ")"
		}
	}
	return v
}

func statuses(l scenarios.StatusList) string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, "/")
}

func judgeRetriesAfter(i int, ra *scenarios.RetriesAfter, o *observe.Observations) reports.Expectation {
	name := fmt.Sprintf("retries_after[%d]", i)
	want := fmt.Sprintf("%s retries after %s", ra.Max.Cmp, statuses(ra.Status))
	n := 0
	var worst *observe.Operation
	worstN := 0
	for _, op := range o.Operations {
		if ra.Target != "" && op.Target != ra.Target {
			continue
		}
		k := 0
		for _, r := range op.Retries {
			if ra.Status.Has(r.After) {
				k++
			}
		}
		n += k
		if k > worstN {
			worst, worstN = op, k
		}
	}
	v := reports.Expectation{Name: name, Want: want, Got: fmt.Sprint(n), Passed: ra.Max.HoldsInt(n)}
	if !v.Passed {
		v.Message = fmt.Sprintf("%s: want %s, got %d", name, want, n)
		if worst != nil {
			v.Message += fmt.Sprintf(" (worst, %d after %s: %s %s)", worstN, statuses(ra.Status), worst.Target, worst.Describe())
		}
	}
	return v
}

func judgeAttempts(a *scenarios.TargetCmp, o *observe.Observations) reports.Expectation {
	var worst *observe.Operation
	for _, op := range o.Operations {
		if a.Target != "" && op.Target != a.Target {
			continue
		}
		// Ties go to an operation a fault hit: where a retry was due.
		if worst == nil || op.Attempts() > worst.Attempts() ||
			op.Attempts() == worst.Attempts() && op.Faulted() && !worst.Faulted() {
			worst = op
		}
	}
	n := 0
	if worst != nil {
		n = worst.Attempts()
	}
	v := reports.Expectation{Name: "attempts_per_operation", Want: a.Cmp.String(), Got: fmt.Sprint(n)}
	v.Passed = a.Cmp.HoldsInt(n)
	if !v.Passed {
		if worst != nil {
			v.Message = fmt.Sprintf("attempts_per_operation: want %s, got %d (%s %s)", a.Cmp, n, worst.Target, worst.Describe())
		} else {
			v.Message = fmt.Sprintf("attempts_per_operation: want %s, got 0 (no requests%s)", a.Cmp, onTarget(a.Target))
		}
	}
	return v
}

func onTarget(t string) string {
	if t == "" {
		return ""
	}
	return " to " + t
}

// WaitsOf extracts the backoff waits of every operation (of target, or of
// all when ""), in ms, by layer (see Waits). A wait is from the end of a
// failed attempt to the start of the retry; one that followed an answer
// carrying Retry-After (the server chose it) or that began before the
// failed attempt ended is NaN.
func WaitsOf(o *observe.Observations, target string) Waits {
	var w Waits
	for _, op := range o.Operations {
		if target != "" && op.Target != target {
			continue
		}
		switch op.Layering() {
		case observe.AppLoop:
			w.Loop = appendSeries(w.Loop, chainWaits(op.Requests, nil))
		case observe.Nested:
			sameCall := func(a, b observe.Request) bool { return a.OpHeader == b.OpHeader }
			inner := map[string][]float64{}
			var order []string
			var outer []float64
			for i := 1; i < len(op.Requests); i++ {
				prev, r := op.Requests[i-1], op.Requests[i]
				x, ok := wait(prev, r)
				if !ok {
					continue
				}
				if !sameCall(prev, r) {
					outer = append(outer, x)
					continue
				}
				if _, seen := inner[r.OpHeader]; !seen {
					order = append(order, r.OpHeader)
				}
				inner[r.OpHeader] = append(inner[r.OpHeader], x)
			}
			for _, h := range order {
				w.Call = appendSeries(w.Call, inner[h])
			}
			w.Loop = appendSeries(w.Loop, outer)
		default:
			w.Call = appendSeries(w.Call, chainWaits(op.Requests, nil))
		}
	}
	return w
}

func appendSeries(all [][]float64, s []float64) [][]float64 {
	if len(s) == 0 {
		return all
	}
	return append(all, s)
}

// chainWaits appends to out the waits of a chain's requests.
func chainWaits(reqs []observe.Request, out []float64) []float64 {
	for i := 1; i < len(reqs); i++ {
		if x, ok := wait(reqs[i-1], reqs[i]); ok {
			out = append(out, x)
		}
	}
	return out
}

// wait is the client's wait between a failed attempt and its retry, in ms
// (NaN when left out); ok is false when prev did not fail, so r is no
// retry of it.
func wait(prev, r observe.Request) (float64, bool) {
	if prev.Status >= 200 && prev.Status < 400 && prev.Error == "" {
		return 0, false
	}
	if prev.RetryAfterMS > 0 || r.Start.Before(prev.End) {
		return math.NaN(), true
	}
	return float64(r.Start.Sub(prev.End)) / float64(time.Millisecond), true
}

// pool says what a backoff verdict was judged on.
type pool struct{ runs, dropped, waits int }

// String is "16 waits from 4 runs (the primary and 3 evidence runs)", or
// "" for the primary run alone.
func (p pool) String() string {
	if p.runs <= 1 && p.dropped == 0 {
		return ""
	}
	out := fmt.Sprintf("%d waits from %d runs (the primary and %s)", p.waits, p.runs, plural(p.runs-1, "evidence run"))
	if p.dropped > 0 {
		out += fmt.Sprintf("; %s dropped for an infrastructure error", plural(p.dropped, "evidence run"))
	}
	return out
}

func judgeBackoff(name, property string, want bool, j Judgement, pl pool) reports.Expectation {
	v := reports.Expectation{Name: name, Want: fmt.Sprint(want)}
	if pl.runs > 1 || pl.dropped > 0 {
		v.Evidence = &reports.Evidence{Runs: pl.runs, Waits: pl.waits, Dropped: pl.dropped}
	}
	judged := ""
	if s := pl.String(); s != "" {
		judged = "judged " + s + ": "
	}
	switch {
	case !j.Conclusive:
		v.Got = "inconclusive"
		v.Inconclusive = true
		v.Message = fmt.Sprintf("%s: %s%s", name, judged, j.Detail)
		return v
	default:
		v.Got = fmt.Sprint(j.Holds)
	}
	v.Passed = j.Holds == want
	not := ""
	if !j.Holds {
		not = "not "
	}
	switch {
	case !v.Passed:
		v.Message = fmt.Sprintf("%s: want %s, got %s%s: %s%s", name, fmtWant(want, property), not, property, judged, j.Detail)
	case judged != "":
		v.Message = fmt.Sprintf("%s: %s%s: %s%s", name, not, property, judged, j.Detail)
	}
	return v
}

// plural is "1 evidence run", "3 evidence runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func fmtWant(want bool, property string) string {
	if want {
		return property
	}
	return "not " + property
}

func judgeRetryAfter(r *scenarios.RetryAfterHonored, o *observe.Observations) reports.Expectation {
	v := reports.Expectation{Name: "retry_after_honored", Want: fmt.Sprint(r.Honored)}
	announced, retried := 0, 0
	var early []string
	for _, op := range o.Operations {
		if r.Target != "" && op.Target != r.Target {
			continue
		}
		for i, q := range op.Requests {
			if q.RetryAfterMS <= 0 {
				continue
			}
			announced++
			if i+1 >= len(op.Requests) {
				continue
			}
			next := op.Requests[i+1]
			retried++
			wait := next.Start.Sub(q.End)
			ra := time.Duration(q.RetryAfterMS) * time.Millisecond
			if wait < ra-RetryAfterAllowance {
				early = append(early, fmt.Sprintf("%s on %s retried %dms after a %d with Retry-After %dms", op, op.Target, wait.Milliseconds(), q.Status, ra.Milliseconds()))
			}
		}
	}
	if announced == 0 {
		v.Got = "inconclusive"
		v.Inconclusive = true
		v.Message = "retry_after_honored: no answer carried Retry-After" + onTarget(r.Target) + ", nothing to judge"
		return v
	}
	honored := len(early) == 0
	v.Got = fmt.Sprint(honored)
	v.Passed = honored == r.Honored
	if !v.Passed {
		if honored {
			v.Message = fmt.Sprintf("retry_after_honored: want false, got true (%d Retry-After answers, %d retried, none early)", announced, retried)
		} else {
			v.Message = fmt.Sprintf("retry_after_honored: want true, got false (%d of %d retries came more than %dms early: %s)",
				len(early), retried, RetryAfterAllowance.Milliseconds(), strings.Join(first(early, 3), "; "))
		}
	}
	return v
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

func judgeArtifacts(a *scenarios.ArtifactsExpect, got *observe.Artifacts, err error) reports.Expectation {
	want := "==0"
	if a.Duplicates != nil {
		want = a.Duplicates.String()
	}
	v := reports.Expectation{Name: "artifacts", Want: "duplicates " + want}
	if got == nil {
		v.Got = "unlisted"
		msg := "the bucket could not be listed"
		if err != nil {
			msg = err.Error()
		}
		v.Message = fmt.Sprintf("artifacts: %s/%s: %s", a.Bucket, a.Prefix, msg)
		return v
	}
	v.Got = fmt.Sprintf("%d duplicates", got.Duplicates)
	if a.Duplicates != nil {
		v.Passed = a.Duplicates.HoldsInt(got.Duplicates)
	} else {
		v.Passed = got.Duplicates == 0
	}
	if !v.Passed {
		v.Message = fmt.Sprintf("artifacts: want duplicates %s in %s/%s, got %d (%s)", want, a.Bucket, a.Prefix, got.Duplicates, strings.Join(first(got.Details, 4), "; "))
		if got.Duplicates == 0 {
			v.Message = fmt.Sprintf("artifacts: want duplicates %s in %s/%s, got 0 (%d keys, %d versions)", want, a.Bucket, a.Prefix, got.Keys, got.Versions)
		}
	}
	return v
}

func judgeRecovery(c scenarios.Cmp, o *observe.Observations) reports.Expectation {
	v := reports.Expectation{Name: "recovery_time", Want: c.String()}
	switch {
	case o.FirstFault.IsZero():
		v.Got = "no recovery"
		v.Message = "recovery_time: no recovery (no fault was injected, so nothing recovered)"
		return v
	case !o.Recovered:
		v.Got = "no recovery"
		v.Message = fmt.Sprintf("recovery_time: no recovery (no run succeeded after the first fault at %s)", o.FirstFault.UTC().Format(time.RFC3339Nano))
		return v
	}
	v.Got = ms(o.Recovery)
	v.Passed = c.HoldsDuration(o.Recovery)
	if !v.Passed {
		v.Message = fmt.Sprintf("recovery_time: want %s, got %s (from the first injected fault to the end of the first successful run after it)", c, v.Got)
	}
	return v
}

func judgeRequests(i int, r *scenarios.RequestsExpect, o *observe.Observations) reports.Expectation {
	name := fmt.Sprintf("requests[%d]", i)
	by := o.RequestsByStatus(r.Target)
	n := by[r.Status]
	v := reports.Expectation{Name: name, Want: fmt.Sprintf("%s with status %d", r.Count.String(), r.Status), Got: fmt.Sprint(n)}
	v.Passed = r.Count.HoldsInt(n)
	if !v.Passed {
		var parts []string
		keys := make([]int, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d×%d", by[k], k))
		}
		v.Message = fmt.Sprintf("%s: want %s requests%s with status %d, got %d (all statuses: %s)", name, r.Count, onTarget(r.Target), r.Status, n, strings.Join(parts, ", "))
	}
	return v
}

func judgeTimeout(limit time.Duration, o *observe.Observations) reports.Expectation {
	if limit <= 0 {
		limit = scenarios.DefaultTimeout
	}
	v := reports.Expectation{Name: "timeout", Want: "<=" + limit.String(), Got: ms(o.Duration)}
	v.Passed = !o.TimedOut
	if o.TimedOut {
		v.Message = fmt.Sprintf("timeout: the scenario passed its timeout of %s and was cut short", limit)
	}
	return v
}

// Metrics computes the report metrics of one scenario.
func Metrics(o *observe.Observations, a *observe.Artifacts) reports.Metrics {
	m := reports.Metrics{
		Requests:       len(o.Requests),
		FaultsInjected: o.FaultsInjected,
		Retries:        o.Retries(""),
		Pages:          o.Pages,
		Alerts:         map[string]int{},
		SuccessRate:    o.SuccessRate(),
	}
	for _, op := range o.Operations {
		m.Attempts = max(m.Attempts, op.Attempts())
	}
	for k, n := range o.Alerts {
		m.Alerts[k] = n
	}
	if a != nil {
		m.DuplicateArtifacts = a.Duplicates
	}
	if o.Recovered {
		r := o.Recovery.Milliseconds()
		m.RecoveryTimeMS = &r
	}
	if d, ok := o.GaveUp(); ok {
		g := d.Milliseconds()
		m.GaveUpAfterMS = &g
	}
	return m
}
