package pipeline

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/gameday/gameday/policies/alerting"
)

// Alerting maps the outcome onto what the policy's alert rules evaluate.
func (o Outcome) Alerting() alerting.Outcome {
	return alerting.Outcome{
		Pipeline:     o.Pipeline,
		Step:         o.Step,
		RunID:        o.RunID,
		Success:      o.Success,
		ErrorClass:   string(o.ErrorClass),
		Error:        o.Error,
		Attempts:     o.Attempts,
		LastLogLines: o.LastLogLines,
		ScheduledAt:  o.ScheduledAt,
		RunStartedAt: o.RunStartedAt,
		EndedAt:      o.EndedAt,
		SLA:          o.SLA,
	}
}

// NotifyAlerts returns an Options.AfterRun that evaluates cfg's alert rules
// over each run's outcome and sends what fires (receiver URLs expanded from
// the environment), logging to log as logfmt with component=alerting.
func NotifyAlerts(cfg Config, log io.Writer) func(context.Context, Outcome) {
	l := slog.New(slog.NewTextHandler(log, nil)).With("component", "alerting")
	return func(ctx context.Context, o Outcome) {
		_, _ = alerting.Notify(ctx, cfg.Policy, o.Alerting(), os.Getenv, l)
	}
}
