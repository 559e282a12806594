package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/alerting/condition"
)

// Outcome is what one run of a pipeline step reports to Evaluate.
type Outcome struct {
	Pipeline string // default "pipeline"
	Step     string
	RunID    string
	Success  bool
	// ErrorClass is transient, throttled, permanent or unknown ("" on
	// success).
	ErrorClass string
	// Error is the failing operation's error text.
	Error string
	// Attempts is the attempts the failing operation took.
	Attempts int
	// LastLogLines are the run's last log lines; they are redacted before
	// they leave the process.
	LastLogLines []string
	// ScheduledAt is the run's logical time (GAMEDAY_SCHEDULED_AT). Dedup
	// windows and escalation are measured in it. Zero: the clock's now.
	ScheduledAt time.Time
	// RunStartedAt is the real start of the run's first attempt
	// (GAMEDAY_RUN_STARTED_AT); zero means the run cannot be late.
	RunStartedAt time.Time
	// EndedAt is the real end of the run. Zero: the clock's now.
	EndedAt time.Time
	// SLA is the run's SLA (GAMEDAY_SLA); 0 means none.
	SLA time.Duration
}

// Late returns EndedAt − RunStartedAt − SLA, or 0 when that is not
// positive, there is no SLA or no start.
func (o Outcome) Late() time.Duration {
	if o.SLA <= 0 || o.RunStartedAt.IsZero() || o.EndedAt.IsZero() {
		return 0
	}
	return max(0, o.EndedAt.Sub(o.RunStartedAt)-o.SLA)
}

// State is the persisted alert state of one pipeline.
type State struct {
	// ConsecutiveFailures counts the failed runs in a row ending with the
	// last evaluated run.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// LastRunID is the last evaluated run; BaseFailures the count before
	// it, so a run evaluated twice (a restart) is not counted twice.
	LastRunID    string `json:"last_run_id,omitempty"`
	BaseFailures int    `json:"base_failures"`
	// Alerts are by rule name.
	Alerts map[string]*AlertState `json:"alerts,omitempty"`
}

