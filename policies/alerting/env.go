package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gameday/gameday/policies"
)

// OutcomeFromEnv fills the run's identity and times from the workload
// environment DESIGN.md defines: GAMEDAY_RUN_ID, GAMEDAY_SCHEDULED_AT
// (logical now), GAMEDAY_RUN_STARTED_AT and GAMEDAY_SLA. The caller adds
// Success, ErrorClass, Error, Attempts, LastLogLines, Pipeline and Step.
// A malformed value is an error; the fields it names are left zero.
func OutcomeFromEnv(getenv func(string) string) (Outcome, error) {
	o := Outcome{RunID: getenv("GAMEDAY_RUN_ID")}
	var errs []error
	parseTime := func(name string, dst *time.Time) {
		if v := getenv(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = t
		}
	}
	parseTime("GAMEDAY_SCHEDULED_AT", &o.ScheduledAt)
	parseTime("GAMEDAY_RUN_STARTED_AT", &o.RunStartedAt)
	if v := getenv("GAMEDAY_SLA"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("GAMEDAY_SLA: %w", err))
		} else {
			o.SLA = d
		}
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("alert outcome from environment: %v", errs)
	}
	return o, nil
}

// Notify is the whole end-of-run step for a pipeline: it opens the store
// p.Alerts.State names, builds an Alerter and evaluates o. It does nothing
// when p has no alert rules. Every problem (no state dir, a store error, a
// receiver that stays down) is logged and returned, and must never change
// the run's exit code.
func Notify(ctx context.Context, p *policies.Policy, o Outcome, getenv func(string) string, log *slog.Logger, opts ...Option) (Report, error) {
	if p == nil || len(p.Alerts.Rules) == 0 {
		return Report{}, nil
	}
	store, err := OpenStore(ctx, p.Alerts.State, getenv)
	if err != nil {
		log.Error("alerting disabled for this run", "err", err)
		return Report{}, err
	}
	a, err := New(p, store, append([]Option{WithLogger(log), WithGetenv(getenv)}, opts...)...)
	if err != nil {
		log.Error("alerting disabled for this run", "err", err)
		return Report{}, err
	}
	rep, err := a.Evaluate(ctx, o)
	if err != nil {
		log.Error("alert evaluation failed", "err", err)
		return rep, err
	}
	log.Info("alerts evaluated", "run_id", o.RunID, "success", o.Success,
		"failure_count", rep.Vars.FailureCount, "late", rep.Vars.Late,
		"sent", len(rep.Sent), "failed", len(rep.Failed()), "suppressed", len(rep.Suppressed))
	return rep, nil
}
