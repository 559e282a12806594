// Package alerting evaluates a policy's alert rules after every run of a
// pipeline step and notifies Alertmanager (webhook v4) and PagerDuty
// (Events API v2) receivers, with severity, dedup windows, auto-resolve and
// escalation measured in logical time (GAMEDAY_SCHEDULED_AT).
//
// State (failure counts, open alerts, last notifications) is kept behind
// Store: a file in GAMEDAY_STATE_DIR (FileStore) or an object in an
// unversioned S3 bucket (S3Store). A typical caller, at the end of a run:
//
//	store, err := alerting.OpenStore(ctx, policy.Alerts.State, os.Getenv)
//	a, err := alerting.New(policy, store, alerting.WithLogger(log))
//	report, err := a.Evaluate(ctx, alerting.Outcome{RunID: id, Success: ok, ...})
//
// Evaluate never turns a successful run into a failed one: a receiver that
// keeps failing is retried a few times, then logged and reported.
package alerting