// AlertState is the state of one rule's alert.
type AlertState struct {
	Firing      bool              `json:"firing"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	// StartsAt, LastNotifiedAt and EscalatedAt are logical times.
	StartsAt       time.Time `json:"starts_at"`
	LastNotifiedAt time.Time `json:"last_notified_at,omitzero"`
	EscalatedAt    time.Time `json:"escalated_at,omitzero"`
	// Severity is the current severity; Level the index in the rule's
	// notify list of the current receiver.
	Severity policies.Severity `json:"severity"`
	Level    int               `json:"level"`
	// Notified lists the receivers notified in this firing episode; they
	// get the resolve.
	Notified []string `json:"notified,omitempty"`
	// LastErrorClass is the error class last notified (dedup key).
	LastErrorClass string `json:"last_error_class,omitempty"`
}

// Sent is one notification Evaluate made (or tried to make).
type Sent struct {
	Notification
	Kind     string // alertmanager | pagerduty
	Attempts int
	Err      error
}

// Suppressed is one notification Evaluate held back, with the reason.
type Suppressed struct {
	Rule   string
	Reason string
}

// Report is what one evaluation did.
type Report struct {
	Vars       condition.Vars
	Sent       []Sent
	Suppressed []Suppressed
}

// Failed returns the notifications that could not be delivered.
func (r Report) Failed() []Sent {
	var out []Sent
	for _, s := range r.Sent {
		if s.Err != nil {
			out = append(out, s)
		}
	}
	return out
}

// Option configures an Alerter.
type Option func(*Alerter)

// WithClock sets the real clock (default time.Now). It stands in for a
// missing Outcome.ScheduledAt or EndedAt.
func WithClock(now func() time.Time) Option { return func(a *Alerter) { a.now = now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(a *Alerter) { a.log = l } }

// WithHTTPClient sets the client receivers are posted with.
func WithHTTPClient(c *http.Client) Option { return func(a *Alerter) { a.client = c } }

// WithSendRetry sets how a failing receiver is retried (default 3
// attempts, 100ms doubling to 1s, jittered).
func WithSendRetry(r SendRetry) Option { return func(a *Alerter) { a.retry = r } }

// WithSecrets adds values that are replaced by *** in every payload. By
// default the values of AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN are redacted.
func WithSecrets(values ...string) Option {
	return func(a *Alerter) { a.secrets = append(a.secrets, values...) }
}

// WithGetenv sets how ${VAR} in receiver URLs and default secrets are
// looked up (default os.Getenv).
func WithGetenv(getenv func(string) string) Option { return func(a *Alerter) { a.getenv = getenv } }

// WithNotifier replaces the notifier of one receiver (tests, custom
// transports).
func WithNotifier(receiver string, n Notifier) Option {
	return func(a *Alerter) { a.override[receiver] = n }
}

type rule struct {
	policies.AlertRule
	cond *condition.Condition
}

type receiver struct {
	kind     string
	notifier Notifier
}

// Alerter evaluates a policy's alert rules. It is safe for sequential use;
// concurrent evaluations (from several processes too) are serialised by the
// store's conditional writes.
type Alerter struct {
	rules     []rule
	receivers map[string]receiver
	payload   []string
	store     Store
	now       func() time.Time
	log       *slog.Logger
	client    *http.Client
	retry     SendRetry
	secrets   []string
	getenv    func(string) string
	override  map[string]Notifier
}

// New builds an Alerter for p's alerts section, keeping state in store.
// Every rule's condition is compiled and every notify name must be a
// receiver.
func New(p *policies.Policy, store Store, opts ...Option) (*Alerter, error) {
	a := &Alerter{
		store:     store,
		now:       time.Now,
		log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		getenv:    os.Getenv,
		receivers: map[string]receiver{},
		override:  map[string]Notifier{},
	}
	for _, o := range opts {
		o(a)
	}
	if p == nil {
		return a, errors.New("new alerter: nil policy")
	}
	if store == nil {
		return a, errors.New("new alerter: nil store")
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := a.getenv(k); v != "" {
			a.secrets = append(a.secrets, v)
		}
	}
	a.payload = p.Alerts.Payload
	for name, r := range p.Alerts.Receivers {
		switch {
		case a.override[name] != nil:
			kind := "alertmanager"
			if r.PagerDuty != nil {
				kind = "pagerduty"
			}
			a.receivers[name] = receiver{kind: kind, notifier: a.override[name]}
		case r.Alertmanager != nil && r.PagerDuty == nil:
			a.receivers[name] = receiver{kind: "alertmanager", notifier: &Alertmanager{URL: os.Expand(r.Alertmanager.URL, a.getenv), Client: a.client}}
		case r.PagerDuty != nil && r.Alertmanager == nil:
			a.receivers[name] = receiver{kind: "pagerduty", notifier: &PagerDuty{URL: os.Expand(r.PagerDuty.URL, a.getenv), RoutingKey: os.Expand(r.PagerDuty.RoutingKey, a.getenv), Client: a.client}}
		default:
			return a, fmt.Errorf("new alerter: receiver %q: set exactly one of alertmanager, pagerduty", name)
		}
	}
	for _, r := range p.Alerts.Rules {
		c, err := condition.Compile(r.When)
		if err != nil {
			return a, fmt.Errorf("new alerter: rule %q: %w", r.Name, err)
		}
		if len(r.Notify) == 0 {
			return a, fmt.Errorf("new alerter: rule %q: notify names no receiver", r.Name)
		}
		for _, n := range r.Notify {
			if _, ok := a.receivers[n]; !ok {
				return a, fmt.Errorf("new alerter: rule %q: unknown receiver %q", r.Name, n)
			}
		}
		if severityRank(r.Severity) < 0 {
			return a, fmt.Errorf("new alerter: rule %q: severity %q: want info, warning or page", r.Name, r.Severity)
		}
		a.rules = append(a.rules, rule{AlertRule: r, cond: c})
	}
	return a, nil
}

func severityRank(s policies.Severity) int {
	switch s {
	case policies.SeverityInfo:
		return 0
	case policies.SeverityWarning:
		return 1
	case policies.SeverityPage:
		return 2
	}
	return -1
}

var severities = []policies.Severity{policies.SeverityInfo, policies.SeverityWarning, policies.SeverityPage}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// StateKey is the store key of a pipeline's alert state.
func StateKey(pipeline string) string {
	if pipeline == "" {
		pipeline = "pipeline"
	}
	return "alerts-" + unsafeKey.ReplaceAllString(pipeline, "_")
}

// Evaluate folds o into the alert state and sends what the rules call
// for: it loads the state, decides, saves the state (retrying a few times
// on ErrConflict), and only then notifies, so a notification goes out at
// most once. An error means the state could not be read or written; a
// receiver that fails is logged and listed in Report.Failed, never an
// error. Neither should change the run's exit code.
func (a *Alerter) Evaluate(ctx context.Context, o Outcome) (Report, error) {
	if o.Pipeline == "" {
		o.Pipeline = "pipeline"
	}
	if o.ScheduledAt.IsZero() {
		o.ScheduledAt = a.now()
	}
	if o.EndedAt.IsZero() {
		o.EndedAt = a.now()
	}
	key := StateKey(o.Pipeline)
	var (
		rep     Report
		pending []Notification
	)
	for try := 1; ; try++ {
		data, ver, err := a.store.Load(ctx, key)
		if err != nil {
			return rep, fmt.Errorf("evaluate alerts: %w", err)
		}
		var st State
		if len(data) > 0 {
			if err := json.Unmarshal(data, &st); err != nil {
				return rep, fmt.Errorf("evaluate alerts: decode state %s: %w", key, err)
			}
		}
		rep, pending, err = a.decide(&st, o)
		if err != nil {
			return rep, fmt.Errorf("evaluate alerts: %w", err)
		}
		out, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return rep, fmt.Errorf("evaluate alerts: encode state: %w", err)
		}
		err = a.store.Save(ctx, key, out, ver)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) || try >= 10 {
			return rep, fmt.Errorf("evaluate alerts: %w", err)
		}
		a.log.Info("alert state changed concurrently; evaluating again", "try", try)
	}
	for _, n := range pending {
		r := a.receivers[n.Receiver]
		attempts, err := notifyWithRetry(ctx, r.notifier, n, a.retry)
		rep.Sent = append(rep.Sent, Sent{Notification: n, Kind: r.kind, Attempts: attempts, Err: err})
		if err != nil {
			a.log.Error("alert notification failed", "rule", n.Rule, "receiver", n.Receiver, "kind", r.kind,
				"action", n.Action, "severity", n.Severity, "attempts", attempts, "err", err)
			continue
		}
		a.log.Info("alert notification sent", "rule", n.Rule, "receiver", n.Receiver, "kind", r.kind,
			"action", n.Action, "severity", n.Severity, "attempts", attempts)
	}
	return rep, nil
}

// decide updates st for outcome o and returns the notifications to send.
func (a *Alerter) decide(st *State, o Outcome) (Report, []Notification, error) {
	base := st.ConsecutiveFailures
	if o.RunID != "" && o.RunID == st.LastRunID {
		base = st.BaseFailures
	}
	count := 0
	if !o.Success {
		count = base + 1
	}
	st.LastRunID, st.BaseFailures, st.ConsecutiveFailures = o.RunID, base, count
	if st.Alerts == nil {
		st.Alerts = map[string]*AlertState{}
	}
	errorClass := o.ErrorClass
	if o.Success {
		errorClass = ""
	}
	vars := condition.Vars{
		FailureCount: count, ConsecutiveFailures: count, Late: o.Late(),
		ErrorClass: errorClass, RunID: o.RunID, Pipeline: o.Pipeline, Step: o.Step, Attempts: o.Attempts,
	}
	rep := Report{Vars: vars}
	var out []Notification
	now := o.ScheduledAt
	for _, r := range a.rules {
		fire, err := r.cond.Eval(vars)
		if err != nil {
			return rep, nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		al := st.Alerts[r.Name]
		switch {
		case fire && (al == nil || !al.Firing):
			if al == nil {
				al = &AlertState{}
				st.Alerts[r.Name] = al
			}
			dedup := r.DedupWindow > 0 && !al.LastNotifiedAt.IsZero() &&
				now.Sub(al.LastNotifiedAt) < r.DedupWindow && al.LastErrorClass == errorClass
			*al = AlertState{
				Firing: true, StartsAt: now, EscalatedAt: now, Severity: r.Severity,
				LastNotifiedAt: al.LastNotifiedAt, LastErrorClass: al.LastErrorClass,
			}
			al.Labels = map[string]string{
				"pipeline": o.Pipeline, "step": o.Step, "run_id": o.RunID, "error_class": errorClass,
			}
			al.Fingerprint = fingerprint(r.Name, o.Pipeline, o.Step)
			al.Details = a.details(r, o, vars)
			if dedup {
				rep.Suppressed = append(rep.Suppressed, Suppressed{Rule: r.Name,
					Reason: fmt.Sprintf("dedup: notified %s ago (logical), window %s", now.Sub(al.LastNotifiedAt), r.DedupWindow)})
				continue
			}
			out = append(out, a.notify(r, al, now, errorClass))
		case al != nil && al.Firing:
			if !fire && o.Success {
				al.Firing = false
				if r.AutoResolve {
					for _, recv := range al.Notified {
						out = append(out, Notification{
							Receiver: recv, Action: ActionResolve, Rule: r.Name, Severity: al.Severity,
							Fingerprint: al.Fingerprint, StartsAt: al.StartsAt, EndsAt: now,
							Labels: al.Labels, Details: resolveDetails(al.Details, o), Source: source(o),
						})
					}
				} else {
					rep.Suppressed = append(rep.Suppressed, Suppressed{Rule: r.Name, Reason: "closed without resolve: auto_resolve is off"})
				}
				al.Notified = nil
				continue
			}
			if r.EscalateAfter > 0 && now.Sub(al.EscalatedAt) >= r.EscalateAfter {
				switch {
				case al.Level+1 < len(r.Notify):
					al.Level++
				case severityRank(al.Severity) < severityRank(policies.SeverityPage):
					al.Severity = severities[severityRank(al.Severity)+1]
				default:
					al.EscalatedAt = now
					rep.Suppressed = append(rep.Suppressed, Suppressed{Rule: r.Name, Reason: "escalation exhausted: already page on the last receiver"})
					continue
				}
				al.EscalatedAt = now
				al.Details = a.details(r, o, vars)
				al.Details["escalated"] = "true"
				al.Details["escalation_path"] = escalationPath(r.AlertRule, al.Level, al.Severity)
				out = append(out, a.notify(r, al, now, errorClass))
				continue
			}
			if fire && r.DedupWindow > 0 && now.Sub(al.LastNotifiedAt) >= r.DedupWindow {
				out = append(out, a.notify(r, al, now, errorClass))
				continue
			}
			rep.Suppressed = append(rep.Suppressed, Suppressed{Rule: r.Name, Reason: "dedup: alert already open"})
		}
	}
	return rep, out, nil
}

// notify records a trigger of al to its current receiver and returns it.
func (a *Alerter) notify(r rule, al *AlertState, now time.Time, errorClass string) Notification {
	recv := r.Notify[al.Level]
	al.LastNotifiedAt, al.LastErrorClass = now, errorClass
	if !contains(al.Notified, recv) {
		al.Notified = append(al.Notified, recv)
	}
	labels := map[string]string{}
	for k, v := range al.Labels {
		labels[k] = v
	}
	return Notification{
		Receiver: recv, Action: ActionTrigger, Rule: r.Name, Severity: al.Severity,
		Fingerprint: al.Fingerprint, StartsAt: al.StartsAt, Labels: labels, Details: al.Details,
		Source: source(Outcome{Pipeline: labels["pipeline"], Step: labels["step"]}),
	}
}

func source(o Outcome) string {
	if o.Step == "" {
		return "gameday/" + o.Pipeline
	}
	return "gameday/" + o.Pipeline + "/" + o.Step
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fingerprint(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// escalationPath describes where an alert goes next, e.g.
// "team (info) → oncall (info) → oncall (warning) → oncall (page)".
func escalationPath(r policies.AlertRule, level int, sev policies.Severity) string {
	var steps []string
	for i := level; i < len(r.Notify); i++ {
		steps = append(steps, fmt.Sprintf("%s (%s)", r.Notify[i], sev))
	}
	last := r.Notify[len(r.Notify)-1]
	for rank := severityRank(sev) + 1; rank < len(severities); rank++ {
		steps = append(steps, fmt.Sprintf("%s (%s)", last, severities[rank]))
	}
	path := strings.Join(steps, " → ")
	if r.EscalateAfter > 0 && len(steps) > 1 {
		path += fmt.Sprintf("; each step after %s still firing", r.EscalateAfter)
	} else if len(steps) <= 1 {
		path += "; no further automatic escalation"
	}
	return path
}

func safeToRetry(o Outcome) string {
	rerun := fmt.Sprintf("rerun with GAMEDAY_RUN_ID=%s: artifacts are keyed by run_id and committed last, so a rerun never duplicates them", o.RunID)
	switch {
	case o.Success:
		return "yes: the run succeeded late; " + rerun
	case o.ErrorClass == string(policies.ClassPermanent):
		return "no: a permanent error (credentials, permissions, missing input) repeats until its cause is fixed; fix it, then " + rerun
	case o.ErrorClass == string(policies.ClassTransient), o.ErrorClass == string(policies.ClassThrottled):
		return "yes: the error is " + o.ErrorClass + "; " + rerun
	default:
		return "probably: the error class is " + strconv.Quote(o.ErrorClass) + "; check the logs, then " + rerun
	}
}

// details builds the runbook fields of a notification.
func (a *Alerter) details(r rule, o Outcome, v condition.Vars) map[string]string {
	what := fmt.Sprintf("%s failed: %s error after %d attempt(s): %s", source(o), orNone(o.ErrorClass), o.Attempts, o.Error)
	if o.Success {
		what = fmt.Sprintf("%s succeeded but late by %s (sla %s)", source(o), v.Late, o.SLA)
	} else if v.Late > 0 {
		what += fmt.Sprintf("; late by %s (sla %s)", v.Late, o.SLA)
	}
	d := map[string]string{
		"summary":         fmt.Sprintf("[%s] %s: %s", r.Severity, r.Name, a.redact(what)),
		"when":            fmt.Sprintf("scheduled %s, ended %s", o.ScheduledAt.UTC().Format(time.RFC3339), o.EndedAt.UTC().Format(time.RFC3339)),
		"run_id":          o.RunID,
		"error_class":     v.ErrorClass,
		"last_log_lines":  a.redact(strings.Join(o.LastLogLines, "\n")),
		"safe_to_retry":   safeToRetry(o),
		"escalation_path": escalationPath(r.AlertRule, 0, r.Severity),
		"alertname":       r.Name,
		"condition":       r.When,
		"failure_count":   strconv.Itoa(v.FailureCount),
		"late":            v.Late.String(),
	}
	for _, f := range a.payload {
		switch f {
		case "pipeline":
			d["pipeline"] = o.Pipeline
		case "step":
			d["step"] = o.Step
		case "error":
			d["error"] = a.redact(o.Error)
		case "attempts":
			d["attempts"] = strconv.Itoa(o.Attempts)
		case "runbook":
			d["runbook"] = runbook(o)
		}
	}
	return d
}

func resolveDetails(opened map[string]string, o Outcome) map[string]string {
	d := map[string]string{}
	for k, v := range opened {
		d[k] = v
	}
	d["resolved_by_run_id"] = o.RunID
	d["resolved_at"] = o.ScheduledAt.UTC().Format(time.RFC3339)
	return d
}

func runbook(o Outcome) string {
	return fmt.Sprintf("1. read last_log_lines and the error class; 2. if safe_to_retry says yes, rerun the step with GAMEDAY_RUN_ID=%s (idempotent); 3. if it fails again or is permanent, fix the cause and follow escalation_path", o.RunID)
}

func orNone(s string) string {
	if s == "" {
		return "unclassified"
	}
	return s
}

var secretPattern = regexp.MustCompile(`(?i)((?:authorization|x-amz-signature|x-amz-credential|x-amz-security-token|[a-z_]*(?:secret|token|password|access_key)[a-z_]*)\s*[=:]\s*)("[^"]*"|[^\s&,]+)`)

// redact replaces known secret values and key=value secrets with ***.
func (a *Alerter) redact(s string) string {
	for _, v := range a.secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return secretPattern.ReplaceAllString(s, "${1}***")
}
