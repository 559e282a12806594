package scenarios

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/gameday/gameday/internal/strictyaml"
)

// EnvVarFor returns GAMEDAY_<NAME>_URL for a target name: upper-cased,
// '-' → '_'.
func EnvVarFor(name string) string {
	return "GAMEDAY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_URL"
}

// RunIDFor returns the run_id of scheduled run n (1..runs) for seed:
// workload.run_id, or "<name>-<seed>" when absent; with runs > 1, "-<n>" is
// appended. Restarts of a run keep its id.
func (s *Scenario) RunIDFor(seed int64, n int) string {
	id := s.Workload.RunID
	if id == "" {
		id = fmt.Sprintf("%s-%d", s.Name, seed)
	}
	if s.Workload.Runs > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

// ---- Size ----

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

// ---- Cmp ----

// ParseCmp parses a comparison: "3", "10s", "<=3", ">=1", "<10s", "==0", ">2".
func ParseCmp(s string) (Cmp, error) {
	t := strings.TrimSpace(s)
	c := Cmp{Op: OpEQ}
	for _, op := range []string{OpLE, OpGE, OpEQ, OpLT, OpGT} {
		if strings.HasPrefix(t, op) {
			c.Op = op
			t = strings.TrimSpace(t[len(op):])
			break
		}
	}
	bad := fmt.Errorf("invalid comparison %q: want a number or duration, optionally after <=, >=, <, > or == (e.g. \"<=3\", \"<10s\")", s)
	if t == "" {
		return Cmp{}, bad
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		c.N = n
		if n < 0 {
			return Cmp{}, bad
		}
		return c, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return Cmp{}, bad
	}
	c.D, c.IsDuration = d, true
	return c, nil
}

// UnmarshalText implements encoding.TextUnmarshaler: a bare number or
// duration is an upper bound, an operator is taken as written.
func (a *AtMost) UnmarshalText(b []byte) error {
	v, err := ParseCmp(string(b))
	if err != nil {
		return err
	}
	if !hasOperator(string(b)) {
		v.Op = OpLE
	}
	a.Cmp = v
	return nil
}

// hasOperator reports whether a comparison string starts with an operator.
func hasOperator(s string) bool {
	t := strings.TrimSpace(s)
	for _, op := range []string{OpLE, OpGE, OpEQ, OpLT, OpGT} {
		if strings.HasPrefix(t, op) {
			return true
		}
	}
	return false
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Cmp) UnmarshalText(b []byte) error {
	v, err := ParseCmp(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

func holds[T int64 | time.Duration](op string, got, want T) bool {
	switch op {
	case OpLE:
		return got <= want
	case OpGE:
		return got >= want
	case OpLT:
		return got < want
	case OpGT:
		return got > want
	}
	return got == want
}

// HoldsInt reports whether the count n satisfies c. A duration comparison
// never holds for a count.
func (c Cmp) HoldsInt(n int) bool {
	if c.IsDuration {
		return false
	}
	return holds(c.Op, int64(n), c.N)
}

// HoldsDuration reports whether d satisfies c. A count comparison holds for
// durations only when its number is 0 (e.g. `recovery_time: 0`), compared
// as 0s.
func (c Cmp) HoldsDuration(d time.Duration) bool {
	want := c.D
	if !c.IsDuration {
		if c.N != 0 {
			return false
		}
		want = 0
	}
	return holds(c.Op, d, want)
}

// String formats c canonically: "==3", "<=5", "<10s".
func (c Cmp) String() string {
	op := c.Op
	if op == "" {
		op = OpEQ
	}
	if c.IsDuration {
		return op + c.D.String()
	}
	return op + strconv.FormatInt(c.N, 10)
}

// IsZero reports whether c is the zero Cmp (never loaded).
func (c Cmp) IsZero() bool { return c == Cmp{} }

// ---- Methods, StatusList ----

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: one method or a
// list of methods.
func (m *Methods) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	var list []string
	switch strictyaml.Kind(n) {
	case "string":
		s, _ := strictyaml.ScalarText(n)
		list = []string{s}
	case "list":
		if !d.Decode(n, &list) {
			return nil
		}
	case "null":
		*m = nil
		return nil
	default:
		return fmt.Errorf("expected a method or a list of methods, got %s", strictyaml.Describe(n))
	}
	out := make(Methods, 0, len(list))
	for _, s := range list {
		up := strings.ToUpper(strings.TrimSpace(s))
		if up == "" || strings.IndexFunc(up, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return fmt.Errorf("invalid HTTP method %q", s)
		}
		out = append(out, up)
	}
	*m = out
	return nil
}

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: one status or a
// list of statuses, each 100..599.
func (l *StatusList) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	var list []int
	switch strictyaml.Kind(n) {
	case "integer":
		var one int
		if !d.Decode(n, &one) {
			return nil
		}
		list = []int{one}
	case "list":
		if !d.Decode(n, &list) {
			return nil
		}
	default:
		return fmt.Errorf("expected an HTTP status or a list of them, got %s", strictyaml.Describe(n))
	}
	if len(list) == 0 {
		return errors.New("needs at least one status")
	}
	for _, s := range list {
		if s < 100 || s > 599 {
			return fmt.Errorf("invalid HTTP status %d: want 100..599", s)
		}
	}
	*l = list
	return nil
}

// ---- Targets ----

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: a mapping from
// target name to target, kept in file order.
func (ts *Targets) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	if strictyaml.Kind(n) != "mapping" {
		return fmt.Errorf("expected a mapping of target names to targets, got %s", strictyaml.Describe(n))
	}
	var out Targets
	for _, e := range d.Entries(n) {
		t := &Target{}
		d.DecodeKey(e.Key, e.Value, t)
		t.Name = e.Key
		out = append(out, t)
	}
	*ts = out
	return nil
}

