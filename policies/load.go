package policies

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday/gameday/internal/boundedfile"
	"github.com/gameday/gameday/internal/strictyaml"
	"github.com/gameday/gameday/policies/alerting/condition"
)

// PayloadFields are the fields an alerts.payload list may name.
var PayloadFields = []string{"pipeline", "step", "run_id", "error_class", "error", "last_log_lines", "runbook"}

// Load reads the policy file at path strictly: unknown keys, wrong types,
// bad durations and invalid values are errors, every one of them reported
// as "FILE:LINE:COL: message" (a strictyaml.Errors). It applies the
// defaults, expands ${VAR} in the alerts section from the environment and
// validates across fields.
func Load(path string) (*Policy, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.Getenv)
}

// ReadFile reads a policy file for Parse: a regular file (after following
// links) of at most MaxFileSize bytes. The error is a strictyaml.Errors
// naming path, e.g. "p.yaml: is a FIFO, not a regular file".
func ReadFile(path string) ([]byte, error) {
	data, err := boundedfile.Read(path, MaxFileSize)
	if err != nil {
		msg := err.Error()
		var be *boundedfile.Error
		if errors.As(err, &be) {
			msg = be.Reason
		}
		return nil, strictyaml.Errors{{File: path, Msg: msg}}
	}
	return data, nil
}

// Parse is Load for data already read from file. getenv expands ${VAR};
// nil means no variables are set.
func Parse(file string, data []byte, getenv func(string) string) (*Policy, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var p Policy
	doc, errs := strictyaml.Decode(file, data, &p)
	p.File = file
	p.doc = doc
	applyDefaults(&p, doc)
	errs = append(errs, validate(&p, doc, errs)...)
	if len(errs) > 0 {
		return nil, errs.Sorted()
	}
	expand(&p, getenv)
	return &p, nil
}

// applyDefaults fills what the file left out (DESIGN.md, "The policy file").
func applyDefaults(p *Policy, doc *strictyaml.Doc) {
	r := &p.Retry
	b := &r.Backoff
	if !doc.Has("retry.backoff.initial") {
		b.Initial = DefaultInitial
	}
	if !doc.Has("retry.backoff.max") {
		b.Max = max(DefaultMaxBackoff, b.Initial)
	}
	if !doc.Has("retry.backoff.multiplier") {
		b.Multiplier = DefaultMultiplier
	}
	if !doc.Has("retry.backoff.jitter") {
		b.Jitter = DefaultJitter
	}
	if !doc.Has("retry.attempt_timeout") {
		r.AttemptTimeout = DefaultAttemptTimeout
	}
	if !doc.Has("retry.overall_timeout") {
		r.OverallTimeout = max(DefaultOverallTimeout, r.AttemptTimeout)
	}
	if !doc.Has("retry.retry_after.honor") {
		r.RetryAfter.Honor = true
	}
	if !doc.Has("retry.retry_after.cap") {
		r.RetryAfter.Cap = DefaultRetryAfterCap
	}

	def := DefaultClassify()
	c := &p.Classify
	if c.Transient == nil {
		c.Transient = def.Transient
	}
	if c.Throttled == nil {
		c.Throttled = def.Throttled
	}
	if c.Permanent == nil {
		c.Permanent = def.Permanent
	}
	if c.Unknown == nil {
		c.Unknown = def.Unknown
	}
	if c.Unknown.Retry == nil {
		yes := true
		c.Unknown.Retry = &yes
	}
	if !doc.Has("classify.unknown.max_attempts") {
		c.Unknown.MaxAttempts = min(DefaultUnknownAttempts, max(1, r.MaxAttempts))
	}

	if br := p.Breaker; br != nil {
		if !doc.Has("breaker.failure_threshold") {
			br.FailureThreshold = DefaultFailureThreshold
		}
		if !doc.Has("breaker.open_for") {
			br.OpenFor = DefaultOpenFor
		}
		if !doc.Has("breaker.half_open_successes") {
			br.HalfOpenSuccesses = DefaultHalfOpenSuccesses
		}
	}
	if !doc.Has("idempotency.commit_marker") {
		p.Idempotency.CommitMarker = DefaultCommitMarker
	}
	if !doc.Has("alerts.state") {
		p.Alerts.State = DefaultAlertState
	}
}

var (
	jitters    = []Jitter{JitterFull, JitterEqual, JitterDecorrelated, JitterNone}
	severities = []Severity{SeverityInfo, SeverityWarning, SeverityPage}
	errorKinds = []ErrorKind{ErrTimeout, ErrReset, ErrRefused, ErrEOF}
)

