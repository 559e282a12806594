package alerting_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/alerting"
)

// recorder is a Notifier that records what it is given and can fail.
type recorder struct {
	mu    sync.Mutex
	got   []alerting.Notification
	fails int // fail this many calls first
	calls int
}

func (r *recorder) Notify(_ context.Context, n alerting.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.fails {
		return errors.New("connection refused")
	}
	r.got = append(r.got, n)
	return nil
}

func (r *recorder) take() []alerting.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// defaultPolicy mirrors policies/default.yaml's alerts section.
func defaultPolicy() *policies.Policy {
	return &policies.Policy{Alerts: policies.Alerts{
		State: "file",
		Rules: []policies.AlertRule{
			{Name: "first-failure", When: "failure_count == 1", Severity: policies.SeverityInfo, Notify: []string{"team"}, DedupWindow: 30 * time.Minute, AutoResolve: true},
			{Name: "sustained", When: "consecutive_failures >= 3", Severity: policies.SeverityPage, Notify: []string{"oncall"}, EscalateAfter: 15 * time.Minute},
			{Name: "late-data", When: "late > duration('60m')", Severity: policies.SeverityPage, Notify: []string{"oncall"}},
		},
		Receivers: map[string]policies.Receiver{
			"team":   {Alertmanager: &policies.AlertmanagerReceiver{URL: "${GAMEDAY_ALERT_URL}"}},
			"oncall": {PagerDuty: &policies.PagerDutyReceiver{URL: "${GAMEDAY_PAGERDUTY_URL}", RoutingKey: "gameday"}},
		},
		Payload: []string{"pipeline", "step", "run_id", "error_class", "error", "last_log_lines", "runbook"},
	}}
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

var t0 = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

type rig struct {
	t            *testing.T
	dir          string
	clock        *fakeClock
	team, oncall *recorder
	policy       *policies.Policy
}

func newRig(t *testing.T, p *policies.Policy) *rig {
	return &rig{t: t, dir: t.TempDir(), clock: &fakeClock{t: t0}, team: &recorder{}, oncall: &recorder{}, policy: p}
}

// run evaluates one outcome with a fresh Alerter and FileStore, as a new
// process would.
func (r *rig) run(o alerting.Outcome) alerting.Report {
	r.t.Helper()
	store, err := alerting.NewFileStore(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	a, err := alerting.New(r.policy, store,
		alerting.WithClock(r.clock.now),
		alerting.WithNotifier("team", r.team), alerting.WithNotifier("oncall", r.oncall),
		alerting.WithSendRetry(alerting.SendRetry{Attempts: 3, Delay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
		alerting.WithGetenv(func(string) string { return "" }))
	if err != nil {
		r.t.Fatal(err)
	}
	rep, err := a.Evaluate(context.Background(), o)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

func failed(id string, at time.Time) alerting.Outcome {
	return alerting.Outcome{Pipeline: "reference", Step: "train", RunID: id, ErrorClass: "transient",
		Error: "503 ServiceUnavailable", Attempts: 5, ScheduledAt: at, LastLogLines: []string{"attempt=5 class=transient"}}
}

func ok(id string, at time.Time) alerting.Outcome {
	return alerting.Outcome{Pipeline: "reference", Step: "train", RunID: id, Success: true, ScheduledAt: at}
}

func describe(ns []alerting.Notification) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Rule+"/"+string(n.Action)+"/"+string(n.Severity)+"@"+n.Receiver)
	}
	return strings.Join(s, ",")
}

func expect(t *testing.T, what string, got []alerting.Notification, want string) {
	t.Helper()
	if d := describe(got); d != want {
		t.Errorf("%s: notifications %q, want %q", what, d, want)
	}
}

func TestSuccessNotifiesNothing(t *testing.T) {
	r := newRig(t, defaultPolicy())
	r.run(ok("n-1", t0))
	expect(t, "team", r.team.take(), "")
	expect(t, "oncall", r.oncall.take(), "")
}

func TestFirstFailureInfoThenResolve(t *testing.T) {
	r := newRig(t, defaultPolicy())
	rep := r.run(failed("n-1", t0))
	got := r.team.take()
	expect(t, "failed run", got, "first-failure/trigger/info@team")
	if rep.Vars.FailureCount != 1 {
		t.Errorf("failure_count = %d, want 1", rep.Vars.FailureCount)
	}
	d := got[0].Details
	for _, k := range []string{"summary", "when", "run_id", "error_class", "last_log_lines", "safe_to_retry", "escalation_path", "runbook", "error"} {
		if d[k] == "" {
			t.Errorf("payload field %s missing", k)
		}
	}
	if d["run_id"] != "n-1" || d["error_class"] != "transient" || !strings.HasPrefix(d["safe_to_retry"], "yes") {
		t.Errorf("details %v", d)
	}
	r.run(ok("n-2", t0.Add(24*time.Hour)))
	res := r.team.take()
	expect(t, "next success", res, "first-failure/resolve/info@team")
	if res[0].Fingerprint != got[0].Fingerprint || res[0].Labels["run_id"] != "n-1" {
		t.Errorf("resolve does not match its trigger: %+v vs %+v", res[0], got[0])
	}
	if !res[0].EndsAt.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("resolve endsAt %v, want the logical time of the resolving run", res[0].EndsAt)
	}
	r.run(ok("n-3", t0.Add(48*time.Hour)))
	expect(t, "second success", r.team.take(), "")
	expect(t, "oncall", r.oncall.take(), "")
}

func TestThreeFailuresPageOnce(t *testing.T) {
	r := newRig(t, defaultPolicy())
	for i := 0; i < 3; i++ {
		r.run(failed("n-"+string(rune('1'+i)), t0.Add(time.Duration(i)*24*time.Hour)))
	}
	expect(t, "team", r.team.take(), "first-failure/trigger/info@team")
	pages := r.oncall.take()
	expect(t, "oncall", pages, "sustained/trigger/page@oncall")
	// A fourth failure a day later: escalate_after (15m) has passed but page
	// on the last receiver is as far as it goes, so no second page.
	rep := r.run(failed("n-4", t0.Add(72*time.Hour)))
	expect(t, "fourth failure", r.oncall.take(), "")
	if len(rep.Suppressed) == 0 {
		t.Errorf("fourth failure: want a suppression reason")
	}
}

func TestSameRunEvaluatedTwiceCountsOnce(t *testing.T) {
	r := newRig(t, defaultPolicy())
	r.run(failed("n-1", t0))
	r.run(failed("n-2", t0.Add(time.Hour)))
	rep := r.run(failed("n-2", t0.Add(time.Hour))) // a restart of run 2
	if rep.Vars.ConsecutiveFailures != 2 {
		t.Errorf("consecutive_failures = %d, want 2", rep.Vars.ConsecutiveFailures)
	}
	expect(t, "oncall", r.oncall.take(), "")
	expect(t, "team", r.team.take(), "first-failure/trigger/info@team")
}

func TestDedupWindowInLogicalTime(t *testing.T) {
	r := newRig(t, defaultPolicy())
	// Runs every 10 logical minutes: fail, succeed, fail again within the
	// 30m window → the second info is suppressed; the clock does not move.
	r.run(failed("n-1", t0))
	r.run(ok("n-2", t0.Add(10*time.Minute)))
	expect(t, "fail+ok", r.team.take(), "first-failure/trigger/info@team,first-failure/resolve/info@team")
	rep := r.run(failed("n-3", t0.Add(20*time.Minute)))
	expect(t, "fail within window", r.team.take(), "")
	if len(rep.Suppressed) != 1 || !strings.Contains(rep.Suppressed[0].Reason, "dedup") {
		t.Errorf("suppressed %+v, want one dedup", rep.Suppressed)
	}
	// The silently opened alert sent nothing, so its end sends nothing.
	r.run(ok("n-4", t0.Add(30*time.Minute)))
	expect(t, "ok after suppressed", r.team.take(), "")
	// Outside the window (last notification at t0, now t0+40m) it fires.
	r.run(failed("n-5", t0.Add(40*time.Minute)))
	expect(t, "fail after window", r.team.take(), "first-failure/trigger/info@team")
	// A different error class is another root cause: not deduplicated.
	r.run(ok("n-6", t0.Add(50*time.Minute)))
	r.team.take()
	o := failed("n-7", t0.Add(55*time.Minute))
	o.ErrorClass = "permanent"
	r.run(o)
	expect(t, "other class within window", r.team.take(), "first-failure/trigger/info@team")
}

func TestEscalation(t *testing.T) {
	p := defaultPolicy()
	p.Alerts.Rules = []policies.AlertRule{{Name: "failing", When: "failure_count >= 1", Severity: policies.SeverityInfo,
		Notify: []string{"team", "oncall"}, EscalateAfter: 30 * time.Minute, AutoResolve: true}}
	r := newRig(t, p)
	step := 20 * time.Minute
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * step) }
	r.run(failed("n-1", at(0)))
	expect(t, "fires", r.team.take(), "failing/trigger/info@team")
	r.run(failed("n-2", at(1))) // 20m < 30m: nothing
	expect(t, "before escalate_after", append(r.team.take(), r.oncall.take()...), "")
	r.run(failed("n-3", at(2))) // 40m: next receiver, same severity
	expect(t, "escalated to next receiver", r.oncall.take(), "failing/trigger/info@oncall")
	r.run(failed("n-4", at(3))) // 60m, 20m since escalation: nothing
	expect(t, "between escalations", r.oncall.take(), "")
	r.run(failed("n-5", at(4))) // 80m: last receiver → higher severity
	expect(t, "escalated severity", r.oncall.take(), "failing/trigger/warning@oncall")
	r.run(failed("n-6", at(6)))
	got := r.oncall.take()
	expect(t, "escalated to page", got, "failing/trigger/page@oncall")
	if got[0].Details["escalated"] != "true" {
		t.Errorf("escalation not marked in details: %v", got[0].Details)
	}
	r.run(failed("n-7", at(8)))
	expect(t, "nothing above page", r.oncall.take(), "")
	r.run(ok("n-8", at(9)))
	expect(t, "resolve goes to every receiver notified", append(r.team.take(), r.oncall.take()...),
		"failing/resolve/page@team,failing/resolve/page@oncall")
}

