// Package policies is the retry / circuit-breaker / idempotency / alerting
// stack the reference pipeline (and any Go program) builds on, and its policy
// file format (policies/*.yaml, see DESIGN.md "The policy file").
//
// This file holds the types of the policy file. Load reads one strictly,
// applies the defaults and validates it. The mechanics live in sub-packages
// named for what they provide: policies/retry (classification, backoff,
// the failsafe-go executor), policies/idempotency (artifact writes and the
// commit marker) and policies/alerting (rules, state and receivers). The
// sub-packages import this package, never the reverse.
package policies

import (
	"time"

	"github.com/gameday/gameday/internal/strictyaml"
)

// Policy is one policy file. Only Retry is required; Load fills every other
// section with its documented default.
type Policy struct {
	// Retry says how often and how patiently an operation is retried.
	Retry Retry `yaml:"retry,required" json:"retry"`
	// Classify maps HTTP statuses, S3 error codes and network error kinds
	// to error classes. Default: DefaultClassify().
	Classify Classify `yaml:"classify,omitempty" json:"classify,omitempty"`
	// Breaker configures a circuit breaker in front of every operation.
	// Default: nil, no breaker.
	Breaker *Breaker `yaml:"breaker,omitempty" json:"breaker,omitempty"`
	// Idempotency names the commit marker. Default: commit_marker meta.json.
	Idempotency Idempotency `yaml:"idempotency,omitempty" json:"idempotency,omitempty"`
	// Alerts holds the alert rules, their receivers and where alert state
	// is kept. Default: state file, no rules.
	Alerts Alerts `yaml:"alerts,omitempty" json:"alerts,omitempty"`

	// File is the path the policy was loaded from ("" when built in Go).
	File string `yaml:"-" json:"-"`

	// doc is what the loader learnt of the file: which keys it wrote.
	doc *strictyaml.Doc
}

// Retry is the retry section.
type Retry struct {
	// MaxAttempts is the most attempts (first try included) an operation
	// gets. 1 to MaxAttempts (100). Required.
	MaxAttempts int `yaml:"max_attempts,required" json:"max_attempts" jsonschema:"minimum=1,maximum=100"`
	// Backoff is the delay between attempts. Default: initial 1s, max 20s,
	// multiplier 2, full jitter.
	Backoff Backoff `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	// AttemptTimeout bounds one attempt. Default 60s.
	AttemptTimeout time.Duration `yaml:"attempt_timeout,omitempty" json:"attempt_timeout,omitempty"`
	// OverallTimeout bounds the operation, all attempts and sleeps
	// included. Default 6m.
	OverallTimeout time.Duration `yaml:"overall_timeout,omitempty" json:"overall_timeout,omitempty"`
	// RetryAfter says whether a server's Retry-After is honoured, and up to
	// what cap. Default: honoured, cap 30s.
	RetryAfter RetryAfter `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
}

// Backoff is the exponential backoff min(Max, Initial × Multiplier^n) with
// jitter, after Marc Brooker's "Exponential Backoff and Jitter".
type Backoff struct {
	// Initial is the first delay. Default 1s.
	Initial time.Duration `yaml:"initial,omitempty" json:"initial,omitempty"`
	// Max caps every delay. Default 20s.
	Max time.Duration `yaml:"max,omitempty" json:"max,omitempty"`
	// Multiplier is the growth factor, 1 to MaxMultiplier (100). Default 2.
	Multiplier float64 `yaml:"multiplier,omitempty" json:"multiplier,omitempty" jsonschema:"minimum=1,maximum=100"`
	// Jitter is full, equal, decorrelated or none. Default full.
	Jitter Jitter `yaml:"jitter,omitempty" json:"jitter,omitempty"`
}

// Jitter names a jitter formula.
type Jitter string

// The jitter formulas. With v = min(max, initial × multiplier^n):
const (
	JitterFull         Jitter = "full"         // uniform(0, v)
	JitterEqual        Jitter = "equal"        // v/2 + uniform(0, v/2)
	JitterDecorrelated Jitter = "decorrelated" // min(max, uniform(initial, prev × 3))
	JitterNone         Jitter = "none"         // v
)

// RetryAfter is the Retry-After section.
type RetryAfter struct {
	// Honor makes a Retry-After (seconds or HTTP-date) replace the backoff
	// delay when it is longer. Default true.
	Honor bool `yaml:"honor,omitempty" json:"honor,omitempty"`
	// Cap bounds an honoured Retry-After. Default 30s.
	Cap time.Duration `yaml:"cap,omitempty" json:"cap,omitempty"`
}

// Class is an error class.
type Class string

// The error classes. Success has the empty class.
const (
	ClassTransient Class = "transient"
	ClassThrottled Class = "throttled"
	ClassPermanent Class = "permanent"
	ClassUnknown   Class = "unknown"
)

// Classify is the classification table. The S3 error code is checked first,
// then the HTTP status, then the network error kind, in the order
// permanent, throttled, transient; what matches nothing is unknown. A class
// left out of the file takes its default from DefaultClassify.
type Classify struct {
	Transient *ClassMatch `yaml:"transient,omitempty" json:"transient,omitempty"`
	Throttled *ClassMatch `yaml:"throttled,omitempty" json:"throttled,omitempty"`
	Permanent *ClassMatch `yaml:"permanent,omitempty" json:"permanent,omitempty"`
	Unknown   *Unknown    `yaml:"unknown,omitempty" json:"unknown,omitempty"`
}

