package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/strictyaml"
)

// EnvVarFor returns GAMEDAY_<NAME>_URL for a target name: upper-cased,
// '-' → '_'.
func EnvVarFor(name string) string {
	return "GAMEDAY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_URL"
}

// RunIDFor returns the run_id of scheduled run n (1..runs) for seed:
// workload.run_id, or "<name>-<seed>" when absent (a matrix combination's
// name in its Slug form: upload-RETRY_MODE-standard-42); with runs > 1,
// "-<n>" is appended. Restarts of a run keep its id.
func (s *Scenario) RunIDFor(seed int64, n int) string {
	id := s.Workload.RunID
	if id == "" {
		id = fmt.Sprintf("%s-%d", s.Slug(), seed)
	}
	if s.Workload.Runs > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

// ParseSize parses "1024", "4MiB", "512 KiB", "1MB".
func ParseSize(s string) (Size, error) { return injectors.ParseSize(s) }

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

// ---- Action ----

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: the mapping names
// one action by its key (status, delay, ...); the whole mapping then
// decodes into that action's own shape, so a key it does not take is an
// unknown key. Validation of the values is the action's own (Validate),
// run by the scenario validator, which knows the fault's context.
func (a *Action) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	kinds := injectors.ActionKinds()
	names := strings.Join(kinds[:len(kinds)-1], ", ") + " or " + kinds[len(kinds)-1]
	if strictyaml.Kind(n) != "mapping" {
		return fmt.Errorf("expected a mapping with one action (%s), got %s", names, strictyaml.Describe(n))
	}
	var present []string
	for _, e := range d.Entries(n) {
		if slices.Contains(kinds, e.Key) {
			present = append(present, e.Key)
		}
	}
	switch len(present) {
	case 0:
		return fmt.Errorf("needs one action: %s", strings.Join(kinds, ", "))
	case 1:
	default:
		return fmt.Errorf("has %d actions (%s); a fault takes exactly one", len(present), strings.Join(present, ", "))
	}
	act := injectors.NewAction(present[0])
	shape, apply := injectors.YAMLShape(act)
	d.Decode(n, shape)
	apply()
	a.Action = act
	return nil
}
