package scenarios

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/gameday/gameday/internal/strictyaml"
)

// PolicyAxis is the reserved matrix key that varies workload.policy
// instead of an environment variable.
const PolicyAxis = "policy"

// MaxCombinations caps the combinations one matrix may make: a guard
// against an axis pasted twice, not a physical limit.
const MaxCombinations = 256

// matrixValueRE is what a value may hold as it shows in a combination's
// name (a policy value shows as its file name without .yaml): no ',', '=',
// '[' or ']', which would make the name ambiguous, no '/' (the name is
// an output folder) and no space, '*', '?' or '\' (it is matched by
// --filter).
var matrixValueRE = regexp.MustCompile(`^[A-Za-z0-9._:@+%-]*$`)

// Matrix varies a scenario: each combination of one value per axis runs
// as a scenario of its own (see Combinations). In YAML it is a mapping
// from an environment variable name (or PolicyAxis) to a list of values,
// in file order:
//
//	matrix:
//	  RETRY_MODE: [standard, adaptive, legacy]
//	  policy: [../../policies/default.yaml, ../../policies/aggressive.yaml]
type Matrix []*Axis

// Axis is one key of a matrix: a workload environment variable, or
// PolicyAxis, and its values in file order. Policy values are absolute
// paths once loaded (written relative to the scenario file).
type Axis struct {
	Name   string
	Values []string
}

// Setting is one axis's value in a combination, as its name shows it.
type Setting struct {
	Name  string
	Value string
}

// UnmarshalStrictYAML implements strictyaml.Unmarshaler: a mapping from
// axis names to lists of strings (numbers are taken as their text), in
// file order.
func (m *Matrix) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	if strictyaml.Kind(n) != "mapping" {
		return fmt.Errorf("expected a mapping of variable names to lists of values, got %s", strictyaml.Describe(n))
	}
	var out Matrix
	for _, e := range d.Entries(n) {
		a := &Axis{Name: e.Key}
		d.DecodeKey(e.Key, e.Value, &a.Values)
		out = append(out, a)
	}
	*m = out
	return nil
}

// Label is how value shows in a combination's name: as written, or for
// PolicyAxis the policy file's name without its folder and .yaml (or .yml).
func (a *Axis) Label(value string) string {
	if a.Name != PolicyAxis {
		return value
	}
	base := filepath.Base(value)
	for _, ext := range []string{".yaml", ".yml"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}

// matrix checks the matrix: at least one axis, each a variable the
// workload may be given (or PolicyAxis) with at least one value, values
// that can be part of a name and show differently, policy files that
// exist, and at most MaxCombinations combinations.
func (v *validator) matrix() {
	m := v.sc.Matrix
	const p = "matrix"
	if v.doc.Has(p) && len(m) == 0 {
		v.errorf(p, "needs at least one axis: a variable name and its values, e.g. RETRY_MODE: [standard, adaptive]")
		return
	}
	total := 1
	for _, a := range m {
		ap := strictyaml.Join(p, a.Name)
		switch {
		case a.Name == PolicyAxis:
		case !envRE.MatchString(a.Name):
			v.errorf(ap, "invalid environment variable name %q (or the reserved key %s)", a.Name, PolicyAxis)
			continue
		case v.sc.SetByHarness(a.Name):
			v.errorf(ap, "%s is set by the harness for every run; a matrix cannot vary it", a.Name)
			continue
		case RemovedFromWorkloads(a.Name):
			v.errorf(ap, "%s is removed from every workload's environment; a matrix cannot vary it", a.Name)
			continue
		}
		if len(a.Values) == 0 {
			v.errorf(ap, "axis %s has no values: give at least one", a.Name)
			continue
		}
		first := map[string]string{} // label → value that showed it first
		for i, val := range a.Values {
			vp := strictyaml.Index(ap, i)
			if a.Name == PolicyAxis {
				if val == "" {
					v.errorf(vp, "must not be empty")
					continue
				}
				// The policy's own size cap is checked when policies.Load reads it.
				a.Values[i] = v.existingFile(vp, val, -1)
			}
			label := a.Label(val)
			switch {
			case !matrixValueRE.MatchString(label):
				what := fmt.Sprintf("value %q", val)
				if a.Name == PolicyAxis {
					what = fmt.Sprintf("policy file name %q", label)
				}
				v.errorf(vp, "%s: only letters, digits and . _ - : @ + %% may appear in a combination's name %s[%s=%s] (it names the output folder and is what --filter matches)", what, v.sc.Name, a.Name, label)
			case first[label] != "":
				if first[label] == val {
					v.errorf(vp, "duplicate combination: %s=%s is listed twice", a.Name, val)
				} else {
					v.errorf(vp, "duplicate combination: %s and %s both show as %s=%s in combination names; rename one file", first[label], val, a.Name, label)
				}
			default:
				first[label] = val
			}
		}
		if total <= MaxCombinations {
			total *= len(a.Values)
		}
	}
	if total > MaxCombinations {
		v.errorf(p, "makes more than %d combinations; split the scenario", MaxCombinations)
	}
}

// Combinations returns the scenarios s stands for: s itself when it has no
// matrix, else one variant per combination of its axes' values (the last
// axis varying fastest), each made with With and named
// <name>[VAR=value,...] (axes in file order), with Matrix nil and
// Combination set. An error names the scenario and every problem (a
// policy value that does not load is LoadSet's to position).
func (s *Scenario) Combinations() ([]*Scenario, error) {
	if len(s.Matrix) == 0 {
		return []*Scenario{s}, nil
	}
	combos := [][]int{{}}
	for _, a := range s.Matrix {
		var next [][]int
		for _, c := range combos {
			for i := range a.Values {
				next = append(next, append(append([]int(nil), c...), i))
			}
		}
		combos = next
	}
	out := make([]*Scenario, 0, len(combos))
	for _, c := range combos {
		o := Override{Env: map[string]string{}}
		settings := make([]Setting, len(c))
		for k, i := range c {
			a := s.Matrix[k]
			val := a.Values[i]
			if a.Name == PolicyAxis {
				o.Policy = val
			} else {
				o.Env[a.Name] = val
			}
			settings[k] = Setting{Name: a.Name, Value: a.Label(val)}
		}
		v, err := s.apply(o)
		if err != nil {
			return nil, err
		}
		v.Name = CombinationName(s.Name, settings)
		v.Matrix, v.Combination = nil, settings
		out = append(out, v)
	}
	return out, nil
}

// CombinationName is name[VAR=value,...], the settings in order.
func CombinationName(name string, settings []Setting) string {
	parts := make([]string, len(settings))
	for i, st := range settings {
		parts[i] = st.Name + "=" + st.Value
	}
	return name + "[" + strings.Join(parts, ",") + "]"
}

// BaseName is the scenario's name without a combination's settings: the
// name its file gives.
func (s *Scenario) BaseName() string {
	if i := strings.IndexByte(s.Name, '['); i >= 0 {
		return s.Name[:i]
	}
	return s.Name
}

// Slug is the name with every character other than letters, digits, '.',
// '_' and '-' turned into '-' (runs of them into one, none at the end):
// the form of a combination's name that run ids and folders of the
// harness's own use, e.g. upload-RETRY_MODE-standard.
func (s *Scenario) Slug() string {
	var b strings.Builder
	dash := false
	for _, r := range s.Name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = r == '-'
	}
	return strings.TrimRight(b.String(), "-")
}
