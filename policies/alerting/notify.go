package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"

	"github.com/gameday/gameday/policies"
)

// Action is what a notification does to an alert.
type Action string

// The notification actions.
const (
	ActionTrigger Action = "trigger" // the alert fires (first time, repeat or escalation)
	ActionResolve Action = "resolve" // the alert is resolved (auto_resolve)
)

// Notification is one message to one receiver, independent of its wire
// format.
type Notification struct {
	Receiver    string
	Action      Action
	Rule        string
	Severity    policies.Severity
	Fingerprint string
	// StartsAt and EndsAt are logical times (GAMEDAY_SCHEDULED_AT); EndsAt
	// is zero while firing.
	StartsAt time.Time
	EndsAt   time.Time
	// Labels identify the alert: alertname, severity, pipeline, step,
	// run_id (of the run that opened it), error_class.
	Labels map[string]string
	// Details are the runbook fields: summary, when, run_id, error_class,
	// last_log_lines, safe_to_retry, escalation_path, plus the policy's
	// payload fields.
	Details map[string]string
	// Source names the sender (PagerDuty payload.source).
	Source string
}

// Notifier delivers a notification. It returns a *ReceiverError for an
// answer that retrying cannot fix (a 4xx other than 408/429).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// ReceiverError is a non-2xx answer of a receiver.
type ReceiverError struct {
	Status int
	Body   string
}

func (e *ReceiverError) Error() string {
	return fmt.Sprintf("receiver answered %d: %s", e.Status, e.Body)
}

// Permanent reports whether retrying the same request is pointless.
func (e *ReceiverError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Alertmanager posts Alertmanager webhook payloads (version "4") to URL.
type Alertmanager struct {
	URL string
	// Client defaults to a client with a 10s timeout.
	Client *http.Client
}

// Webhook is the Alertmanager webhook payload, version 4.
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a Webhook.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// AlertmanagerPayload builds the webhook payload of n. Severity goes out
// unchanged as the label `severity` (info, warning, page).
func AlertmanagerPayload(n Notification) Webhook {
	status := "firing"
	if n.Action == ActionResolve {
		status = "resolved"
	}
	labels := map[string]string{}
	for k, v := range n.Labels {
		labels[k] = v
	}
	labels["alertname"] = n.Rule
	labels["severity"] = string(n.Severity)
	group := map[string]string{"alertname": n.Rule}
	return Webhook{
		Version:           "4",
		GroupKey:          fmt.Sprintf("{}:{alertname=%q}", n.Rule),
		Status:            status,
		Receiver:          n.Receiver,
		GroupLabels:       group,
		CommonLabels:      labels,
		CommonAnnotations: n.Details,
		ExternalURL:       "",
		Alerts: []WebhookAlert{{
			Status:      status,
			Labels:      labels,
			Annotations: n.Details,
			StartsAt:    n.StartsAt.UTC(),
			EndsAt:      n.EndsAt.UTC(),
			Fingerprint: n.Fingerprint,
		}},
	}
}

// Notify implements Notifier.
func (a *Alertmanager) Notify(ctx context.Context, n Notification) error {
	return postJSON(ctx, a.Client, a.URL, AlertmanagerPayload(n))
}

// PagerDuty posts PagerDuty Events API v2 events to URL.
type PagerDuty struct {
	URL        string
	RoutingKey string
	// Client defaults to a client with a 10s timeout.
	Client *http.Client
}

// Event is a PagerDuty Events API v2 event.
type Event struct {
	RoutingKey  string        `json:"routing_key"`
	EventAction string        `json:"event_action"`
	DedupKey    string        `json:"dedup_key"`
	Payload     *EventPayload `json:"payload,omitempty"`
	Client      string        `json:"client,omitempty"`
}

// EventPayload is the payload of a trigger event.
type EventPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// PagerDutySeverity maps a policy severity to PagerDuty's: info → info,
// warning → warning, page → critical.
func PagerDutySeverity(s policies.Severity) string {
	switch s {
	case policies.SeverityPage:
		return "critical"
	case policies.SeverityWarning:
		return "warning"
	default:
		return "info"
	}
}

// PagerDutyEvent builds the Events v2 event of n. A resolve carries only
// routing_key, event_action and dedup_key, as PagerDuty ignores the rest.
func PagerDutyEvent(routingKey string, n Notification) Event {
	ev := Event{RoutingKey: routingKey, DedupKey: n.Fingerprint, Client: "gameday"}
	if n.Action == ActionResolve {
		ev.EventAction = "resolve"
		return ev
	}
	ev.EventAction = "trigger"
	summary := n.Details["summary"]
	if summary == "" {
		summary = n.Rule
	}
	if len(summary) > 1024 {
		summary = summary[:1021] + "..."
	}
	source := n.Source
	if source == "" {
		source = "gameday"
	}
	ev.Payload = &EventPayload{
		Summary:       summary,
		Source:        source,
		Severity:      PagerDutySeverity(n.Severity),
		Timestamp:     n.StartsAt.UTC().Format(time.RFC3339),
		Component:     n.Labels["step"],
		Group:         n.Labels["pipeline"],
		Class:         n.Labels["error_class"],
		CustomDetails: n.Details,
	}
	return ev
}

// Notify implements Notifier.
func (p *PagerDuty) Notify(ctx context.Context, n Notification) error {
	return postJSON(ctx, p.Client, p.URL, PagerDutyEvent(p.RoutingKey, n))
}

func postJSON(ctx context.Context, client *http.Client, url string, body any) error {
	if url == "" {
		return &ReceiverError{Status: 0, Body: "no url configured"}
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return &ReceiverError{Status: 0, Body: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gameday-alerting")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post notification: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return &ReceiverError{Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	}
	return nil
}

// SendRetry says how a failing receiver is retried.
type SendRetry struct {
	// Attempts is the most attempts per notification. Default 3.
	Attempts int
	// Delay is the first backoff; it doubles up to MaxDelay, with jitter.
	// Defaults 100ms and 1s.
	Delay, MaxDelay time.Duration
}

func (r SendRetry) withDefaults() SendRetry {
	if r.Attempts <= 0 {
		r.Attempts = 3
	}
	if r.Delay <= 0 {
		r.Delay = 100 * time.Millisecond
	}
	if r.MaxDelay < r.Delay {
		r.MaxDelay = max(time.Second, r.Delay)
	}
	return r
}

// notifyWithRetry delivers n, retrying transport errors and retryable
// answers with capped, jittered exponential backoff (failsafe-go). It
// returns the attempts made and the last error.
func notifyWithRetry(ctx context.Context, nf Notifier, n Notification, r SendRetry) (int, error) {
	r = r.withDefaults()
	attempts := 0
	rp := retrypolicy.NewBuilder[any]().
		WithMaxAttempts(r.Attempts).
		WithBackoff(r.Delay, r.MaxDelay).
		WithJitterFactor(0.5).
		AbortIf(func(_ any, err error) bool {
			var re *ReceiverError
			return errors.As(err, &re) && (re.Permanent() || re.Status == 0)
		}).
		ReturnLastFailure().
		Build()
	err := failsafe.With[any](rp).WithContext(ctx).Run(func() error {
		attempts++
		return nf.Notify(ctx, n)
	})
	return attempts, err
}
