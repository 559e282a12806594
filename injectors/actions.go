package injectors

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Action is what a rule does. The set is closed: Status, Delay, Reset,
// Hang, Truncate, Throttle, Crash and Pause (as pointers). Each type owns
// everything about its action — its name, how scenario files write it (its
// yaml tags), its validation, how people read it, and what it does to an
// exchange — so a new action is one type in one file.
type Action interface {
	// Kind names the action as scenario files write it ("status").
	Kind() string
	// String renders the action for people ("status 503 retry-after 2s").
	String() string
	// Validate reports what is wrong with the action's values where it is
	// used; nil when nothing is.
	Validate(c ActionContext) []Problem
	// act carries the action out on an exchange, before forwarding or on
	// the upstream's answer (onResponse), and reports whether that ended
	// the exchange.
	act(x *exchange, r *Rule, onResponse bool) (done bool)
}

// Actions returns one zero value of every action, in the order scenario
// files document them. It is the closed set: decoding, the schema and the
// docs read it.
func Actions() []Action {
	return []Action{&Status{}, &Delay{}, &Reset{}, &Hang{}, &Truncate{}, &Throttle{}, &Crash{}, &Pause{}}
}

// NewAction returns a zero value of the action called kind, or nil.
func NewAction(kind string) Action {
	for _, a := range Actions() {
		if a.Kind() == kind {
			return a
		}
	}
	return nil
}

// ActionKinds names the actions, in the order of Actions.
func ActionKinds() []string {
	var out []string
	for _, a := range Actions() {
		out = append(out, a.Kind())
	}
	return out
}

// YAMLShape returns the value a scenario file's action mapping decodes
// into for a — the action itself (its yaml tags name the mapping's keys),
// unless the action's keys nest (crash: {restart_after: 2s}) — and the
// function that carries a decoded shape into a (nothing to do for the
// action itself).
func YAMLShape(a Action) (shape any, apply func()) {
	if s, ok := a.(interface{ yamlShape() (any, func()) }); ok {
		return s.yamlShape()
	}
	return a, func() {}
}

// ActsOnProcess reports whether a kills or freezes a process (crash,
// pause): the only actions a fault on the workload, or a timer fault, may
// take.
func ActsOnProcess(a Action) bool {
	_, ok := a.(interface{ process() })
	return ok
}

// ActionContext is what an action's validation knows of where it is used.
type ActionContext struct {
	// Kind is the proxy's Kind, when the target is known ("" when not).
	Kind Kind
	// Workload: the fault acts on the workload's processes.
	Workload bool
	// MaxDuration caps every duration of the action (0: no cap).
	MaxDuration time.Duration
}

// Problem is one thing wrong with an action's values: Key is the key of
// the action mapping it concerns ("retry_after", "crash.restart_after"),
// "" for the action as a whole.
type Problem struct {
	Key string
	Msg string
}

