package harness

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func TestBuildTimeline(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	restart := 300 * time.Millisecond
	faults := []*scenarios.Fault{
		{Name: "one-503", Target: "storage", Action: scenarios.Action{Action: &injectors.Status{Code: 503}}},
		{Name: "api-crash", Target: "api", Action: scenarios.Action{Action: &injectors.Crash{RestartAfter: &restart}}},
		{Name: "worker-dies", Target: scenarios.WorkloadTarget, Via: "storage", Action: scenarios.Action{Action: &injectors.Crash{}}},
	}
	journal := []observe.Request{
		{Seq: 1, Target: "storage", Run: 1, Start: at(100), End: at(110), Method: "GET", Path: "/features/a", Status: 503, UpstreamStatus: 0, Fault: "one-503", Action: "status", Delivered: true},
		{Seq: 2, Target: "storage", Run: 1, Start: at(150), End: at(160), Method: "GET", Path: "/features/a", Status: 200, UpstreamStatus: 200, Delivered: true},
		{Seq: 1, Target: "api", Run: 1, Start: at(200), End: at(201), Method: "POST", Path: "/v1/runs", Status: 0, Fault: "api-crash", Action: "crash", Error: "crash"},
		{Seq: 3, Target: "storage", Run: 1, Start: at(300), End: at(320), Method: "PUT", Path: "/models/r1/model.bin", Status: 0, UpstreamStatus: 200, Fault: "worker-dies", Action: "crash", Delivered: false},
		{Seq: 4, Target: "storage", Run: 1, Attempt: 1, Start: at(400), End: at(410), Method: "PUT", Path: "/models/r1/model.bin", Status: 200, UpstreamStatus: 200, Delivered: true},
		{Seq: 5, Target: "storage", Run: 1, Attempt: 1, Start: at(420), End: at(430), Method: "PUT", Path: "/other/x", Status: 200, UpstreamStatus: 200, Delivered: true},
		{Seq: 6, Target: "storage", Run: 1, Attempt: 1, Start: at(440), End: at(450), Method: "PUT", Path: "/models/r1/big.bin", Query: "partNumber=1&uploadId=u", Status: 200, UpstreamStatus: 200, Delivered: true},
	}
	runs := []observe.RunRecord{
		{Run: 1, Attempt: 0, RunID: "r1", Start: at(50), End: at(330), ExitCode: -1, Crashed: true, Signal: "killed"},
		{Run: 1, Attempt: 1, RunID: "r1", Start: at(350), End: at(500), ExitCode: 0},
	}
	timers := []TimerEvent{
		{Fault: "storage-pause", Target: "storage", Action: "pause", At: at(120)},
		{Fault: "storage-pause", Target: "storage", Action: "resume", At: at(140)},
	}
	obs := observe.Observe(observe.Input{Journal: journal, Runs: runs, Start: t0, End: at(600),
		Notifications: []observe.Notification{{Source: "pagerduty", Action: "trigger", Severity: "critical", Valid: true, Name: "sustained", At: at(480)}}})

	tl := buildTimeline(timelineInput{Start: t0, End: at(600), Targets: []string{"storage", "api"},
		MinIO: map[string]bool{"storage": true}, ArtifactPrefix: "/models/", Faults: faults, Obs: obs, TimerEvents: timers})

	if tl.EndMS != 600 || !reflect.DeepEqual(tl.Targets, []string{"storage", "api"}) {
		t.Fatalf("end %d, targets %v", tl.EndMS, tl.Targets)
	}
	if len(tl.Requests) != len(journal) || tl.Omitted != 0 {
		t.Fatalf("requests %d (omitted %d), want %d", len(tl.Requests), tl.Omitted, len(journal))
	}
	if r := tl.Requests[1]; !r.Retry || r.StartMS != 150 || r.Status != 200 {
		t.Errorf("the GET after the 503 is a retry at 150ms: %+v", r)
	}
	wantArtifacts := []reports.TimelineArtifact{
		{Target: "storage", AtMS: 320, Method: "PUT", Path: "/models/r1/model.bin", Run: 1, Attempt: 0, Delivered: false},
		{Target: "storage", AtMS: 410, Method: "PUT", Path: "/models/r1/model.bin", Run: 1, Attempt: 1, Delivered: true},
	}
	if !reflect.DeepEqual(tl.Artifacts, wantArtifacts) {
		t.Errorf("artifacts (stored writes under /models/, parts left out):\n got %+v\nwant %+v", tl.Artifacts, wantArtifacts)
	}
	wantWindows := []reports.TimelineWindow{
		{Target: "api", Fault: "api-crash", Kind: "down", FromMS: 200, ToMS: 500},
		{Target: "storage", Fault: "one-503", Kind: "injecting", FromMS: 100, ToMS: 110},
		{Target: "storage", Fault: "storage-pause", Kind: "paused", FromMS: 120, ToMS: 140},
	}
	if !reflect.DeepEqual(tl.Windows, wantWindows) {
		t.Errorf("windows:\n got %+v\nwant %+v", tl.Windows, wantWindows)
	}
	if len(tl.Faults) != 1 || tl.Faults[0].Action != "pause" || tl.Faults[0].AtMS != 120 {
		t.Errorf("timer faults: %+v", tl.Faults)
	}
	if len(tl.Runs) != 2 || !tl.Runs[0].Crashed || tl.Runs[0].Succeeded || !tl.Runs[1].Succeeded || tl.Runs[1].Log != "workload-run1-attempt1.log" {
		t.Errorf("runs: %+v", tl.Runs)
	}
	if len(tl.Alerts) != 1 || tl.Alerts[0].Level != "page" || !tl.Alerts[0].Firing || tl.Alerts[0].AtMS != 480 {
		t.Errorf("alerts: %+v", tl.Alerts)
	}
	if tl.FirstFaultMS == nil || *tl.FirstFaultMS != 100 || tl.RecoveredMS == nil || *tl.RecoveredMS != 500 || tl.GaveUpMS != nil {
		t.Errorf("first fault %v, recovered %v, gave up %v", tl.FirstFaultMS, tl.RecoveredMS, tl.GaveUpMS)
	}
}