func quoted[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// validate checks values and cross-field rules; the file's syntax and types
// were checked by the decoder.
func validate(p *Policy, doc *strictyaml.Doc, errs strictyaml.Errors) strictyaml.Errors {
	decodeErrs := errs
	errs = nil
	bad := func(path, format string, args ...any) {
		e := doc.Errorf(path, "%s: %s", path, fmt.Sprintf(format, args...))
		if len(decodeErrs) > 0 {
			// The file already has errors: report only problems of values
			// that were decoded, not of what a broken key left at zero.
			if !doc.Has(path) {
				return
			}
			for _, d := range decodeErrs {
				if d.Line == e.Line && d.Col == e.Col {
					return
				}
			}
		}
		errs = append(errs, e)
	}
	positive := func(path string, d time.Duration) {
		if d <= 0 {
			bad(path, "must be a positive duration, got %s", d)
		} else if d > MaxDuration {
			bad(path, "must be at most %s, got %s", MaxDuration, d)
		}
	}
	nonNegative := func(path string, d time.Duration) {
		if d < 0 {
			bad(path, "must not be negative, got %s", d)
		} else if d > MaxDuration {
			bad(path, "must be at most %s, got %s", MaxDuration, d)
		}
	}
	count := func(path string, n, limit int) {
		if n < 1 {
			bad(path, "must be at least 1, got %d", n)
		} else if n > limit {
			bad(path, "must be at most %d, got %d", limit, n)
		}
	}

	r := p.Retry
	count("retry.max_attempts", r.MaxAttempts, MaxAttempts)
	positive("retry.backoff.initial", r.Backoff.Initial)
	positive("retry.backoff.max", r.Backoff.Max)
	if r.Backoff.Initial > 0 && r.Backoff.Max > 0 && r.Backoff.Max < r.Backoff.Initial {
		bad("retry.backoff.max", "must not be below initial (%s), got %s", r.Backoff.Initial, r.Backoff.Max)
	}
	if m := r.Backoff.Multiplier; m < 1 {
		bad("retry.backoff.multiplier", "must be at least 1, got %g", m)
	} else if m > MaxMultiplier || math.IsNaN(m) {
		bad("retry.backoff.multiplier", "must be at most %g, got %g", MaxMultiplier, m)
	}
	if !slices.Contains(jitters, r.Backoff.Jitter) {
		bad("retry.backoff.jitter", "must be one of %s, got %q", quoted(jitters), r.Backoff.Jitter)
	}
	positive("retry.attempt_timeout", r.AttemptTimeout)
	positive("retry.overall_timeout", r.OverallTimeout)
	if r.AttemptTimeout > 0 && r.OverallTimeout > 0 && r.AttemptTimeout > r.OverallTimeout {
		bad("retry.attempt_timeout", "must not exceed overall_timeout (%s), got %s", r.OverallTimeout, r.AttemptTimeout)
	}
	positive("retry.retry_after.cap", r.RetryAfter.Cap)

	validateClassify(p, doc, bad)

	if b := p.Breaker; b != nil {
		count("breaker.failure_threshold", b.FailureThreshold, MaxThreshold)
		positive("breaker.open_for", b.OpenFor)
		count("breaker.half_open_successes", b.HalfOpenSuccesses, MaxThreshold)
	}

	if m := p.Idempotency.CommitMarker; m == "" || strings.Contains(m, "/") {
		bad("idempotency.commit_marker", "must be a non-empty object name without '/', got %q", m)
	}

	a := p.Alerts
	if a.State != "file" {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(a.State, "s3://"), "/")
		if !strings.HasPrefix(a.State, "s3://") || bucket == "" {
			bad("alerts.state", "must be \"file\" or \"s3://bucket/prefix\", got %q", a.State)
		}
	}
	seen := map[string]int{}
	for i, rule := range a.Rules {
		at := strictyaml.Index("alerts.rules", i)
		if rule.Name == "" {
			bad(at+".name", "must not be empty")
		} else if j, dup := seen[rule.Name]; dup {
			bad(at+".name", "%q is already the name of alerts.rules[%d]", rule.Name, j)
		} else {
			seen[rule.Name] = i
		}
		if strings.TrimSpace(rule.When) == "" {
			bad(at+".when", "must not be empty")
		} else if err := condition.Validate(rule.When); err != nil {
			bad(at+".when", "%s", oneLine(err))
		}
		if !slices.Contains(severities, rule.Severity) {
			bad(at+".severity", "must be one of %s, got %q", quoted(severities), rule.Severity)
		}
		if len(rule.Notify) == 0 {
			bad(at+".notify", "must name at least one receiver")
		}
		for j, name := range rule.Notify {
			if _, ok := a.Receivers[name]; !ok {
				bad(strictyaml.Index(at+".notify", j), "receiver %q is not defined in alerts.receivers%s", name, hint(name, a.Receivers))
			}
		}
		nonNegative(at+".dedup_window", rule.DedupWindow)
		nonNegative(at+".escalate_after", rule.EscalateAfter)
	}
	for _, name := range sortedKeys(a.Receivers) {
		rc := a.Receivers[name]
		at := strictyaml.Join("alerts.receivers", name)
		switch {
		case rc.Alertmanager == nil && rc.PagerDuty == nil:
			bad(at, "needs one of alertmanager, pagerduty")
		case rc.Alertmanager != nil && rc.PagerDuty != nil:
			bad(at, "has both alertmanager and pagerduty; give one")
		}
		if rc.Alertmanager != nil && strings.TrimSpace(rc.Alertmanager.URL) == "" {
			bad(at+".alertmanager.url", "must not be empty")
		}
		if pd := rc.PagerDuty; pd != nil {
			if strings.TrimSpace(pd.URL) == "" {
				bad(at+".pagerduty.url", "must not be empty")
			}
			if strings.TrimSpace(pd.RoutingKey) == "" {
				bad(at+".pagerduty.routing_key", "must not be empty")
			}
		}
	}
	for i, f := range a.Payload {
		if !slices.Contains(PayloadFields, f) {
			bad(strictyaml.Index("alerts.payload", i), "must be one of %s, got %q", strings.Join(PayloadFields, ", "), f)
		}
	}
	return errs
}

