package harness

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// timelineInput is what a scenario's Timeline is drawn from.
type timelineInput struct {
	Start, End time.Time
	// Targets are the target names in file order; MinIO those of kind minio.
	Targets []string
	MinIO   map[string]bool
	// ArtifactPrefix, when set, narrows artifact writes to paths under it
	// ("/bucket/prefix").
	ArtifactPrefix string
	// Faults are the scenario's fault rules, for how long a crash or pause
	// fired on a request lasts.
	Faults []*scenarios.Fault
	Obs    *observe.Observations
	// TimerEvents are what the fault timers did (crash, restart, pause,
	// resume).
	TimerEvents []TimerEvent
}

// buildTimeline turns what a scenario observed into the Timeline of its
// report (reports.Timeline). It is a pure function of in.
func buildTimeline(in timelineInput) *reports.Timeline {
	o := in.Obs
	ms := func(t time.Time) int64 { return reports.MS(in.Start, t) }
	end := in.End
	tl := &reports.Timeline{Start: in.Start.UTC(), Targets: append([]string(nil), in.Targets...)}

	retries := map[string]bool{}
	for _, op := range o.Operations {
		for _, r := range op.Retries {
			q := op.Requests[r.Index]
			retries[requestID(q)] = true
		}
	}
	keep := keptRequests(o.Requests, retries, reports.MaxTimelineRequests)
	for i, q := range o.Requests {
		if q.End.After(end) {
			end = q.End
		}
		if !keep[i] {
			tl.Omitted++
			continue
		}
		tl.Requests = append(tl.Requests, reports.TimelineRequest{
			Target: q.Target, Run: q.Run, Attempt: q.Attempt,
			StartMS: ms(q.Start), EndMS: ms(q.End),
			Method: q.Method, Path: q.Path, Status: q.Status, Error: q.Error,
			Fault: q.Fault, Action: q.Action, Retry: retries[requestID(q)],
		})
	}
	for _, q := range o.Requests {
		if !in.MinIO[q.Target] || q.UpstreamStatus < 200 || q.UpstreamStatus >= 300 || !artifactWrite(q) {
			continue
		}
		if in.ArtifactPrefix != "" && !strings.HasPrefix(q.Path, in.ArtifactPrefix) {
			continue
		}
		tl.Artifacts = append(tl.Artifacts, reports.TimelineArtifact{Target: q.Target, AtMS: ms(q.End),
			Method: q.Method, Path: q.Path, Run: q.Run, Attempt: q.Attempt, Delivered: q.Delivered && q.Status != 0})
	}

	for _, r := range o.Runs {
		if r.End.After(end) {
			end = r.End
		}
		tl.Runs = append(tl.Runs, reports.TimelineRun{
			Run: r.Run, Attempt: r.Attempt, RunID: r.RunID,
			StartMS: ms(r.Start), EndMS: ms(r.End), ExitCode: r.ExitCode,
			Crashed: r.Crashed, TimedOut: r.TimedOut, Signal: r.Signal, Succeeded: r.Succeeded(),
			Log: fmt.Sprintf("workload-run%d-attempt%d.log", r.Run, r.Attempt),
		})
	}

	for _, n := range o.Notifications {
		tl.Alerts = append(tl.Alerts, reports.TimelineAlert{AtMS: ms(n.At), Name: n.Name, Source: n.Source,
			Action: n.Action, Level: n.Level(), Firing: n.Firing()})
	}
	tl.EndMS = ms(end)
	tl.Windows = faultWindows(in, ms, tl.EndMS)
	for _, e := range in.TimerEvents {
		if e.Err == nil && (e.Action == "crash" || e.Action == "pause") {
			tl.Faults = append(tl.Faults, reports.TimelineFault{Name: e.Fault, Target: e.Target, Action: e.Action, AtMS: ms(e.At)})
		}
	}

	if !o.FirstFault.IsZero() {
		first := ms(o.FirstFault)
		tl.FirstFaultMS = &first
		if o.Recovered {
			rec := ms(o.FirstFault.Add(o.Recovery))
			tl.RecoveredMS = &rec
		} else if d, ok := o.GaveUp(); ok {
			g := ms(o.FirstFault.Add(d))
			tl.GaveUpMS = &g
		}
	}
	return tl
}

