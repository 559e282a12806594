// Package receiver is the harness's alert receiver: an HTTP server on
// 127.0.0.1 that accepts Alertmanager webhook (version 4) payloads under
// /alertmanager and PagerDuty Events API v2 events at /v2/enqueue, answers as
// those services do, and records every notification.
//
//	rc, _ := receiver.Start(ctx, receiver.Options{})
//	defer rc.Close()
//	os.Setenv("GAMEDAY_ALERT_URL", rc.AlertmanagerURL())
//	...
//	pages := receiver.Pages(rc.Notifications())
package receiver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Source names the protocol a notification arrived by.
const (
	SourceAlertmanager = "alertmanager"
	SourcePagerDuty    = "pagerduty"
)

// Notification is one recorded notification: one alert of an Alertmanager
// payload, or one PagerDuty event. A malformed payload is recorded once with
// Valid false and Error set.
type Notification struct {
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
	Path   string    `json:"path"`
	Valid  bool      `json:"valid"`
	Error  string    `json:"error,omitempty"`
	// Status is `firing` or `resolved` (Alertmanager), or the event_action
	// `trigger`, `acknowledge` or `resolve` (PagerDuty).
	Status string `json:"status,omitempty"`
	// Severity is the Alertmanager label `severity`, or the PagerDuty
	// payload.severity.
	Severity string            `json:"severity,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	// DedupKey is the PagerDuty dedup_key (generated when a trigger has
	// none), or the Alertmanager alert fingerprint (else the groupKey).
	DedupKey string `json:"dedup_key,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Receiver string `json:"receiver,omitempty"`
}

// Firing reports whether n is an alert being raised: a valid firing
// Alertmanager alert or a PagerDuty trigger. Resolves and acknowledgements
// are not.
func (n Notification) Firing() bool {
	if !n.Valid {
		return false
	}
	switch n.Source {
	case SourceAlertmanager:
		return n.Status == "firing"
	case SourcePagerDuty:
		return n.Status == "trigger"
	}
	return false
}

// IsPage reports whether n is a page: a firing Alertmanager alert whose
// severity label is `page` or `critical`, or a PagerDuty trigger with
// severity `critical` or `error`.
func IsPage(n Notification) bool {
	if !n.Firing() {
		return false
	}
	switch n.Source {
	case SourceAlertmanager:
		return n.Severity == "page" || n.Severity == "critical"
	case SourcePagerDuty:
		return n.Severity == "critical" || n.Severity == "error"
	}
	return false
}

// PolicySeverity maps a notification back to the policy severity it was sent
// with (`info`, `warning` or `page`): Alertmanager labels go out unchanged
// (`critical` also counts as `page`), PagerDuty `critical`/`error` mean
// `page`. Other values are returned unchanged.
func PolicySeverity(n Notification) string {
	if IsPage(n) {
		return "page"
	}
	return n.Severity
}

// Pages counts the pages among ns.
func Pages(ns []Notification) int {
	c := 0
	for _, n := range ns {
		if IsPage(n) {
			c++
		}
	}
	return c
}

// CountBySeverity counts the firing alerts among ns by policy severity
// (`info`, `warning`, `page`, or whatever else was sent). Resolves,
// acknowledgements and invalid payloads are left out.
func CountBySeverity(ns []Notification) map[string]int {
	m := map[string]int{}
	for _, n := range ns {
		if n.Firing() {
			m[PolicySeverity(n)]++
		}
	}
	return m
}

// Invalid counts the malformed payloads among ns.
func Invalid(ns []Notification) int {
	c := 0
	for _, n := range ns {
		if !n.Valid {
			c++
		}
	}
	return c
}

// Options configure a Receiver. The zero value is ready to use.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
	// Now is the clock stamping notifications; default time.Now.
	Now func() time.Time
	// MaxBody caps a request body; default 1 MiB.
	MaxBody int64
}

// Receiver records notifications. Its methods are safe for concurrent use.
type Receiver struct {
	opts Options
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	mu    sync.Mutex
	notes []Notification
	subs  []chan struct{}
}

// Start listens and serves until Close. ctx only bounds the start.
func Start(ctx context.Context, opts Options) (*Receiver, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBody == 0 {
		opts.MaxBody = 1 << 20
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("start alert receiver: %w", err)
	}
	r := &Receiver{opts: opts, ln: ln, done: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// Addr is the host:port the receiver listens on.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// AlertmanagerURL is the URL for GAMEDAY_ALERT_URL.
func (r *Receiver) AlertmanagerURL() string { return "http://" + r.Addr() + "/alertmanager" }

// PagerDutyURL is the URL for GAMEDAY_PAGERDUTY_URL.
func (r *Receiver) PagerDutyURL() string { return "http://" + r.Addr() + "/v2/enqueue" }

// Close stops the server.
func (r *Receiver) Close() error {
	err := r.srv.Close()
	<-r.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Notifications returns a copy of everything recorded so far, in arrival
// order.
func (r *Receiver) Notifications() []Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notification(nil), r.notes...)
}

// Changed returns a channel closed at the next recorded notification.
func (r *Receiver) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	r.subs = append(r.subs, ch)
	return ch
}

func (r *Receiver) record(ns ...Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, ns...)
	for _, ch := range r.subs {
		close(ch)
	}
	r.subs = nil
}