func TestLateRunPages(t *testing.T) {
	r := newRig(t, defaultPolicy())
	o := ok("n-1", t0)
	o.RunStartedAt = t0
	o.EndedAt = t0.Add(75 * time.Minute)
	o.SLA = 10 * time.Minute
	rep := r.run(o)
	if rep.Vars.Late != 65*time.Minute {
		t.Errorf("late = %v, want 65m", rep.Vars.Late)
	}
	got := r.oncall.take()
	expect(t, "late run", got, "late-data/trigger/page@oncall")
	if !strings.Contains(got[0].Details["summary"], "late by 1h5m0s") {
		t.Errorf("summary %q", got[0].Details["summary"])
	}
	expect(t, "team", r.team.take(), "")
}

func TestStateSurvivesNewProcess(t *testing.T) {
	r := newRig(t, defaultPolicy())
	r.run(failed("n-1", t0))
	// A new FileStore on the same dir (r.run builds one each time) sees the
	// count and the open alert.
	store, _ := alerting.NewFileStore(r.dir)
	data, ver, err := store.Load(context.Background(), alerting.StateKey("reference"))
	if err != nil || ver == "" || !strings.Contains(string(data), `"consecutive_failures": 1`) {
		t.Fatalf("state after run 1: %s %q %v", data, ver, err)
	}
	rep := r.run(failed("n-2", t0.Add(24*time.Hour)))
	if rep.Vars.ConsecutiveFailures != 2 {
		t.Errorf("consecutive_failures in a new process = %d, want 2", rep.Vars.ConsecutiveFailures)
	}
}

