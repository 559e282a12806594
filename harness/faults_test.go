package harness_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// faultsYAML holds every kind of fault DESIGN's vocabulary example has, plus
// a fault for another target and one with no target.
const faultsYAML = `faults:
  - name: one-503
    target: storage
    match: {method: GET, path: "/features/*"}
    action: {status: 503}
    times: 1
  - name: throttled
    target: storage
    action: {status: 429, retry_after: 2s, s3_code: SlowDown, body: "slow", headers: {X-A: "1"}}
    skip: 3
    every: 2
    after: 1s
    until: 10s
  - name: slow-api
    target: feature-api
    action: {delay: 300ms}
    probability: 0.2
  - name: storage-restart
    target: storage
    action: {crash: {restart_after: 2s}}
    after: 5s
  - name: cut
    action: {truncate: 1KiB}
  - name: narrow
    target: storage
    action: {throttle: 64KiB}
    probability: 0.5
`

func TestProxyRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(path, []byte(faultsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	faults, err := scenarios.LoadFaults(path)
	if err != nil {
		t.Fatalf("load faults: %v", err)
	}
	// Workload faults need a scenario (LoadFaults refuses them), so they
	// are built here as LoadFile would return them.
	faults = append(faults[:4:4],
		&scenarios.Fault{Name: "worker-dies-after-upload", Target: scenarios.WorkloadTarget, Via: "storage",
			Match: &scenarios.Match{Method: scenarios.Methods{"PUT", "POST"}, Path: "/models/*/model.bin",
				Headers: map[string]string{"X-K": "v"}, Query: map[string]string{"uploadId": "1"}},
			On: scenarios.OnResponse, Action: scenarios.Action{Action: &injectors.Crash{}}, Times: new(1)},
		&scenarios.Fault{Name: "worker-pause-anywhere", Target: scenarios.WorkloadTarget,
			Match: &scenarios.Match{Path: "/*"}, Action: scenarios.Action{Action: &injectors.Pause{For: 2 * time.Second}}},
		&scenarios.Fault{Name: "worker-pause-elsewhere", Target: scenarios.WorkloadTarget, Via: "other",
			Match: &scenarios.Match{Path: "/*"}, Action: scenarios.Action{Action: &injectors.Pause{For: 2 * time.Second}}},
		&scenarios.Fault{Name: "worker-timer", Target: scenarios.WorkloadTarget,
			Action: scenarios.Action{Action: &injectors.Crash{}}},
	)
	faults = append(faults, mustLoadTail(t, path)...)
	kib := int64(1024)
	half := 0.5
	want := []injectors.Rule{
		{Name: "one-503", On: injectors.OnRequest,
			Match:    injectors.Match{Methods: []string{"GET"}, Path: "/features/*"},
			Action:   &injectors.Status{Code: 503},
			Schedule: injectors.Schedule{Times: 1}},
		{Name: "throttled", On: injectors.OnRequest,
			Action: &injectors.Status{Code: 429, S3Code: "SlowDown", Body: "slow",
				Headers: map[string]string{"X-A": "1"}, RetryAfter: &injectors.RetryAfter{Delay: 2 * time.Second}},
			Schedule: injectors.Schedule{Skip: 3, Every: 2, After: time.Second, Until: 10 * time.Second}},
		// storage-restart is a timer: not a proxy rule.
		{Name: "worker-dies-after-upload", On: injectors.OnResponse, Workload: true,
			Match: injectors.Match{Methods: []string{"PUT", "POST"}, Path: "/models/*/model.bin",
				Headers: map[string]string{"X-K": "v"}, Query: map[string]string{"uploadId": "1"}},
			Action:   &injectors.Crash{},
			Schedule: injectors.Schedule{Times: 1}},
		{Name: "worker-pause-anywhere", On: injectors.OnRequest, Workload: true,
			Match:  injectors.Match{Path: "/*"},
			Action: &injectors.Pause{For: 2 * time.Second}},
		{Name: "cut", On: injectors.OnRequest, Action: &injectors.Truncate{Bytes: injectors.Size(kib)}},
		{Name: "narrow", On: injectors.OnRequest, Action: &injectors.Throttle{Rate: 64 * 1024},
			Schedule: injectors.Schedule{Probability: &half}},
	}
	got := harness.ProxyRules(faults, "storage")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("storage rules:\n got %#v\nwant %#v", got, want)
	}
	for _, r := range got {
		if err := r.Validate(); err != nil {
			t.Errorf("rule %s does not validate: %v", r.Name, err)
		}
	}

	api := harness.ProxyRules(faults, "feature-api")
	var names []string
	for _, r := range api {
		names = append(names, r.Name)
	}
	if !reflect.DeepEqual(names, []string{"slow-api", "worker-pause-anywhere", "cut"}) {
		t.Fatalf("feature-api rules: %v", names)
	}
	if p := api[0].Schedule.Probability; p == nil || *p != 0.2 || api[0].Action.(*injectors.Delay).D != 300*time.Millisecond {
		t.Fatalf("slow-api: %+v", api[0])
	}
}

// mustLoadTail returns the faults after the fourth of the file.
func mustLoadTail(t *testing.T, path string) []*scenarios.Fault {
	t.Helper()
	all, err := scenarios.LoadFaults(path)
	if err != nil {
		t.Fatal(err)
	}
	return all[4:]
}

func TestProxyRulesRetryAfterDate(t *testing.T) {
	when := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f := &scenarios.Fault{Name: "dated", Action: scenarios.Action{Action: &injectors.Status{Code: 503,
		RetryAfter: &scenarios.RetryAfter{Date: when}}}}
	got := harness.ProxyRules([]*scenarios.Fault{f}, "storage")
	if len(got) != 1 || got[0].Action.(*injectors.Status).RetryAfter.HeaderValue() != "Fri, 27 Nov 2026 12:00:00 GMT" {
		t.Fatalf("got %+v", got)
	}
}
