package reports

import "time"

// Timeline is what happened during one run of a scenario, in time order, as
// report.html draws it: the requests on each target's proxy, the workload's
// process starts, the faults that fired off the wire, the shaded fault
// windows, the notifications the alert receiver got and the artifact
// writes. Every time is in milliseconds since Start, so the writers need
// nothing but the Result.
//
// The runner fills it for every run (repeats.each carries one per seed); an
// aggregate under --repeat has none of its own.
type Timeline struct {
	// Start is the zero of every *_ms field: the scenario's start (boot).
	Start time.Time `json:"start"`
	// EndMS is the scenario's end (after observing).
	EndMS int64 `json:"end_ms"`
	// Targets are the lanes, in file order.
	Targets []string `json:"targets"`
	// Requests are the journal's requests, by start. When there were more
	// than MaxTimelineRequests, the successful ones beyond that number are
	// left out (failed and injected ones are always kept) and Omitted
	// counts them.
	Requests []TimelineRequest `json:"requests"`
	Omitted  int               `json:"omitted,omitempty"`
	// Runs are the workload's process starts: one per scheduled run and
	// restart attempt.
	Runs []TimelineRun `json:"runs"`
	// Faults are faults that fired on the harness timer rather than on a
	// request: a crash or pause of a target or of the workload.
	Faults []TimelineFault `json:"faults"`
	// Windows are spans during which a fault was active on a target: from
	// the first to the last request a rule injected on ("injecting"), or
	// from a crash to the restart ("down"), or a pause ("paused").
	Windows []TimelineWindow `json:"windows"`
	// Alerts are the notifications the alert receiver recorded.
	Alerts []TimelineAlert `json:"alerts"`
	// Artifacts are the writes the target stored (upstream 2xx to a PUT,
	// or a POST completing a multipart upload), also those whose answer
	// never reached the client.
	Artifacts []TimelineArtifact `json:"artifacts"`
	// FirstFaultMS is when the first fault was injected; nil when none
	// was.
	FirstFaultMS *int64 `json:"first_fault_ms,omitempty"`
	// RecoveredMS is the end of the first successful run that ended after
	// the first fault (metrics.recovery_time_ms = RecoveredMS -
	// FirstFaultMS); nil when nothing recovered.
	RecoveredMS *int64 `json:"recovered_ms,omitempty"`
	// GaveUpMS is the end of the last run when a fault was injected and
	// nothing recovered (metrics.gave_up_after_ms = GaveUpMS -
	// FirstFaultMS); nil otherwise.
	GaveUpMS *int64 `json:"gave_up_ms,omitempty"`
}

// MaxTimelineRequests bounds the requests a Timeline keeps, so that
// report.json and report.html stay small for long runs.
const MaxTimelineRequests = 3000

// TimelineRequest is one request through a target's proxy.
type TimelineRequest struct {
	Target  string `json:"target"`
	Run     int    `json:"run"`
	Attempt int    `json:"attempt"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	// Status is what the client received; 0 when nothing arrived.
	Status int `json:"status"`
	// Error says why nothing (whole) arrived: reset, hang, upstream-down ...
	Error string `json:"error,omitempty"`
	// Fault and Action name the rule that fired on the request, if any.
	Fault  string `json:"fault,omitempty"`
	Action string `json:"action,omitempty"`
	// Retry marks a request that continued a failed one of its operation.
	Retry bool `json:"retry,omitempty"`
}

// TimelineRun is one process start of the workload.
type TimelineRun struct {
	Run      int    `json:"run"`
	Attempt  int    `json:"attempt"`
	RunID    string `json:"run_id"`
	StartMS  int64  `json:"start_ms"`
	EndMS    int64  `json:"end_ms"`
	ExitCode int    `json:"exit_code"`
	// Crashed: ended by an injected kill or a signal the harness did not
	// send. TimedOut: killed for passing the per-run timeout.
	Crashed  bool   `json:"crashed,omitempty"`
	TimedOut bool   `json:"timed_out,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Succeeded: exited 0 by itself.
	Succeeded bool `json:"succeeded"`
	// Log is the attempt's log file, relative to the scenario's folder.
	Log string `json:"log,omitempty"`
}

// TimelineFault is a fault that fired on the harness timer.
type TimelineFault struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Action string `json:"action"`
	AtMS   int64  `json:"at_ms"`
}

// TimelineWindow is a span during which a fault was active on a target.
type TimelineWindow struct {
	Target string `json:"target"`
	Fault  string `json:"fault"`
	// Kind is "injecting", "down" or "paused".
	Kind   string `json:"kind"`
	FromMS int64  `json:"from_ms"`
	ToMS   int64  `json:"to_ms"`
}

// TimelineAlert is one notification the alert receiver recorded.
type TimelineAlert struct {
	AtMS int64  `json:"at_ms"`
	Name string `json:"name"`
	// Source is alertmanager or pagerduty; Action the alert status or
	// event action (firing, resolved, trigger ...).
	Source string `json:"source"`
	Action string `json:"action"`
	// Level is info, warning or page (DESIGN's mapping); Firing is false
	// for resolves, acknowledgements and rejected payloads.
	Level  string `json:"level"`
	Firing bool   `json:"firing"`
}

// TimelineArtifact is one write the target stored.
type TimelineArtifact struct {
	Target  string `json:"target"`
	AtMS    int64  `json:"at_ms"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Run     int    `json:"run"`
	Attempt int    `json:"attempt"`
	// Delivered is false when the client never got the answer (the worker
	// died after the upload).
	Delivered bool `json:"delivered"`
}

// MS returns the milliseconds from start to t, the unit of a Timeline.
func MS(start, t time.Time) int64 { return t.Sub(start).Milliseconds() }
