package observe

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
)

// Request is one journal line (DESIGN "The journal"), as the proxies write
// it.
type Request = injectors.Entry

// ok reports whether the client received a 2xx or 3xx answer.
func ok(r Request) bool { return r.Status >= 200 && r.Status < 400 }

// injected reports whether a fault rule fired on this request.
func injected(r Request) bool { return r.Fault != "" }

// answer names what the client got: the status, or the error when none.
func answer(r Request) string {
	if r.Status != 0 {
		return fmt.Sprint(r.Status)
	}
	if r.Error != "" {
		return "no answer (" + r.Error + ")"
	}
	return "no answer"
}

// ObjectVersion is one entry of a listing of all object versions.
type ObjectVersion struct {
	Key            string
	VersionID      string
	IsDeleteMarker bool
	LastModified   time.Time
	// ETag identifies the version's content (the MD5 of a single-part
	// upload); equal ETags mean identical bytes.
	ETag string
}

// Notification is one alert as the receiver recorded it: one Alertmanager
// alert (of a webhook payload) or one PagerDuty event.
type Notification struct {
	// Source is "alertmanager" or "pagerduty".
	Source string
	// Action is the Alertmanager alert status (firing, resolved) or the
	// PagerDuty event_action (trigger, acknowledge, resolve).
	Action string
	// Severity is the Alertmanager `severity` label or the PagerDuty
	// payload.severity.
	Severity string
	// Valid is false for a payload the receiver rejected.
	Valid bool
	Name  string
	At    time.Time
}

// Firing reports whether n opens (or re-notifies) an alert, as opposed to a
// resolve or an acknowledgement, which never count.
func (n Notification) Firing() bool {
	if !n.Valid {
		return false
	}
	switch n.Source {
	case "pagerduty":
		return n.Action == "trigger"
	default:
		return n.Action == "firing" || n.Action == ""
	}
}

// Page reports whether n is a page as DESIGN defines it: a firing
// Alertmanager alert of severity page or critical, or a PagerDuty trigger of
// severity critical or error.
func (n Notification) Page() bool {
	if !n.Firing() {
		return false
	}
	s := strings.ToLower(n.Severity)
	if n.Source == "pagerduty" {
		return s == "critical" || s == "error"
	}
	return s == "page" || s == "critical"
}

// Level maps n's severity onto the policy's info | warning | page.
func (n Notification) Level() string {
	if n.Page() {
		return "page"
	}
	return strings.ToLower(n.Severity)
}

// RunRecord is the runner's record of one process start of the workload.
type RunRecord struct {
	Run      int    // scheduled run, 1..
	Attempt  int    // restart attempt, 0..
	RunID    string // the run's id, kept across restarts
	Start    time.Time
	End      time.Time
	ExitCode int
	// Crashed: ended by an injected kill or a signal the harness did not send.
	Crashed bool
	// TimedOut: killed for passing the workload's per-run timeout.
	TimedOut bool
	// Signal names the signal that ended the process, if any.
	Signal string
}

// Succeeded reports whether the process exited 0 by itself.
func (r RunRecord) Succeeded() bool {
	return r.ExitCode == 0 && !r.Crashed && !r.TimedOut && r.Signal == ""
}

// FaultEvent is a fault that fired off the wire, on the harness timer (a
// timer crash or pause of a target).
type FaultEvent struct {
	Name   string
	Target string
	At     time.Time
}

// sortRequests orders requests by start time, then by target and sequence.
func sortRequests(rs []Request) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].Start.Equal(rs[j].Start) {
			return rs[i].Start.Before(rs[j].Start)
		}
		if rs[i].Target != rs[j].Target {
			return rs[i].Target < rs[j].Target
		}
		return rs[i].Seq < rs[j].Seq
	})
}