func validateClassify(p *Policy, doc *strictyaml.Doc, bad func(path, format string, args ...any)) {
	owner := map[string]string{} // "status 503" → class path
	classes := []struct {
		name string
		m    *ClassMatch
	}{
		{"permanent", p.Classify.Permanent},
		{"throttled", p.Classify.Throttled},
		{"transient", p.Classify.Transient},
	}
	for _, c := range classes {
		at := "classify." + c.name
		for i, s := range c.m.Status {
			path := strictyaml.Index(at+".status", i)
			if s < 100 || s > 599 {
				bad(path, "must be an HTTP status (100-599), got %d", s)
				continue
			}
			k := fmt.Sprintf("status %d", s)
			if prev, dup := owner[k]; dup {
				bad(path, "%s is already classified as %s", k, prev)
				continue
			}
			owner[k] = c.name
		}
		for i, code := range c.m.S3Codes {
			path := strictyaml.Index(at+".s3_codes", i)
			if strings.TrimSpace(code) == "" {
				bad(path, "must not be empty")
				continue
			}
			k := fmt.Sprintf("s3 code %s", code)
			if prev, dup := owner[k]; dup {
				bad(path, "%s is already classified as %s", k, prev)
				continue
			}
			owner[k] = c.name
		}
		for i, kind := range c.m.Errors {
			path := strictyaml.Index(at+".errors", i)
			if !slices.Contains(errorKinds, kind) {
				bad(path, "must be one of %s, got %q", quoted(errorKinds), kind)
				continue
			}
			k := fmt.Sprintf("error kind %s", kind)
			if prev, dup := owner[k]; dup {
				bad(path, "%s is already classified as %s", k, prev)
				continue
			}
			owner[k] = c.name
		}
	}
	u := p.Classify.Unknown
	if u.MaxAttempts < 1 {
		bad("classify.unknown.max_attempts", "must be at least 1, got %d", u.MaxAttempts)
	} else if u.MaxAttempts > MaxAttempts {
		bad("classify.unknown.max_attempts", "must be at most %d, got %d", MaxAttempts, u.MaxAttempts)
	} else if doc.Has("classify.unknown.max_attempts") && p.Retry.MaxAttempts >= 1 && u.MaxAttempts > p.Retry.MaxAttempts {
		bad("classify.unknown.max_attempts", "must not exceed retry.max_attempts (%d), got %d", p.Retry.MaxAttempts, u.MaxAttempts)
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func expandString(s string, getenv func(string) string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		return getenv(m[2 : len(m)-1])
	})
}

// expand replaces ${VAR} in the alerts section's strings. An unset
// variable expands to "" (a receiver without a URL is skipped by alerting).
func expand(p *Policy, getenv func(string) string) {
	a := &p.Alerts
	a.State = expandString(a.State, getenv)
	for name, rc := range a.Receivers {
		if rc.Alertmanager != nil {
			am := *rc.Alertmanager
			am.URL = expandString(am.URL, getenv)
			rc.Alertmanager = &am
		}
		if rc.PagerDuty != nil {
			pd := *rc.PagerDuty
			pd.URL = expandString(pd.URL, getenv)
			pd.RoutingKey = expandString(pd.RoutingKey, getenv)
			rc.PagerDuty = &pd
		}
		a.Receivers[name] = rc
	}
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func hint(name string, receivers map[string]Receiver) string {
	if s := strictyaml.Suggest(name, sortedKeys(receivers)); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
