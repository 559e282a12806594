package scenarios

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
)

// MarshalYAML renders s as a scenario file that LoadFile reads back into
// the same scenario. Keys are written in the order of the types (the
// expect block in the order its file wrote it), defaults the loader filled
// in are written out except the obvious ones (a fault's on: request, a
// route's status: 200, runs: 1), and every path is absolute — the policy,
// from_file, the exec program and exec arguments that name a file beside
// the scenario — so the text loads, and runs, from any folder. Leaf
// mappings and lists are written in flow style when they fit on a line.
// It does not change s.
func (s *Scenario) MarshalYAML() ([]byte, error) {
	e := &encoder{dir: filepath.Dir(s.File)}
	root, err := e.value(reflect.ValueOf(*s), "")
	if err != nil {
		return nil, err
	}
	if order := s.ExpectOrder(); len(order) > 0 {
		if i := slices.Index(root.keys, "expect"); i >= 0 {
			root.vals[i].reorder(order)
		}
	}
	var b strings.Builder
	root.block(&b, 0, "")
	return []byte(b.String()), nil
}

// encoder turns scenario values into nodes. dir is the scenario file's
// folder, against which relative exec paths are made absolute.
type encoder struct{ dir string }

// node is a YAML value: a scalar (leaf), a mapping (keys, vals) or a list.
// A string scalar keeps its text (str), as block context lets more of them
// go unquoted than flow context does.
type node struct {
	leaf   bool
	scalar string
	str    *string
	list   bool
	keys   []string
	vals   []*node
	items  []*node
}

func leaf(s string) *node             { return &node{leaf: true, scalar: s} }
func quoted(s string) *node           { return leaf(quote(s)) }
func (n *node) add(k string, v *node) { n.keys, n.vals = append(n.keys, k), append(n.vals, v) }

// scalarString is a string scalar.
func scalarString(s string) *node { return &node{leaf: true, scalar: quote(s), str: &s} }

// text renders a scalar in block context.
func (n *node) text() string {
	if n.str != nil {
		return quoteBlock(*n.str)
	}
	return n.scalar
}

// reorder puts a mapping's keys named in order first, in that order.
func (n *node) reorder(order []string) {
	type kv struct {
		k string
		v *node
	}
	var first, rest []kv
	for i, k := range n.keys {
		if slices.Contains(order, k) {
			first = append(first, kv{k, n.vals[i]})
		} else {
			rest = append(rest, kv{k, n.vals[i]})
		}
	}
	sort.SliceStable(first, func(i, j int) bool { return slices.Index(order, first[i].k) < slices.Index(order, first[j].k) })
	n.keys, n.vals = nil, nil
	for _, e := range append(first, rest...) {
		n.add(e.k, e.v)
	}
}

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	actionType    = reflect.TypeOf(Action{})
	targetsType   = reflect.TypeOf(Targets(nil))
	matrixType    = reflect.TypeOf(Matrix(nil))
	cmpType       = reflect.TypeOf(Cmp{})
	atMostType    = reflect.TypeOf(AtMost{})
	targetCmpType = reflect.TypeOf(TargetCmp{})
	honoredType   = reflect.TypeOf(RetryAfterHonored{})
	sizeType      = reflect.TypeOf(Size(0))
	retryAfType   = reflect.TypeOf(RetryAfter{})
	methodsType   = reflect.TypeOf(Methods(nil))
	statusesType  = reflect.TypeOf(StatusList(nil))
	workloadType  = reflect.TypeOf(Workload{})
	objectType    = reflect.TypeOf(Object{})
)