func TestBuildTimelineGaveUpAndOmits(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var journal []observe.Request
	for i := range reports.MaxTimelineRequests + 10 {
		q := observe.Request{Seq: uint64(i + 1), Target: "api", Run: 1, Method: "GET", Path: "/v1/x", Status: 200,
			Start: t0.Add(time.Duration(i) * time.Millisecond), End: t0.Add(time.Duration(i)*time.Millisecond + 500*time.Microsecond)}
		if i == reports.MaxTimelineRequests+5 {
			q.Status, q.Fault, q.Action = 503, "late-503", "status"
		}
		journal = append(journal, q)
	}
	runs := []observe.RunRecord{{Run: 1, Start: t0, End: t0.Add(4 * time.Second), ExitCode: 1}}
	obs := observe.Observe(observe.Input{Journal: journal, Runs: runs, Start: t0, End: t0.Add(5 * time.Second)})
	tl := buildTimeline(timelineInput{Start: t0, End: t0.Add(5 * time.Second), Targets: []string{"api"}, Obs: obs})
	if len(tl.Requests) != reports.MaxTimelineRequests || tl.Omitted != 10 {
		t.Fatalf("kept %d, omitted %d", len(tl.Requests), tl.Omitted)
	}
	injected := 0
	for _, r := range tl.Requests {
		if r.Fault != "" {
			injected++
		}
	}
	if injected != 1 {
		t.Errorf("the injected request past the limit is kept: %d", injected)
	}
	if tl.RecoveredMS != nil || tl.GaveUpMS == nil || *tl.GaveUpMS != 4000 {
		t.Errorf("recovered %v, gave up %v: want gave up at the end of the last run (4000)", tl.RecoveredMS, tl.GaveUpMS)
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.log")
	var lines []string
	for i := range 50 {
		lines = append(lines, strings.Repeat("x", i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tail := logTail(path, "out/w.log", 40)
	if tail == nil || !tail.Truncated || len(tail.Lines) != 40 || tail.Lines[39] != lines[49] || tail.Path != "out/w.log" {
		t.Fatalf("tail: %+v", tail)
	}
	if logTail(filepath.Join(t.TempDir(), "missing.log"), "x", 40) != nil {
		t.Error("a missing log has no tail")
	}
	runs := []observe.RunRecord{{Run: 1, ExitCode: 1}, {Run: 2, ExitCode: 0}, {Run: 3, Crashed: true}, {Run: 3, Attempt: 1, ExitCode: 0}}
	if got := failingAttemptLog(runs); got != "workload-run3-attempt0.log" {
		t.Errorf("failing attempt log: %s", got)
	}
}