func problem(key, format string, args ...any) Problem {
	return Problem{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// notOnWorkload is the problem of a non-process action on the workload.
func notOnWorkload(c ActionContext, kind string) []Problem {
	if c.Workload {
		return []Problem{problem("", "a fault on the workload takes crash or pause, not %s", kind)}
	}
	return nil
}

// duration checks a positive duration under the context's cap.
func duration(c ActionContext, key string, d time.Duration, zeroOK bool) []Problem {
	switch {
	case d < 0 || (d == 0 && !zeroOK):
		return []Problem{problem(key, "must be positive, got %s", d)}
	case c.MaxDuration > 0 && d > c.MaxDuration:
		return []Problem{problem(key, "must be at most %s, got %s", c.MaxDuration, d)}
	}
	return nil
}

// ---- status ----

var s3CodeRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// Status answers with an error status instead of forwarding (or instead of
// the upstream's answer, on response). Its body is protocol-true for the
// proxy's Kind unless Body is set. Written {status: 503}, with optional
// s3_code, body, headers and retry_after.
type Status struct {
	Code   int    `yaml:"status" json:"status" jsonschema:"minimum=100,maximum=599"`
	S3Code string `yaml:"s3_code" json:"s3_code,omitempty"` // S3 error code; default from Code (see DefaultS3Code)
	Body   string `yaml:"body" json:"body,omitempty"`       // replaces the generated body when not empty
	// Headers are added to the answer.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// RetryAfter, when set, is sent as Retry-After; only with 429 or 503.
	RetryAfter *RetryAfter `yaml:"retry_after" json:"retry_after,omitempty"`
}

func (*Status) Kind() string { return "status" }

func (s *Status) String() string {
	out := fmt.Sprintf("status %d", s.Code)
	if s.RetryAfter != nil {
		out += " retry-after " + s.RetryAfter.String()
	}
	return out
}

func (s *Status) Validate(c ActionContext) []Problem {
	ps := notOnWorkload(c, s.Kind())
	if s.Code < 100 || s.Code > 599 {
		ps = append(ps, problem("status", "invalid HTTP status %d: want 100..599", s.Code))
	}
	if s.RetryAfter != nil && s.Code != 429 && s.Code != 503 {
		ps = append(ps, problem("retry_after", "only with status 429 or 503, not %d", s.Code))
	}
	switch {
	case s.S3Code != "" && !s3CodeRE.MatchString(s.S3Code):
		ps = append(ps, problem("s3_code", "invalid S3 error code %q", s.S3Code))
	case s.S3Code != "" && c.Kind == KindJSON:
		ps = append(ps, problem("s3_code", "only for minio targets; a stub target answers with a JSON error body"))
	}
	return ps
}

func (s *Status) act(x *exchange, _ *Rule, _ bool) bool {
	x.answer(s)
	return true
}

// RetryAfter is a Retry-After value: a delay (sent as whole seconds,
// rounded up) or an HTTP-date. Date is zero for a delay.
type RetryAfter struct {
	Delay time.Duration
	Date  time.Time
}

// UnmarshalText implements encoding.TextUnmarshaler: a duration ("2s") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT").
func (r *RetryAfter) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "0" {
		*r = RetryAfter{}
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return fmt.Errorf("retry_after must not be negative, got %s", s)
		}
		if d%time.Second != 0 {
			return fmt.Errorf("%s is not a whole number of seconds: Retry-After is sent in whole seconds (write e.g. %s)", s, ((d + time.Second - 1) / time.Second * time.Second).String())
		}
		*r = RetryAfter{Delay: d}
		return nil
	}
	if t, err := http.ParseTime(s); err == nil {
		*r = RetryAfter{Date: t.UTC()}
		return nil
	}
	return fmt.Errorf("invalid retry_after %q: want a duration such as \"2s\" or an HTTP-date such as \"Wed, 21 Oct 2015 07:28:00 GMT\"", s)
}

// HeaderValue returns the Retry-After header value: the delay in whole
// seconds (rounded up), or the HTTP-date.
func (r RetryAfter) HeaderValue() string {
	if !r.Date.IsZero() {
		return r.Date.UTC().Format(http.TimeFormat)
	}
	secs := (r.Delay + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(secs), 10)
}

// String returns the value as it would be written in YAML.
func (r RetryAfter) String() string {
	if !r.Date.IsZero() {
		return r.Date.UTC().Format(http.TimeFormat)
	}
	return r.Delay.String()
}

// ---- delay ----

// Delay holds the request (or the upstream's answer, on response) for D,
// then goes on. Written {delay: 300ms}.
type Delay struct {
	D time.Duration `yaml:"delay" json:"delay"`
}

func (*Delay) Kind() string     { return "delay" }
func (d *Delay) String() string { return "delay " + d.D.String() }

func (d *Delay) Validate(c ActionContext) []Problem {
	return append(notOnWorkload(c, d.Kind()), duration(c, "delay", d.D, false)...)
}

func (d *Delay) act(x *exchange, _ *Rule, _ bool) bool {
	return !x.wait(x.r.Context(), d.D)
}

// ---- reset ----

// Reset closes the client connection with a TCP reset, no response.
// Written {reset: true}.
type Reset struct {
	On bool `yaml:"reset" json:"reset"`
}

func (*Reset) Kind() string   { return "reset" }
func (*Reset) String() string { return "reset" }

func (r *Reset) Validate(c ActionContext) []Problem {
	ps := notOnWorkload(c, r.Kind())
	if !r.On {
		ps = append(ps, problem("reset", "must be true (leave the key out for no reset)"))
	}
	return ps
}

func (*Reset) act(x *exchange, _ *Rule, _ bool) bool {
	x.reset(ErrReset)
	return true
}

// ---- hang ----

// Hang holds the request until the client gives up or the proxy closes.
// Written {hang: true}.
type Hang struct {
	On bool `yaml:"hang" json:"hang"`
}

func (*Hang) Kind() string   { return "hang" }
func (*Hang) String() string { return "hang" }

func (h *Hang) Validate(c ActionContext) []Problem {
	ps := notOnWorkload(c, h.Kind())
	if !h.On {
		ps = append(ps, problem("hang", "must be true (leave the key out for no hang)"))
	}
	return ps
}

func (*Hang) act(x *exchange, _ *Rule, _ bool) bool {
	x.hang()
	return true
}

// ---- truncate, throttle: they shape the body, whatever On says ----

