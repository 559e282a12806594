package observe

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
)

// Input is everything the harness observed of one scenario.
type Input struct {
	// Journal holds the requests of every proxy of the scenario.
	Journal []Request
	// TimerFaults are faults fired on the harness timer.
	TimerFaults []FaultEvent
	// Runs are the runner's records, in start order.
	Runs []RunRecord
	// Notifications are what the alert receiver recorded.
	Notifications []Notification
	// Start and End bound the scenario (boot to teardown).
	Start, End time.Time
	// TimedOut: the scenario passed its timeout and was cut short.
	TimedOut bool
}

// Observations is what the judge reads.
type Observations struct {
	Requests    []Request // every request, by start time
	Operations  []*Operation
	TimerFaults []FaultEvent
	Runs        []RunRecord
	// FaultsInjected counts journal requests a rule fired on, plus timer
	// faults. FaultsByName splits it by rule.
	FaultsInjected int
	FaultsByName   map[string]int
	// FirstFault is the earliest injected fault (zero when none).
	FirstFault time.Time
	// Recovery is the scenario's recovery time (DESIGN): from FirstFault to
	// the end of the first successful run that ended after it. Recovered is
	// false when nothing recovered or no fault fired.
	Recovery  time.Duration
	Recovered bool
	// Pages counts page notifications; Alerts counts firing notifications by
	// level (info, warning, page).
	Pages         int
	Alerts        map[string]int
	Notifications []Notification
	Duration      time.Duration
	TimedOut      bool
}

// Operation is one retry chain on a resource within one process attempt
// of one target (see chains.go): its requests by start time.
type Operation struct {
	Target   string
	Run      int
	Attempt  int
	Key      string // the op_key of its first request
	Method   string
	Path     string
	Requests []Request
	Retries  []Retry
	// Recovery runs from the first injected fault on the operation to the end
	// of its first 2xx after it; Recovered is false when there was none.
	Recovery  time.Duration
	Recovered bool
}

// String names the operation as a person reads it: "GET /v1/features".
func (o *Operation) String() string { return o.Method + " " + o.Path }

// Attempts is the number of requests of the operation.
func (o *Operation) Attempts() int { return len(o.Requests) }

// Faulted reports whether an injected fault hit one of its requests.
func (o *Operation) Faulted() bool {
	for _, r := range o.Requests {
		if r.Fault != "" {
			return true
		}
	}
	return false
}

// Timeline renders the attempts' starts relative to the first, e.g.
// "attempts at 0ms, 12ms, 25ms".
func (o *Operation) Timeline() string {
	if len(o.Requests) == 0 {
		return "no attempts"
	}
	t0 := o.Requests[0].Start
	parts := make([]string, len(o.Requests))
	for i, r := range o.Requests {
		parts[i] = fmt.Sprintf("%dms", r.Start.Sub(t0).Milliseconds())
	}
	return "attempts at " + strings.Join(parts, ", ")
}

// Retry is a request of an operation that follows a request of it which
// failed: got a non-2xx/3xx status, none at all, or an answer that did not
// arrive whole.
type Retry struct {
	Index int // into Operation.Requests
	// After is the status the request just before the retry received (0: none).
	After int
	// AfterAnswer describes it for messages ("503", "no answer (reset)").
	AfterAnswer string
	// RetryAfter is the Retry-After the previous request announced (0: none).
	RetryAfter time.Duration
	// Gap is between the starts of the previous request and the retry.
	Gap time.Duration
	// Sleep is between the end of the previous request and the retry's start:
	// the client's own wait.
	Sleep time.Duration
	// BackoffGap: the previous request failed (so the wait is a backoff).
	BackoffGap bool
}

// ReadJournal decodes JSONL journal lines.
func ReadJournal(r io.Reader) ([]Request, error) { return injectors.ReadJournal(r) }