func requestID(q observe.Request) string { return fmt.Sprintf("%s#%d", q.Target, q.Seq) }

// keptRequests picks which requests a timeline keeps when there are more
// than limit: every failed, injected or retried one, then successful ones
// in time order while the limit allows.
func keptRequests(rs []observe.Request, retries map[string]bool, limit int) []bool {
	keep := make([]bool, len(rs))
	if len(rs) <= limit {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	n := 0
	for i, q := range rs {
		if q.Fault != "" || q.Error != "" || q.Status < 200 || q.Status >= 400 || retries[requestID(q)] {
			keep[i] = true
			n++
		}
	}
	for i := range rs {
		if n >= limit {
			break
		}
		if !keep[i] {
			keep[i] = true
			n++
		}
	}
	return keep
}

// artifactWrite reports whether q stores an object: a PUT (not a part of a
// multipart upload) or the POST that completes a multipart upload.
func artifactWrite(q observe.Request) bool {
	switch q.Method {
	case "PUT":
		return !strings.Contains(q.Query, "partNumber=")
	case "POST":
		return strings.Contains(q.Query, "uploadId=")
	}
	return false
}

// faultWindows derives the spans during which a fault was active on a
// target: the first to the last request each rule injected on (kind
// injecting); a crash until its restart (down); a pause until it ended
// (paused). A crash that was never restarted lasts until endMS.
func faultWindows(in timelineInput, ms func(time.Time) int64, endMS int64) []reports.TimelineWindow {
	var out []reports.TimelineWindow
	spec := map[string]*scenarios.Fault{}
	for _, f := range in.Faults {
		spec[f.Name] = f
	}
	type key struct{ target, fault string }
	spans := map[key]*reports.TimelineWindow{}
	var order []key
	for _, q := range in.Obs.Requests {
		if q.Fault == "" {
			continue
		}
		f := spec[q.Fault]
		if f != nil && f.Target != scenarios.WorkloadTarget && f.Action.Action != nil && injectors.ActsOnProcess(f.Action.Action) {
			// A crash or pause of the target, fired by a request.
			w := reports.TimelineWindow{Target: q.Target, Fault: q.Fault, Kind: "down", FromMS: ms(q.Start), ToMS: endMS}
			switch a := f.Action.Action.(type) {
			case *injectors.Crash:
				if a.RestartAfter != nil {
					w.ToMS = min(ms(q.Start.Add(*a.RestartAfter)), endMS)
				}
			case *injectors.Pause:
				w.Kind, w.ToMS = "paused", min(ms(q.Start.Add(a.For)), endMS)
			}
			out = append(out, w)
			continue
		}
		if f != nil && f.Target == scenarios.WorkloadTarget {
			continue // drawn on the workload's lane
		}
		k := key{q.Target, q.Fault}
		w := spans[k]
		if w == nil {
			w = &reports.TimelineWindow{Target: q.Target, Fault: q.Fault, Kind: "injecting", FromMS: ms(q.Start), ToMS: ms(q.End)}
			spans[k] = w
			order = append(order, k)
		}
		w.FromMS = min(w.FromMS, ms(q.Start))
		w.ToMS = max(w.ToMS, ms(q.End))
	}
	for _, k := range order {
		out = append(out, *spans[k])
	}
	// Timer faults: a crash until the next restart of its target, a pause
	// until the next resume.
	events := append([]TimerEvent(nil), in.TimerEvents...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	for i, e := range events {
		if e.Err != nil || e.Target == scenarios.WorkloadTarget || (e.Action != "crash" && e.Action != "pause") {
			continue
		}
		w := reports.TimelineWindow{Target: e.Target, Fault: e.Fault, Kind: "down", FromMS: ms(e.At), ToMS: endMS}
		closing := "restart"
		if e.Action == "pause" {
			w.Kind, closing = "paused", "resume"
		}
		for _, later := range events[i+1:] {
			if later.Target == e.Target && later.Action == closing {
				w.ToMS = min(ms(later.At), endMS)
				break
			}
		}
		out = append(out, w)
	}
	return out
}

// policyHash returns the SHA-256 (hex) of the policy file at path, "" when
// there is none or it cannot be read (validation read it before the run).
func policyHash(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// logTail returns the last max lines of the file at path (shown as display),
// nil when it cannot be read or is empty. Long lines are cut at 1000 bytes.
func logTail(path, display string, max int) *reports.LogTail {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	t := &reports.LogTail{Path: display}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if len(line) > 1000 {
			line = line[:1000] + "…"
		}
		t.Lines = append(t.Lines, line)
		if len(t.Lines) > max {
			t.Lines, t.Truncated = t.Lines[1:], true
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		t.Lines = append(t.Lines, "gameday: reading the log stopped: "+err.Error())
	}
	if len(t.Lines) == 0 {
		return nil
	}
	return t
}

// failingAttemptLog names the log of the attempt that tells most about a
// failure: the last attempt that did not succeed, else the last attempt.
func failingAttemptLog(runs []observe.RunRecord) string {
	if len(runs) == 0 {
		return ""
	}
	pick := runs[len(runs)-1]
	for i := len(runs) - 1; i >= 0; i-- {
		if !runs[i].Succeeded() {
			pick = runs[i]
			break
		}
	}
	return fmt.Sprintf("workload-run%d-attempt%d.log", pick.Run, pick.Attempt)
}

// annotate adds to res what report.html, junit.xml and the history need
// beyond the verdicts: the timeline, the policy's hash, the replay command
// with every flag that changes the outcome, and for a scenario that did not
// pass the end of its workload log.
func (s *scenarioRun) annotate(res *reports.Scenario, in observe.Input, obs *observe.Observations) {
	sc := s.sc
	res.PolicySHA256 = policyHash(sc.Workload.Policy)
	res.Replay = s.replayCommand(res.File)
	if obs == nil || (len(in.Runs) == 0 && len(in.Journal) == 0) {
		return
	}
	var order []string
	var timerLog []TimerEvent
	if s.st != nil {
		order, timerLog = s.st.Order, s.st.TimerLog
	}
	ti := timelineInput{Start: in.Start, End: in.End, Targets: order, MinIO: map[string]bool{},
		Faults: sc.Faults, Obs: obs, TimerEvents: timerLog}
	for _, t := range sc.Targets {
		if t.Kind == scenarios.KindMinIO {
			ti.MinIO[t.Name] = true
		}
	}
	if a := sc.Expect.Artifacts; a != nil && a.Bucket != "" {
		ti.ArtifactPrefix = "/" + a.Bucket + "/" + a.Prefix
	}
	res.Timeline = buildTimeline(ti)
	if !res.Passed {
		if name := failingAttemptLog(in.Runs); name != "" {
			path := filepath.Join(s.dir, name)
			res.WorkloadLog = logTail(path, s.r.display(path), reports.MaxLogTailLines)
		}
	}
}

// replayCommand is the command that replays this run: the backend it ran
// on, its seed, an --evidence-runs override when the run had one, the
// workload variables --env overrode, a --filter that selects exactly this
// combination of a matrix, and the file.
func (s *scenarioRun) replayCommand(file string) string {
	var flags []string
	if b := s.r.backendName(); b == lifecycle.BackendDocker || b == lifecycle.BackendProcess {
		flags = append(flags, "--backend", b)
	}
	flags = append(flags, "--seed", fmt.Sprint(s.seed))
	if s.r.opts.EvidenceRuns != nil {
		flags = append(flags, "--evidence-runs", fmt.Sprint(*s.r.opts.EvidenceRuns))
	}
	env := s.sc.Overrides().Env
	for _, k := range slices.Sorted(maps.Keys(env)) {
		flags = append(flags, "--env", k+"="+env[k])
	}
	if s.sc.Combination != nil {
		// Only * is special in a filter, and a combination's name holds
		// none: the name selects exactly this combination.
		flags = append(flags, "--filter", s.sc.Name)
	}
	return reports.ReplayCommandFlags(flags, file)
}