func TestFileStoreConflict(t *testing.T) {
	ctx := context.Background()
	s, _ := alerting.NewFileStore(t.TempDir())
	if err := s.Save(ctx, "k", []byte("a"), ""); err != nil {
		t.Fatal(err)
	}
	_, v1, _ := s.Load(ctx, "k")
	if err := s.Save(ctx, "k", []byte("b"), v1); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "k", []byte("c"), v1); !errors.Is(err, alerting.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	if err := s.Save(ctx, "k", []byte("c"), ""); !errors.Is(err, alerting.ErrConflict) {
		t.Errorf("create over existing: %v, want ErrConflict", err)
	}
	if err := s.Save(ctx, "../x", []byte("c"), ""); err == nil {
		t.Errorf("bad key accepted")
	}
}

func TestFailingReceiverIsRetriedAndNeverAnError(t *testing.T) {
	r := newRig(t, defaultPolicy())
	r.team.fails = 2
	rep := r.run(failed("n-1", t0))
	if len(rep.Failed()) != 0 || rep.Sent[0].Attempts != 3 {
		t.Errorf("want delivery on the 3rd attempt, got %+v", rep.Sent)
	}
	r.team.calls, r.team.fails = 0, 100
	r.run(ok("n-2", t0.Add(time.Hour)))
	rep = r.run(failed("n-3", t0.Add(48*time.Hour)))
	if f := rep.Failed(); len(f) != 1 || f[0].Attempts != 3 {
		t.Errorf("want one failed notification after 3 attempts, got %+v", rep.Sent)
	}
}