// Observe builds Observations from in. It does not modify in.
func Observe(in Input) *Observations {
	reqs := append([]Request(nil), in.Journal...)
	sortRequests(reqs)
	o := &Observations{
		Requests:      reqs,
		TimerFaults:   in.TimerFaults,
		Runs:          in.Runs,
		FaultsByName:  map[string]int{},
		Alerts:        map[string]int{},
		Notifications: in.Notifications,
		TimedOut:      in.TimedOut,
	}
	if !in.Start.IsZero() && in.End.After(in.Start) {
		o.Duration = in.End.Sub(in.Start)
	}

	scopes := map[scopeID]*scope{}
	for _, r := range reqs {
		id := scopeID{r.Target, r.Run, r.Attempt}
		sc := scopes[id]
		if sc == nil {
			sc = newScope()
			scopes[id] = sc
		}
		if op := sc.add(r); op != nil {
			o.Operations = append(o.Operations, op)
		}
		if injected(r) {
			o.FaultsInjected++
			o.FaultsByName[r.Fault]++
			if o.FirstFault.IsZero() || r.Start.Before(o.FirstFault) {
				o.FirstFault = r.Start
			}
		}
	}
	for _, f := range in.TimerFaults {
		o.FaultsInjected++
		o.FaultsByName[f.Name]++
		if o.FirstFault.IsZero() || f.At.Before(o.FirstFault) {
			o.FirstFault = f.At
		}
	}
	for _, op := range o.Operations {
		op.analyse()
	}

	if !o.FirstFault.IsZero() {
		for _, run := range in.Runs {
			if run.Succeeded() && run.End.After(o.FirstFault) {
				d := run.End.Sub(o.FirstFault)
				if !o.Recovered || d < o.Recovery {
					o.Recovery, o.Recovered = d, true
				}
			}
		}
	}

	for _, n := range in.Notifications {
		if !n.Firing() {
			continue
		}
		o.Alerts[n.Level()]++
		if n.Page() {
			o.Pages++
		}
	}
	return o
}

func (op *Operation) analyse() {
	var firstFault time.Time
	for i, r := range op.Requests {
		if i > 0 && failed(op.Requests[i-1]) {
			prev := op.Requests[i-1]
			op.Retries = append(op.Retries, Retry{
				Index:       i,
				After:       prev.Status,
				AfterAnswer: answer(prev),
				RetryAfter:  time.Duration(prev.RetryAfterMS) * time.Millisecond,
				Gap:         r.Start.Sub(prev.Start),
				Sleep:       r.Start.Sub(prev.End),
				BackoffGap:  true,
			})
		}
		if injected(r) && firstFault.IsZero() {
			firstFault = r.Start
		}
		if !firstFault.IsZero() && !op.Recovered && r.Status >= 200 && r.Status < 300 && r.Error == "" && !r.Start.Before(firstFault) {
			op.Recovery, op.Recovered = r.End.Sub(firstFault), true
		}
	}
}

// Retries counts the retries of every operation, optionally of one target.
func (o *Observations) Retries(target string) int {
	n := 0
	for _, op := range o.Operations {
		if target == "" || op.Target == target {
			n += len(op.Retries)
		}
	}
	return n
}

// Attempts counts requests, optionally of one target.
func (o *Observations) Attempts(target string) int {
	n := 0
	for _, r := range o.Requests {
		if target == "" || r.Target == target {
			n++
		}
	}
	return n
}

// RequestsByStatus counts requests by the status the client received,
// optionally of one target.
func (o *Observations) RequestsByStatus(target string) map[int]int {
	m := map[int]int{}
	for _, r := range o.Requests {
		if target == "" || r.Target == target {
			m[r.Status]++
		}
	}
	return m
}

// LastRun returns the record of the last process start of the last
// scheduled run, and false when nothing ran.
func (o *Observations) LastRun() (RunRecord, bool) {
	if len(o.Runs) == 0 {
		return RunRecord{}, false
	}
	last := o.Runs[0]
	for _, r := range o.Runs[1:] {
		if r.Run > last.Run || (r.Run == last.Run && r.Attempt >= last.Attempt) {
			last = r
		}
	}
	return last, true
}

// SuccessRate is the share of scheduled runs whose last attempt succeeded.
func (o *Observations) SuccessRate() float64 {
	last := map[int]RunRecord{}
	for _, r := range o.Runs {
		if p, ok := last[r.Run]; !ok || r.Attempt >= p.Attempt {
			last[r.Run] = r
		}
	}
	if len(last) == 0 {
		return 0
	}
	ok := 0
	for _, r := range last {
		if r.Succeeded() {
			ok++
		}
	}
	return float64(ok) / float64(len(last))
}

// WorkloadSpan is from the first run's start to the last run's end.
func (o *Observations) WorkloadSpan() time.Duration {
	var first, last time.Time
	for _, r := range o.Runs {
		if first.IsZero() || r.Start.Before(first) {
			first = r.Start
		}
		if r.End.After(last) {
			last = r.End
		}
	}
	if first.IsZero() || last.Before(first) {
		return 0
	}
	return last.Sub(first)
}

// GaveUp returns, when a fault was injected and nothing recovered, the time
// from the first injected fault to the end of the last run: how long the
// workload tried before it gave up. ok is false when something recovered,
// nothing was injected or nothing ran.
func (o *Observations) GaveUp() (d time.Duration, ok bool) {
	if o.Recovered || o.FirstFault.IsZero() || len(o.Runs) == 0 {
		return 0, false
	}
	var last time.Time
	for _, r := range o.Runs {
		if r.End.After(last) {
			last = r.End
		}
	}
	return max(last.Sub(o.FirstFault), 0), true
}