// value encodes v; path is the YAML path, for the few keys whose meaning
// depends on where they are.
func (e *encoder) value(v reflect.Value, path string) (*node, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return leaf("null"), nil
		}
		v = v.Elem()
	}
	switch v.Type() {
	case durationType:
		return leaf(FormatDuration(time.Duration(v.Int()))), nil
	case sizeType:
		return leaf(Size(v.Int()).String()), nil
	case retryAfType:
		ra := v.Interface().(RetryAfter)
		if !ra.Date.IsZero() {
			return quoted(ra.String()), nil
		}
		return leaf(FormatDuration(ra.Delay)), nil
	case cmpType:
		return cmpNode(v.Interface().(Cmp), OpEQ), nil
	case atMostType:
		return cmpNode(v.Interface().(AtMost).Cmp, OpLE), nil
	case targetCmpType:
		tc := v.Interface().(TargetCmp)
		if tc.Target == "" {
			return cmpNode(tc.Cmp, OpEQ), nil
		}
		n := &node{}
		n.add("target", scalarString(tc.Target))
		n.add("max", cmpNode(tc.Cmp, OpLE))
		return n, nil
	case honoredType:
		h := v.Interface().(RetryAfterHonored)
		if h.Target == "" {
			return leaf(strconv.FormatBool(h.Honored)), nil
		}
		n := &node{}
		n.add("target", scalarString(h.Target))
		n.add("honored", leaf(strconv.FormatBool(h.Honored)))
		return n, nil
	case methodsType, statusesType:
		if v.Len() == 1 {
			return e.value(v.Index(0), path)
		}
	case actionType:
		return e.action(v.Interface().(Action).Action, path)
	case matrixType:
		// Axis name → its values, in file order; policy values are
		// absolute already.
		n := &node{}
		for _, a := range v.Interface().(Matrix) {
			l := &node{list: true}
			for _, x := range a.Values {
				l.items = append(l.items, scalarString(x))
			}
			n.add(a.Name, l)
		}
		return n, nil
	case targetsType:
		n := &node{}
		for _, t := range v.Interface().(Targets) {
			tn, err := e.value(reflect.ValueOf(t), path+"."+t.Name)
			if err != nil {
				return nil, err
			}
			n.add(t.Name, tn)
		}
		return n, nil
	case workloadType:
		w := v.Interface().(Workload)
		w.Exec = e.absExec(w.Exec)
		v = reflect.ValueOf(w)
	}
	switch v.Kind() {
	case reflect.Struct:
		return e.structNode(v, path)
	case reflect.Map:
		n := &node{}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			c, err := e.value(v.MapIndex(k), path+"."+k.String())
			if err != nil {
				return nil, err
			}
			n.add(k.String(), c)
		}
		return n, nil
	case reflect.Slice:
		n := &node{list: true}
		for i := range v.Len() {
			c, err := e.value(v.Index(i), path+"[]")
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	case reflect.Interface:
		if v.IsNil() {
			return leaf("null"), nil
		}
		return freeform(v.Elem().Interface())
	case reflect.String:
		return scalarString(v.String()), nil
	case reflect.Bool:
		return leaf(strconv.FormatBool(v.Bool())), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return leaf(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return leaf(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		return leaf(formatFloat(v.Float())), nil
	}
	return nil, fmt.Errorf("%s: cannot write a %s", strings.TrimPrefix(path, "."), v.Type())
}

// structNode writes the fields of a struct by their yaml tags: a field
// that is zero is left out unless it is required, and so is a field that
// holds the default the loader would fill in anyway.
func (e *encoder) structNode(v reflect.Value, path string) (*node, error) {
	n := &node{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		required := strings.Contains(opts, "required")
		if (fv.IsZero() && !required) || impliedDefault(t, name, fv) {
			continue
		}
		if fv.Kind() == reflect.Pointer && fv.IsNil() {
			continue
		}
		c, err := e.value(fv, path+"."+name)
		if err != nil {
			return nil, err
		}
		n.add(name, c)
	}
	return n, nil
}

// impliedDefault reports the few fields whose value is what the loader
// fills in when the key is absent, and which would only be noise.
func impliedDefault(t reflect.Type, name string, v reflect.Value) bool {
	switch {
	case t == reflect.TypeOf(Fault{}) && name == "on":
		return v.String() == OnRequest
	case t == reflect.TypeOf(Route{}) && name == "status":
		return v.Int() == 200
	case t == workloadType && name == "runs":
		return v.Int() == 1
	}
	return false
}

// action writes a fault's action as its own type's YAML shape says: the
// action's yaml tags name the mapping's keys, or (for an action whose keys
// nest, crash) the shape's field that holds the action.
func (e *encoder) action(a injectors.Action, path string) (*node, error) {
	if a == nil {
		return nil, fmt.Errorf("%s: a fault without an action", strings.TrimPrefix(path, "."))
	}
	shape, _ := injectors.YAMLShape(a)
	sv := reflect.ValueOf(shape)
	if shape != any(a) {
		// Put the action into the field of the shape that carries it.
		el := sv.Elem()
		for i := range el.NumField() {
			if el.Field(i).Type() == reflect.TypeOf(a) {
				el.Field(i).Set(reflect.ValueOf(a))
			}
		}
	}
	// A nested action with no keys of its own is an empty mapping:
	// crash: {}.
	return e.structNode(sv.Elem(), path)
}

// absExec makes the exec program, when it is a path, and every argument
// that names an existing file beside the scenario absolute.
func (e *encoder) absExec(argv []string) []string {
	if len(argv) == 0 || e.dir == "" || e.dir == "." {
		return argv
	}
	out := slices.Clone(argv)
	if strings.Contains(out[0], "/") && !filepath.IsAbs(out[0]) {
		out[0] = filepath.Join(e.dir, out[0])
	}
	for i := 1; i < len(out); i++ {
		a := out[i]
		if a == "" || filepath.IsAbs(a) || strings.HasPrefix(a, "-") {
			continue
		}
		if _, err := os.Stat(filepath.Join(e.dir, a)); err == nil {
			out[i] = filepath.Join(e.dir, a)
		}
	}
	return out
}

// cmpNode writes a comparison; bare is the operator a bare value means
// where it is written (== for a comparison, <= under a key called max).
func cmpNode(c Cmp, bare string) *node {
	op := c.Op
	if op == "" {
		op = OpEQ
	}
	val := strconv.FormatInt(c.N, 10)
	if c.IsDuration {
		val = FormatDuration(c.D)
	}
	if op == bare {
		return leaf(val)
	}
	return quoted(op + val)
}

// freeform writes the free-form value of a stub route's json: maps,
// lists, strings, numbers, booleans and null.
func freeform(x any) (*node, error) {
	switch v := x.(type) {
	case nil:
		return leaf("null"), nil
	case map[string]any:
		n := &node{}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := freeform(v[k])
			if err != nil {
				return nil, err
			}
			n.add(k, c)
		}
		return n, nil
	case []any:
		n := &node{list: true}
		for _, item := range v {
			c, err := freeform(item)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	case string:
		return scalarString(v), nil
	case bool:
		return leaf(strconv.FormatBool(v)), nil
	case int64:
		return leaf(strconv.FormatInt(v, 10)), nil
	case uint64:
		return leaf(strconv.FormatUint(v, 10)), nil
	case int:
		return leaf(strconv.Itoa(v)), nil
	case float64:
		return leaf(formatFloat(v)), nil
	}
	return nil, fmt.Errorf("cannot write %T in a route's json", x)
}

// formatFloat writes a float so that it reads back as a float (3.0, not 3).
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// FormatDuration writes a duration as people write them: 2s, 1m, 24h,
// 1m30s, 250ms (not 1m0s or 24h0m0s).
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var (
	plainRE      = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./@+-]*$`)
	plainBlockRE = regexp.MustCompile(`^[A-Za-z/][A-Za-z0-9 _./@+,;()'-]*[A-Za-z0-9_/)'.-]$`)
)

// quote writes a string plain when YAML reads it back as that string in
// any context (block or flow), else double-quoted.
func quote(s string) string {
	if plainRE.MatchString(s) && !reserved(s) {
		return s
	}
	// Go's quoting uses only escapes that YAML double-quoted scalars
	// share (\" \\ \n \t \xNN \uNNNN ...).
	return strconv.Quote(s)
}

// quoteBlock is quote for a value in block context, where spaces,
// commas and the like may go unquoted too.
func quoteBlock(s string) string {
	if plainBlockRE.MatchString(s) && !reserved(s) {
		return s
	}
	return quote(s)
}

// quoteKey is quote for a mapping key: keys the loader takes as strings
// (on, yes, ...) stay plain, as people write them.
func quoteKey(s string) string {
	if plainRE.MatchString(s) && !reservedKey(s) {
		return s
	}
	return strconv.Quote(s)
}

func reserved(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "no", "on", "off", "y", "n":
		return true
	}
	return reservedKey(s)
}

func reservedKey(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "null", "~":
		return true
	}
	return false
}

// flowWidth is the line length up to which a mapping or list is written
// in flow style.
const flowWidth = 100

// blockPath reports the mappings always written in block style: the
// sections of a scenario file and their entries.
func blockPath(path string) bool {
	switch path {
	case "", "targets", "workload", "faults", "faults[]", "expect":
		return true
	}
	return strings.HasPrefix(path, "targets.") && strings.Count(path, ".") == 1
}

// flow renders n in flow style.
func (n *node) flow() string {
	switch {
	case n.leaf:
		return n.scalar
	case n.list:
		parts := make([]string, len(n.items))
		for i, it := range n.items {
			parts[i] = it.flow()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	parts := make([]string, len(n.keys))
	for i, k := range n.keys {
		parts[i] = quoteKey(k) + ": " + n.vals[i].flow()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// block writes the mapping or list n at indent; path is n's path for
// blockPath ("[]" for list items).
func (n *node) block(b *strings.Builder, indent int, path string) {
	pad := strings.Repeat(" ", indent)
	if n.list {
		for _, it := range n.items {
			ip := path + "[]"
			if it.leaf {
				fmt.Fprintf(b, "%s- %s\n", pad, it.text())
				continue
			}
			if (!blockPath(ip) && len(pad)+2+len(it.flow()) <= flowWidth) || it.empty() {
				fmt.Fprintf(b, "%s- %s\n", pad, it.flow())
				continue
			}
			if it.list {
				fmt.Fprintf(b, "%s-\n", pad)
				it.block(b, indent+2, ip)
				continue
			}
			// The first key on the dash's line, the rest below it.
			var sub strings.Builder
			it.block(&sub, indent+2, ip)
			fmt.Fprintf(b, "%s- %s", pad, strings.TrimPrefix(sub.String(), pad+"  "))
		}
		return
	}
	for i, k := range n.keys {
		v := n.vals[i]
		cp := k
		if path != "" {
			cp = path + "." + k
		}
		line := pad + quoteKey(k) + ":"
		if v.leaf {
			fmt.Fprintf(b, "%s %s\n", line, v.text())
			continue
		}
		if v.empty() || (!blockPath(cp) && !v.listOfMappings() && len(line)+1+len(v.flow()) <= flowWidth) {
			fmt.Fprintf(b, "%s %s\n", line, v.flow())
			continue
		}
		fmt.Fprintf(b, "%s\n", line)
		v.block(b, indent+2, cp)
	}
}

// listOfMappings reports a list of mappings, which reads best one per
// line.
func (n *node) listOfMappings() bool {
	return n.list && len(n.items) > 0 && !n.items[0].leaf && !n.items[0].list
}

func (n *node) empty() bool { return !n.leaf && len(n.keys) == 0 && len(n.items) == 0 }
