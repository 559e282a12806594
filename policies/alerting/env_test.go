package alerting_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gameday/gameday/policies/alerting"
)

func TestOutcomeFromEnv(t *testing.T) {
	env := map[string]string{
		"GAMEDAY_RUN_ID": "nightly-2", "GAMEDAY_SCHEDULED_AT": "2026-11-28T02:00:00Z",
		"GAMEDAY_RUN_STARTED_AT": "2026-11-27T22:00:01.5Z", "GAMEDAY_SLA": "10m",
	}
	o, err := alerting.OutcomeFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.RunID != "nightly-2" || !o.ScheduledAt.Equal(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)) ||
		o.RunStartedAt.Nanosecond() != 500000000 || o.SLA != 10*time.Minute {
		t.Errorf("outcome %+v", o)
	}
	env["GAMEDAY_SLA"] = "soon"
	if _, err := alerting.OutcomeFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "GAMEDAY_SLA") {
		t.Errorf("bad SLA: %v", err)
	}
}

func TestNotifyWithoutStateDirIsLoggedNotFatal(t *testing.T) {
	var logs bytes.Buffer
	_, err := alerting.Notify(context.Background(), defaultPolicy(), failed("n-1", t0),
		func(string) string { return "" }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil || !strings.Contains(logs.String(), "GAMEDAY_STATE_DIR") {
		t.Errorf("err %v, logs %q", err, logs.String())
	}
}

func TestNotifyEvaluates(t *testing.T) {
	dir := t.TempDir()
	team := &recorder{}
	env := func(k string) string {
		if k == "GAMEDAY_STATE_DIR" {
			return dir
		}
		return ""
	}
	rep, err := alerting.Notify(context.Background(), defaultPolicy(), failed("n-1", t0), env,
		slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), alerting.WithNotifier("team", team))
	if err != nil || len(rep.Sent) != 1 {
		t.Fatalf("rep %+v err %v", rep, err)
	}
	expect(t, "team", team.take(), "first-failure/trigger/info@team")
}