// bodyShaper is an action that shapes the delivered body: limit >= 0 cuts
// it after limit bytes, rate > 0 throttles it to rate bytes/s.
type bodyShaper interface {
	shape() (limit, rate int64)
}

// Truncate sends Bytes of the body, then closes the connection. Written
// {truncate: 1KiB}.
type Truncate struct {
	Bytes Size `yaml:"truncate" json:"truncate"`
}

func (*Truncate) Kind() string            { return "truncate" }
func (t *Truncate) String() string        { return "truncate after " + t.Bytes.String() }
func (t *Truncate) shape() (int64, int64) { return int64(t.Bytes), 0 }

func (t *Truncate) Validate(c ActionContext) []Problem {
	ps := notOnWorkload(c, t.Kind())
	if t.Bytes < 0 {
		ps = append(ps, problem("truncate", "must not be negative"))
	}
	return ps
}

func (*Truncate) act(*exchange, *Rule, bool) bool { return false }

// Throttle limits the body to Rate bytes per second. Written {throttle:
// 64KiB}.
type Throttle struct {
	Rate Size `yaml:"throttle" json:"throttle"`
}

func (*Throttle) Kind() string            { return "throttle" }
func (t *Throttle) String() string        { return "throttle " + t.Rate.String() + "/s" }
func (t *Throttle) shape() (int64, int64) { return -1, int64(t.Rate) }

func (t *Throttle) Validate(c ActionContext) []Problem {
	ps := notOnWorkload(c, t.Kind())
	if t.Rate <= 0 {
		ps = append(ps, problem("throttle", "must be a positive rate in bytes per second"))
	}
	return ps
}

func (*Throttle) act(*exchange, *Rule, bool) bool { return false }

// ---- crash, pause: they act on a process, through the harness ----

// Crash asks the harness (Config.OnCrash) to kill a process: the target,
// or the workload when Rule.Workload. RestartAfter nil means never
// restart. Written {crash: {}} or {crash: {restart_after: 2s}}.
type Crash struct {
	RestartAfter *time.Duration `yaml:"restart_after" json:"restart_after,omitempty"`
}

func (*Crash) Kind() string { return "crash" }
func (*Crash) process()     {}

func (c *Crash) String() string {
	if c.RestartAfter != nil {
		return "crash, restart after " + c.RestartAfter.String()
	}
	return "crash"
}

func (c *Crash) yamlShape() (any, func()) {
	s := &struct {
		Crash *Crash `yaml:"crash,required" json:"crash"`
	}{}
	return s, func() {
		if s.Crash != nil {
			*c = *s.Crash
		}
	}
}

func (c *Crash) Validate(ctx ActionContext) []Problem {
	if c.RestartAfter == nil {
		return nil
	}
	if ctx.Workload {
		return []Problem{problem("crash.restart_after", "not for the workload: a crashed run is restarted by workload.restarts")}
	}
	return duration(ctx, "crash.restart_after", *c.RestartAfter, true)
}

func (c *Crash) act(x *exchange, r *Rule, onResponse bool) bool {
	x.callback(x.p.cfg.OnCrash, *r)
	if onResponse || r.Workload {
		// On response the upstream has done the work: its answer was held
		// until the process died. On request with the workload as the
		// victim, the client is the process just killed: the request never
		// reaches the upstream.
		x.closeUnanswered(ErrCrash)
		return true
	}
	return false
}

// Pause asks the harness (Config.OnPause) to freeze a process for For.
// Written {pause: 2s}.
type Pause struct {
	For time.Duration `yaml:"pause" json:"pause"`
}

func (*Pause) Kind() string     { return "pause" }
func (*Pause) process()         {}
func (p *Pause) String() string { return "pause " + p.For.String() }

func (p *Pause) Validate(c ActionContext) []Problem {
	return duration(c, "pause", p.For, false)
}

func (*Pause) act(x *exchange, r *Rule, _ bool) bool {
	x.callback(x.p.cfg.OnPause, *r)
	return false
}

// ---- Size ----

// Size is a number of bytes. In YAML it is a plain integer or a string with
// a unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000),
// e.g. 4MiB, "512 KiB", 1000.
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseSize parses "1024", "4MiB", "512 KiB", "1MB".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			mult = u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: want bytes, or a number with KiB, MiB, GiB, KB, MB or GB (e.g. 4MiB)", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * mult), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// String formats z with the largest binary unit that divides it.
func (z Size) String() string {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if z != 0 && int64(z)%u.m == 0 {
			return fmt.Sprintf("%d%s", int64(z)/u.m, u.s)
		}
	}
	return strconv.FormatInt(int64(z), 10)
}