// ClassMatch lists what falls into one class.
type ClassMatch struct {
	// Status lists HTTP statuses.
	Status []int `yaml:"status,omitempty" json:"status,omitempty"`
	// S3Codes lists S3 error codes (the <Code> of an S3 XML error).
	S3Codes []string `yaml:"s3_codes,omitempty" json:"s3_codes,omitempty"`
	// Errors lists network error kinds: timeout, reset, refused, eof.
	Errors []ErrorKind `yaml:"errors,omitempty" json:"errors,omitempty"`
}

// ErrorKind names a kind of network error.
type ErrorKind string

// The network error kinds.
const (
	ErrTimeout ErrorKind = "timeout"
	ErrReset   ErrorKind = "reset"
	ErrRefused ErrorKind = "refused"
	ErrEOF     ErrorKind = "eof"
)

// Unknown says what happens to errors no class matches.
type Unknown struct {
	// Retry retries unknown errors. Default true.
	Retry *bool `yaml:"retry,omitempty" json:"retry,omitempty"`
	// MaxAttempts bounds the attempts of an operation whose last error was
	// unknown, at most Retry.MaxAttempts. Default 3.
	MaxAttempts int `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty" jsonschema:"minimum=1,maximum=100"`
}

// Breaker is the circuit breaker section.
type Breaker struct {
	// FailureThreshold is the number of consecutive failures that open the
	// breaker. Default 5.
	FailureThreshold int `yaml:"failure_threshold,omitempty" json:"failure_threshold,omitempty" jsonschema:"minimum=1,maximum=1000"`
	// OpenFor is how long the breaker stays open before it lets half-open
	// probes through. Default 30s.
	OpenFor time.Duration `yaml:"open_for,omitempty" json:"open_for,omitempty"`
	// HalfOpenSuccesses is the number of successful probes that close it
	// again. Default 1.
	HalfOpenSuccesses int `yaml:"half_open_successes,omitempty" json:"half_open_successes,omitempty" jsonschema:"minimum=1,maximum=1000"`
}

// Idempotency is the idempotency section.
type Idempotency struct {
	// CommitMarker is the base name of the object written last, with a
	// conditional create, under <run_id>/. Default meta.json.
	CommitMarker string `yaml:"commit_marker,omitempty" json:"commit_marker,omitempty"`
}

// Alerts is the alerts section. ${VAR} in its strings is expanded from the
// environment when the policy is loaded.
type Alerts struct {
	// State is where alert state (failure counts, open alerts) lives:
	// "file" (in GAMEDAY_STATE_DIR) or "s3://bucket/prefix" (an
	// unversioned bucket). Default file.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	// Rules are evaluated after every run, in order. Default none.
	Rules []AlertRule `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Receivers are the notification targets, by name.
	Receivers map[string]Receiver `yaml:"receivers,omitempty" json:"receivers,omitempty"`
	// Payload lists the fields every notification carries: pipeline, step,
	// run_id, error_class, error, last_log_lines, runbook.
	Payload []string `yaml:"payload,omitempty" json:"payload,omitempty"`
}

// Severity is an alert severity.
type Severity string

// The severities. Page is sent to PagerDuty as critical.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityPage    Severity = "page"
)

// AlertRule is one alert rule.
type AlertRule struct {
	// Name identifies the rule; unique in the file.
	Name string `yaml:"name,required" json:"name"`
	// When is an expression (expr-lang) over the documented variables:
	// failure_count, consecutive_failures, late, error_class, run_id,
	// pipeline, step, attempts.
	When string `yaml:"when,required" json:"when"`
	// Severity is info, warning or page.
	Severity Severity `yaml:"severity,required" json:"severity"`
	// Notify names receivers of Alerts.Receivers.
	Notify []string `yaml:"notify,required" json:"notify"`
	// DedupWindow suppresses a repeat of the same alert within it. 0: none.
	DedupWindow time.Duration `yaml:"dedup_window,omitempty" json:"dedup_window,omitempty"`
	// AutoResolve resolves the alert on the next successful run.
	AutoResolve bool `yaml:"auto_resolve,omitempty" json:"auto_resolve,omitempty"`
	// EscalateAfter re-notifies an alert still open after it. 0: never.
	EscalateAfter time.Duration `yaml:"escalate_after,omitempty" json:"escalate_after,omitempty"`
}

// Receiver is a notification target; exactly one of its fields is set.
type Receiver struct {
	Alertmanager *AlertmanagerReceiver `yaml:"alertmanager,omitempty" json:"alertmanager,omitempty"`
	PagerDuty    *PagerDutyReceiver    `yaml:"pagerduty,omitempty" json:"pagerduty,omitempty"`
}

// AlertmanagerReceiver posts Alertmanager webhook payloads (version "4").
type AlertmanagerReceiver struct {
	// URL is the full URL payloads are POSTed to.
	URL string `yaml:"url,required" json:"url"`
}

// PagerDutyReceiver posts PagerDuty Events API v2 events.
type PagerDutyReceiver struct {
	// URL is the full Events v2 URL (e.g. .../v2/enqueue).
	URL string `yaml:"url,required" json:"url"`
	// RoutingKey is the integration's routing key.
	RoutingKey string `yaml:"routing_key,required" json:"routing_key"`
}

// Written reports whether the file wrote the dotted key (e.g.
// "retry.overall_timeout"), as opposed to a default filled in by the
// loader. A policy built in Go (not loaded) counts every key as written.
func (p *Policy) Written(key string) bool {
	if p.doc == nil {
		return true
	}
	return p.doc.Has(key)
}