// ServeHTTP routes to the two protocols.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	switch {
	case path == "/healthz":
		w.WriteHeader(http.StatusOK)
	case path == "/alertmanager" || strings.HasPrefix(path, "/alertmanager/"):
		r.alertmanager(w, req)
	case path == "/v2/enqueue":
		r.pagerduty(w, req)
	default:
		http.NotFound(w, req)
	}
}

func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request) ([]byte, bool) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.opts.MaxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}

// amMessage is the Alertmanager webhook payload, version 4.
type amMessage struct {
	Version           *string           `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            *[]amAlert        `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     *time.Time        `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func validAMStatus(s string) bool { return s == "firing" || s == "resolved" }

func (r *Receiver) alertmanager(w http.ResponseWriter, req *http.Request) {
	body, ok := r.readBody(w, req)
	if !ok {
		return
	}
	now := r.opts.Now()
	bad := func(msg string) {
		r.record(Notification{Source: SourceAlertmanager, Time: now, Path: req.URL.Path, Error: msg})
		http.Error(w, msg, http.StatusBadRequest)
	}
	var m amMessage
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&m); err != nil {
		bad("invalid JSON: " + err.Error())
		return
	}
	switch {
	case m.Version == nil:
		bad("missing version")
		return
	case *m.Version != "4":
		bad(fmt.Sprintf("unsupported version %q, want \"4\"", *m.Version))
		return
	case !validAMStatus(m.Status):
		bad(fmt.Sprintf("status %q: want firing or resolved", m.Status))
		return
	case m.Alerts == nil || len(*m.Alerts) == 0:
		bad("no alerts")
		return
	}
	var ns []Notification
	for i, a := range *m.Alerts {
		switch {
		case !validAMStatus(a.Status):
			bad(fmt.Sprintf("alerts[%d].status %q: want firing or resolved", i, a.Status))
			return
		case len(a.Labels) == 0:
			bad(fmt.Sprintf("alerts[%d]: no labels", i))
			return
		case a.StartsAt == nil:
			bad(fmt.Sprintf("alerts[%d]: no startsAt", i))
			return
		}
		key := a.Fingerprint
		if key == "" {
			key = m.GroupKey
		}
		summary := a.Annotations["summary"]
		if summary == "" {
			summary = a.Labels["alertname"]
		}
		ns = append(ns, Notification{
			Source: SourceAlertmanager, Time: now, Path: req.URL.Path, Valid: true,
			Status: a.Status, Severity: a.Labels["severity"], Labels: a.Labels,
			DedupKey: key, Summary: summary, Receiver: m.Receiver,
		})
	}
	r.record(ns...)
	w.WriteHeader(http.StatusOK)
}

// pdEvent is a PagerDuty Events API v2 event.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Component     string         `json:"component"`
	Group         string         `json:"group"`
	Class         string         `json:"class"`
	CustomDetails map[string]any `json:"custom_details"`
}

func (r *Receiver) pagerduty(w http.ResponseWriter, req *http.Request) {
	body, ok := r.readBody(w, req)
	if !ok {
		return
	}
	now := r.opts.Now()
	var ev pdEvent
	var problems []string
	if err := json.Unmarshal(body, &ev); err != nil {
		problems = append(problems, "invalid JSON: "+err.Error())
	} else {
		problems = validatePD(ev)
	}
	if len(problems) > 0 {
		r.record(Notification{Source: SourcePagerDuty, Time: now, Path: req.URL.Path, Error: strings.Join(problems, "; ")})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": "invalid event", "message": "Event object is invalid", "errors": problems,
		})
		return
	}
	key := ev.DedupKey
	if key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		key = hex.EncodeToString(b)
	}
	n := Notification{
		Source: SourcePagerDuty, Time: now, Path: req.URL.Path, Valid: true,
		Status: ev.EventAction, DedupKey: key, Labels: map[string]string{},
	}
	if p := ev.Payload; p != nil {
		n.Severity, n.Summary = p.Severity, p.Summary
		n.Labels["source"] = p.Source
		for k, v := range map[string]string{"component": p.Component, "group": p.Group, "class": p.Class} {
			if v != "" {
				n.Labels[k] = v
			}
		}
		for k, v := range p.CustomDetails {
			if s, ok := v.(string); ok {
				n.Labels[k] = s
			}
		}
	}
	r.record(n)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"status": "success", "message": "Event processed", "dedup_key": key,
	})
}

// validatePD checks an event as the Events API v2 does.
func validatePD(ev pdEvent) []string {
	var p []string
	if ev.RoutingKey == "" {
		p = append(p, "'routing_key' is missing or blank")
	}
	switch ev.EventAction {
	case "trigger":
		if ev.Payload == nil {
			p = append(p, "'payload' is missing")
			break
		}
		if ev.Payload.Summary == "" {
			p = append(p, "'payload.summary' is missing or blank")
		}
		if ev.Payload.Source == "" {
			p = append(p, "'payload.source' is missing or blank")
		}
		switch ev.Payload.Severity {
		case "critical", "error", "warning", "info":
		default:
			p = append(p, "'payload.severity' is invalid (must be one of: critical, error, warning, info)")
		}
		if ev.Payload.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339, ev.Payload.Timestamp); err != nil {
				p = append(p, "'payload.timestamp' is not a valid ISO 8601 timestamp")
			}
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			p = append(p, "'dedup_key' is missing or blank")
		}
	default:
		p = append(p, "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
	}
	return p
}