// ---- TargetCmp, RetryAfterHonored ----

type targetCmpYAML struct {
	Target string  `yaml:"target"`
	Max    *AtMost `yaml:"max,required"`
}

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: a comparison or
// {target, max}.
func (c *TargetCmp) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	if strictyaml.Kind(n) == "mapping" {
		var raw targetCmpYAML
		d.Decode(n, &raw)
		c.Target = raw.Target
		if raw.Max != nil {
			c.Cmp = raw.Max.Cmp
		}
		return nil
	}
	s, ok := strictyaml.ScalarText(n)
	if !ok || strictyaml.Kind(n) == "boolean" {
		return fmt.Errorf("expected a comparison such as \"<=5\" or {target: NAME, max: \"<=5\"}, got %s", strictyaml.Describe(n))
	}
	v, err := ParseCmp(s)
	if err != nil {
		return err
	}
	c.Cmp = v
	return nil
}

type retryAfterHonoredYAML struct {
	Target  string `yaml:"target"`
	Honored *bool  `yaml:"honored,required"`
}

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: true/false or
// {target, honored}.
func (r *RetryAfterHonored) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	switch strictyaml.Kind(n) {
	case "mapping":
		var raw retryAfterHonoredYAML
		d.Decode(n, &raw)
		r.Target = raw.Target
		if raw.Honored != nil {
			r.Honored = *raw.Honored
		}
		return nil
	case "boolean":
		return boolInto(d, n, &r.Honored)
	}
	return fmt.Errorf("expected true, false or {target: NAME, honored: true}, got %s", strictyaml.Describe(n))
}

func boolInto(d *strictyaml.Decoder, n ast.Node, b *bool) error {
	d.Decode(n, b)
	return nil
}

// ---- RetryAfter ----

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
// seconds (loading rejects fractions; one built in Go is rounded up), or the
// HTTP-date.
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

// ---- Action ----

// actionYAML is the YAML shape of an action: one mapping with the action
// keys side by side.
type actionYAML struct {
	Status     *int              `yaml:"status" json:"status,omitempty" jsonschema:"minimum=100,maximum=599"`
	S3Code     string            `yaml:"s3_code" json:"s3_code,omitempty"`
	Body       *string           `yaml:"body" json:"body,omitempty"`
	Headers    map[string]string `yaml:"headers" json:"headers,omitempty"`
	RetryAfter *RetryAfter       `yaml:"retry_after" json:"retry_after,omitempty"`
	Delay      *time.Duration    `yaml:"delay" json:"delay,omitempty"`
	Reset      *bool             `yaml:"reset" json:"reset,omitempty"`
	Hang       *bool             `yaml:"hang" json:"hang,omitempty"`
	Truncate   *Size             `yaml:"truncate" json:"truncate,omitempty"`
	Throttle   *Size             `yaml:"throttle" json:"throttle,omitempty"`
	Crash      *CrashAction      `yaml:"crash" json:"crash,omitempty"`
	Pause      *time.Duration    `yaml:"pause" json:"pause,omitempty"`
}

// UnmarshalStrictYAML implements strictyaml.Unmarshaler. Cross-field checks
// (exactly one action, status-only keys) are done by validation, which has
// the positions; here the shape is decoded.
func (a *Action) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	if strictyaml.Kind(n) != "mapping" {
		return fmt.Errorf("expected a mapping with one action (status, delay, reset, hang, truncate, throttle, crash or pause), got %s", strictyaml.Describe(n))
	}
	var raw actionYAML
	d.Decode(n, &raw)
	*a = Action{
		Delay:    raw.Delay,
		Reset:    raw.Reset != nil && *raw.Reset,
		Hang:     raw.Hang != nil && *raw.Hang,
		Truncate: raw.Truncate,
		Throttle: raw.Throttle,
		Crash:    raw.Crash,
		Pause:    raw.Pause,
	}
	if raw.Status != nil {
		a.Status = &StatusAction{Code: *raw.Status, S3Code: raw.S3Code, Body: raw.Body, Headers: raw.Headers, RetryAfter: raw.RetryAfter}
	}
	return nil
}