func TestRedaction(t *testing.T) {
	r := newRig(t, defaultPolicy())
	store, _ := alerting.NewFileStore(r.dir)
	a, err := alerting.New(r.policy, store, alerting.WithNotifier("team", r.team), alerting.WithNotifier("oncall", r.oncall),
		alerting.WithSecrets("s3cr3tvalue"), alerting.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	o := failed("n-1", t0)
	o.Error = "403 AccessDenied for key s3cr3tvalue"
	o.LastLogLines = []string{"GET /features?X-Amz-Signature=abcdef&x=1", "aws_secret_access_key=hunter22 Authorization: AWS4-HMAC"}
	if _, err := a.Evaluate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := r.team.take()
	all := got[0].Details["last_log_lines"] + got[0].Details["error"] + got[0].Details["summary"]
	for _, secret := range []string{"s3cr3tvalue", "abcdef", "hunter22", "AWS4-HMAC"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked: %s", secret, all)
		}
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	p := defaultPolicy()
	p.Alerts.Rules[0].Notify = []string{"nobody"}
	if _, err := alerting.New(p, &alerting.FileStore{Dir: t.TempDir()}); err == nil {
		t.Error("unknown receiver accepted")
	}
	p = defaultPolicy()
	p.Alerts.Rules[1].When = "consecutive > 3"
	if _, err := alerting.New(p, &alerting.FileStore{Dir: t.TempDir()}); err == nil {
		t.Error("unknown variable accepted")
	}
}

func TestConcurrentEvaluationsLoseNoUpdate(t *testing.T) {
	dir := t.TempDir()
	p := defaultPolicy()
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			store, _ := alerting.NewFileStore(dir)
			a, err := alerting.New(p, store, alerting.WithNotifier("team", &recorder{}), alerting.WithNotifier("oncall", &recorder{}),
				alerting.WithGetenv(func(string) string { return "" }))
			if err == nil {
				_, err = a.Evaluate(context.Background(), failed(fmt.Sprintf("c-%d", i), t0))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	store, _ := alerting.NewFileStore(dir)
	data, _, _ := store.Load(context.Background(), alerting.StateKey("reference"))
	if !strings.Contains(string(data), fmt.Sprintf(`"consecutive_failures": %d`, n)) {
		t.Errorf("after %d concurrent failed runs the state is\n%s", n, data)
	}
}
