// Package strictyaml decodes YAML into Go values strictly and with positions.
//
// It parses with goccy/go-yaml and decodes the syntax tree by reflection
// itself, so that every problem of a file is reported, not only the first:
// unknown keys (with a did-you-mean hint), wrong types, bad durations,
// duplicate keys, tabs in indentation, empty files and syntax errors all come
// back as positioned Errors.
//
//	var cfg Config
//	doc, errs := strictyaml.Decode("cfg.yaml", data, &cfg)
//	if len(errs) == 0 && cfg.Limit < 0 {
//		errs = append(errs, doc.Errorf("limit", "must not be negative"))
//	}
//	return errs.Err()
//
// Mapping rules:
//   - struct fields by their `yaml:"name"` tag (fields without a tag or with
//     `yaml:"-"` are skipped); the option `yaml:"name,required"` reports a
//     missing key; keys not among the fields are errors;
//   - pointers are optional values: nil when the key is absent; an explicit
//     null gives nil too, except for pointers to structs, maps and slices,
//     which get an empty value (so `crash:` means `crash: {}`);
//   - time.Duration from a Go duration string ("250ms", "2s"); a bare 0 is
//     allowed;
//   - types implementing Unmarshaler decode themselves (unions such as "a
//     scalar or a list"); types implementing encoding.TextUnmarshaler get the
//     text of a scalar;
//   - `any` receives free-form data: map[string]any, []any, string, int64,
//     uint64, float64, bool or nil;
//   - map[string]T from mappings, []T from sequences;
//   - strings accept integer and float scalars as their text, but not
//     booleans (quote them).
//
// Decode never panics; anchors and aliases are resolved, with a budget that
// stops alias bombs. A leading UTF-8 byte order mark is ignored. A document
// nested more than MaxNesting levels deep is refused before the parser
// runs (the parser's cost grows faster than the depth).
package strictyaml

import (
	"bytes"
	"encoding"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// Unmarshaler is implemented by types that decode themselves from a node,
// typically unions written either as a scalar or as a mapping. n has anchors,
// aliases and tags resolved. The returned error, if any, is reported at n's
// position, prefixed with the path; further errors can be added with
// d.Errorf. Nested values should be decoded with d.Decode, d.DecodeKey or
// d.DecodeIndex so that their positions are recorded.
type Unmarshaler interface {
	UnmarshalStrictYAML(d *Decoder, n ast.Node) error
}

// Pos is a 1-based line and column; the zero Pos means "unknown".
type Pos struct{ Line, Col int }

// Doc is what Decode learnt about a file: its name and the position of every
// decoded value, by path. Paths are written as in "faults[1].action.status"
// or "targets.storage.kind"; the root is "".
type Doc struct {
	File string
	pos  map[string]Pos
}

// Pos returns the position of the value at path: a scalar's own position,
// or the key's position for a mapping or sequence value. When the path was
// not decoded (an absent key) it falls back to the nearest recorded parent.
func (d *Doc) Pos(path string) Pos {
	if d == nil {
		return Pos{}
	}
	for {
		if p, ok := d.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
		path = Parent(path)
	}
}

// Has reports whether a value was present at path.
func (d *Doc) Has(path string) bool {
	if d == nil {
		return false
	}
	_, ok := d.pos[path]
	return ok
}

// Keys returns the keys of the mapping at path that were decoded, in file
// order ("" for the root mapping).
func (d *Doc) Keys(path string) []string {
	if d == nil {
		return nil
	}
	prefix := path + "."
	if path == "" {
		prefix = ""
	}
	type kp struct {
		key string
		pos Pos
	}
	var ks []kp
	for p, pos := range d.pos {
		if !strings.HasPrefix(p, prefix) || p == path {
			continue
		}
		rest := p[len(prefix):]
		if rest == "" || strings.ContainsAny(rest, ".[") {
			continue
		}
		ks = append(ks, kp{rest, pos})
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].pos.Line != ks[j].pos.Line {
			return ks[i].pos.Line < ks[j].pos.Line
		}
		return ks[i].pos.Col < ks[j].pos.Col
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.key
	}
	return out
}

// Errorf returns an error positioned at path (see Pos). The message is used
// as given; callers usually start it with the key it concerns.
func (d *Doc) Errorf(path, format string, args ...any) *Error {
	p := d.Pos(path)
	file := ""
	if d != nil {
		file = d.File
	}
	return &Error{File: file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...), Path: path}
}

// Parent returns the path of the value containing path's value:
// "a.b[2]" → "a.b", "a.b" → "a", "a" → "".
func Parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// Join returns the path of key inside the value at path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of item i of the sequence at path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

const (
	maxNodes = 200_000 // decoded nodes per document, aliases expanded
	maxDepth = 200
)

// Decoder carries the state of one Decode call. Unmarshaler implementations
// receive it to decode nested values and report errors.
type Decoder struct {
	doc     *Doc
	errs    Errors
	path    string
	anchors map[string]ast.Node
	nodes   int
	depth   int
	stopped bool
}

// Path returns the path of the value being decoded.
func (d *Decoder) Path() string { return d.path }

// Doc returns the document being decoded.
func (d *Decoder) Doc() *Doc { return d.doc }

// Errorf records an error at n's position, prefixed with the current path.
func (d *Decoder) Errorf(n ast.Node, format string, args ...any) {
	d.errorAt(d.path, n, fmt.Sprintf(format, args...))
}

func (d *Decoder) errorAt(path string, n ast.Node, msg string) {
	p := nodePos(n)
	if p.Line == 0 {
		p = d.doc.Pos(path)
	}
	if path != "" {
		msg = path + ": " + msg
	}
	d.errs = append(d.errs, &Error{File: d.doc.File, Line: p.Line, Col: p.Col, Msg: msg, Path: path})
}

// Decode decodes n into v (a non-nil pointer) at the current path. It
// reports whether no error was added.
func (d *Decoder) Decode(n ast.Node, v any) bool {
	return d.decodeAt(d.path, n, v)
}

// DecodeKey decodes n, the value of key in the current mapping, into v.
func (d *Decoder) DecodeKey(key string, n ast.Node, v any) bool {
	return d.decodeAt(Join(d.path, key), n, v)
}

// DecodeIndex decodes n, item i of the current sequence, into v.
func (d *Decoder) DecodeIndex(i int, n ast.Node, v any) bool {
	return d.decodeAt(Index(d.path, i), n, v)
}

func (d *Decoder) decodeAt(path string, n ast.Node, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		d.errorAt(path, n, fmt.Sprintf("internal error: cannot decode into %T", v))
		return false
	}
	before := len(d.errs)
	d.decode(path, n, rv.Elem())
	return len(d.errs) == before
}

// Entry is one key/value pair of a mapping, in file order.
type Entry struct {
	Key   string
	KeyN  ast.Node
	Value ast.Node
}

// Entries returns the pairs of mapping n in file order, reporting (and
// leaving out) duplicate, null and non-scalar keys, and merge keys. It
// records the position of each key under the current path.
func (d *Decoder) Entries(n ast.Node) []Entry {
	return d.entries(d.path, n)
}

func (d *Decoder) entries(path string, n ast.Node) []Entry {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		return nil
	}
	seen := map[string]ast.Node{}
	out := make([]Entry, 0, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			d.errorAt(path, mv.Key, "merge keys (<<) are not supported")
			continue
		}
		kn := d.resolve(path, mv.Key)
		key, ok := scalarText(kn)
		if !ok {
			d.errorAt(path, mv.Key, fmt.Sprintf("keys must be strings, got %s", describe(kn)))
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorAt(path, mv.Key, fmt.Sprintf("duplicate key %q (first at line %d)", key, nodePos(first).Line))
			continue
		}
		seen[key] = mv.Key
		val := mv.Value
		out = append(out, Entry{Key: key, KeyN: mv.Key, Value: val})
	}
	return out
}

// Decode parses data, the contents of file, and decodes its single YAML
// document into v, a non-nil pointer. It returns the document's positions
// and every error found. The Doc is non-nil even when there are errors.
func Decode(file string, data []byte, v any) (*Doc, Errors) {
	doc := &Doc{File: file, pos: map[string]Pos{}}
	body, errs := parse(file, data)
	if len(errs) > 0 {
		return doc, errs
	}
	d := &Decoder{doc: doc, anchors: map[string]ast.Node{}}
	func() {
		defer func() {
			if r := recover(); r != nil {
				d.errs = append(d.errs, &Error{File: file, Msg: fmt.Sprintf("internal error while decoding: %v", r)})
			}
		}()
		d.decodeAt("", body, v)
	}()
	return doc, d.errs.Sorted()
}

// Node parses data and returns the root node of its single document, for
// callers that need the raw tree (e.g. to convert it to JSON).
func Node(file string, data []byte) (ast.Node, Errors) {
	return parse(file, data)
}

// bom is the UTF-8 byte order mark, which some editors write at the start
// of a file; it is not part of the document.
var bom = []byte("\xef\xbb\xbf")

func parse(file string, data []byte) (body ast.Node, errs Errors) {
	data = bytes.TrimPrefix(data, bom)
	// The parser's cost grows faster than the nesting depth: bound the
	// depth before it runs.
	if e := scanNesting(file, data); e != nil {
		return nil, Errors{e}
	}
	var f *ast.File
	var err error
	var deep *Error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("yaml parser failed: %v", r)
			}
		}()
		tokens := lexer.Tokenize(string(data))
		if deep = tokenNesting(file, tokens); deep != nil {
			return
		}
		f, err = parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	}()
	if deep != nil {
		return nil, Errors{deep}
	}
	if err != nil {
		if tabs := tabErrors(file, data); len(tabs) > 0 {
			return nil, tabs
		}
		e := &Error{File: file, Msg: err.Error()}
		if ye, ok := err.(yaml.Error); ok {
			e.Msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				e.Line, e.Col = tk.Position.Line, tk.Position.Column
			}
		}
		e.Msg = "yaml: " + firstLine(e.Msg)
		return nil, Errors{e}
	}
	var docs []*ast.DocumentNode
	for _, dn := range f.Docs {
		if dn != nil && dn.Body != nil {
			docs = append(docs, dn)
		}
	}
	if len(docs) == 0 {
		return nil, Errors{{File: file, Msg: "empty file"}}
	}
	if len(docs) > 1 {
		p := nodePos(docs[1].Body)
		return nil, Errors{{File: file, Line: p.Line, Col: p.Col, Msg: "only one YAML document is allowed per file"}}
	}
	return docs[0].Body, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// tabErrors reports every line whose indentation contains a tab.
func tabErrors(file string, data []byte) Errors {
	var errs Errors
	for i, line := range strings.Split(string(data), "\n") {
		for col, c := range line {
			if c == '\t' {
				errs = append(errs, &Error{File: file, Line: i + 1, Col: col + 1, Msg: "tab character in indentation; YAML indents with spaces"})
				break
			}
			if c != ' ' {
				break
			}
		}
	}
	return errs
}

// nodePos returns where n starts: for a block mapping its first key, for a
// key/value pair its key.
func nodePos(n ast.Node) Pos {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return Pos{}
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return nodePos(m.Values[0])
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return nodePos(m.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

// resolve strips anchors, aliases, tags and comments from n.
func (d *Decoder) resolve(path string, n ast.Node) ast.Node {
	for range 64 {
		if n == nil || reflect.ValueOf(n).IsNil() {
			return nil
		}
		switch t := n.(type) {
		case *ast.AnchorNode:
			if name, ok := scalarText(t.Name); ok {
				d.anchors[name] = t.Value
			}
			n = t.Value
		case *ast.AliasNode:
			name, _ := scalarText(t.Value)
			target, ok := d.anchors[name]
			if !ok {
				d.errorAt(path, n, fmt.Sprintf("unknown alias %q", name))
				return nil
			}
			n = target
		case *ast.TagNode:
			n = t.Value
		case *ast.CommentGroupNode, *ast.CommentNode:
			return nil
		default:
			return n
		}
	}
	return nil
}

// Resolve returns n without anchors, aliases and tags; nil for a null or
// unresolvable node.
func (d *Decoder) Resolve(n ast.Node) ast.Node {
	n = d.resolve(d.path, n)
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	return n
}

// ScalarText returns the text of a scalar node (string, number or boolean),
// and false for mappings, sequences and null.
func ScalarText(n ast.Node) (string, bool) { return scalarText(n) }

func scalarText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk := n.GetToken()
		if tk == nil {
			return "", false
		}
		return tk.Value, true
	}
	return "", false
}

// Kind names the kind of a resolved node: "mapping", "list", "string",
// "integer", "number", "boolean" or "null".
func Kind(n ast.Node) string {
	switch n.(type) {
	case nil:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	case *ast.StringNode, *ast.LiteralNode:
		return "string"
	case *ast.IntegerNode:
		return "integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "number"
	case *ast.BoolNode:
		return "boolean"
	case *ast.NullNode:
		return "null"
	}
	return "value"
}

// Describe names n for an error message: `string "x"`, `integer 5`, `a
// mapping`, `a list`, `null`.
func Describe(n ast.Node) string { return describe(n) }

func describe(n ast.Node) string {
	k := Kind(n)
	switch k {
	case "mapping", "list":
		return "a " + k
	case "null", "value":
		return k
	case "string":
		s, _ := scalarText(n)
		if len(s) > 40 {
			s = s[:37] + "..."
		}
		return fmt.Sprintf("string %q", s)
	}
	s, _ := scalarText(n)
	return k + " " + s
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *Decoder) spend() bool {
	if d.stopped {
		return false
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.stopped = true
		d.errs = append(d.errs, &Error{File: d.doc.File, Msg: "document too large (too many nodes once aliases are expanded)"})
		return false
	}
	return true
}

func (d *Decoder) record(path string, n ast.Node, overwrite bool) {
	if _, ok := d.doc.pos[path]; ok && !overwrite {
		return
	}
	if p := nodePos(n); p.Line > 0 {
		d.doc.pos[path] = p
	}
}

func (d *Decoder) decode(path string, n ast.Node, v reflect.Value) {
	if !d.spend() {
		return
	}
	if d.depth >= maxDepth {
		d.errorAt(path, n, "nested too deeply")
		return
	}
	d.depth++
	defer func() { d.depth-- }()

	raw := n
	n = d.resolve(path, n)
	if _, null := n.(*ast.NullNode); null {
		n = nil
	}
	if n == nil {
		d.record(path, raw, false)
	} else {
		_, isScalar := scalarText(n)
		d.record(path, n, isScalar)
	}

	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if n == nil {
			switch t.Elem().Kind() {
			case reflect.Struct, reflect.Map, reflect.Slice:
				nv := reflect.New(t.Elem())
				d.decodeResolved(path, nil, nv.Elem())
				v.Set(nv)
			default:
				v.SetZero()
			}
			return
		}
		nv := reflect.New(t.Elem())
		d.decodeResolved(path, n, nv.Elem())
		v.Set(nv)
		return
	}
	d.decodeResolved(path, n, v)
}

// decodeResolved decodes resolved node n (nil for null) into v.
func (d *Decoder) decodeResolved(path string, n ast.Node, v reflect.Value) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		d.decode(path, n, v)
		return
	}
	if v.CanAddr() && reflect.PointerTo(t).Implements(unmarshalerType) {
		u := v.Addr().Interface().(Unmarshaler)
		saved := d.path
		d.path = path
		err := u.UnmarshalStrictYAML(d, n)
		d.path = saved
		if err != nil {
			d.errorAt(path, n, err.Error())
		}
		return
	}
	if n == nil {
		v.SetZero()
		if t.Kind() == reflect.Struct {
			// null is an empty mapping: its required keys are missing.
			for _, name := range structInfo(t).required {
				d.errorAt(path, nil, fmt.Sprintf("missing required key %q", name))
			}
		}
		return
	}
	if t == durationType {
		d.decodeDuration(path, n, v)
		return
	}
	if v.CanAddr() && reflect.PointerTo(t).Implements(textType) {
		s, ok := scalarText(n)
		if !ok {
			d.errorAt(path, n, fmt.Sprintf("expected a scalar, got %s", describe(n)))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.errorAt(path, n, err.Error())
		}
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.errorAt(path, n, fmt.Sprintf("internal error: cannot decode into %s", t))
			return
		}
		if f := d.freeform(path, n); f != nil {
			v.Set(reflect.ValueOf(f))
		}
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Map:
		d.decodeMap(path, n, v)
	case reflect.Slice:
		d.decodeSlice(path, n, v)
	case reflect.String:
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode:
			s, _ := scalarText(n)
			v.SetString(s)
		default:
			d.errorAt(path, n, fmt.Sprintf("expected a string, got %s", describe(n)))
		}
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.errorAt(path, n, fmt.Sprintf("expected true or false, got %s", describe(n)))
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := n.(*ast.IntegerNode)
		if !ok {
			d.errorAt(path, n, fmt.Sprintf("expected an integer, got %s", describe(n)))
			return
		}
		var x int64
		switch iv := i.Value.(type) {
		case int64:
			x = iv
		case uint64:
			if iv > math.MaxInt64 {
				d.errorAt(path, n, fmt.Sprintf("integer %d is too large", iv))
				return
			}
			x = int64(iv)
		}
		if v.OverflowInt(x) {
			d.errorAt(path, n, fmt.Sprintf("integer %d is out of range", x))
			return
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := n.(*ast.IntegerNode)
		if !ok {
			d.errorAt(path, n, fmt.Sprintf("expected a non-negative integer, got %s", describe(n)))
			return
		}
		var x uint64
		switch iv := i.Value.(type) {
		case int64:
			if iv < 0 {
				d.errorAt(path, n, fmt.Sprintf("expected a non-negative integer, got %d", iv))
				return
			}
			x = uint64(iv)
		case uint64:
			x = iv
		}
		if v.OverflowUint(x) {
			d.errorAt(path, n, fmt.Sprintf("integer %d is out of range", x))
			return
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch iv := x.Value.(type) {
			case int64:
				f = float64(iv)
			case uint64:
				f = float64(iv)
			}
		case *ast.FloatNode:
			f = x.Value
		default:
			d.errorAt(path, n, fmt.Sprintf("expected a number, got %s", describe(n)))
			return
		}
		v.SetFloat(f)
	default:
		d.errorAt(path, n, fmt.Sprintf("internal error: cannot decode into %s", t))
	}
}

func (d *Decoder) decodeDuration(path string, n ast.Node, v reflect.Value) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		if s, _ := scalarText(x); s == "0" {
			v.SetInt(0)
			return
		}
		s, _ := scalarText(x)
		d.errorAt(path, n, fmt.Sprintf("duration %s needs a unit, e.g. %sms or %ss", s, s, s))
		return
	case *ast.StringNode:
		dur, err := ParseDuration(x.Value)
		if err != nil {
			d.errorAt(path, n, err.Error())
			return
		}
		v.SetInt(int64(dur))
		return
	}
	d.errorAt(path, n, fmt.Sprintf("expected a duration such as \"250ms\", \"2s\" or \"6m\", got %s", describe(n)))
}

// ParseDuration parses a Go duration ("250ms", "1m30s"; "0" is allowed) with
// an error message fit for a user.
func ParseDuration(s string) (time.Duration, error) {
	dur, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a Go duration such as \"250ms\", \"2s\" or \"6m\"", s)
	}
	return dur, nil
}

func (d *Decoder) decodeStruct(path string, n ast.Node, v reflect.Value) {
	if Kind(n) != "mapping" {
		d.errorAt(path, n, fmt.Sprintf("expected a mapping, got %s", describe(n)))
		return
	}
	info := structInfo(v.Type())
	seen := map[string]bool{}
	for _, e := range d.entries(path, n) {
		idx, ok := info.byName[e.Key]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", e.Key)
			if s := suggest(e.Key, info.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorAt(path, e.KeyN, msg)
			d.errs[len(d.errs)-1].Path = Join(path, e.Key)
			continue
		}
		seen[e.Key] = true
		child := Join(path, e.Key)
		d.record(child, e.KeyN, false)
		d.decode(child, e.Value, v.Field(idx))
	}
	for _, name := range info.required {
		if !seen[name] {
			d.errorAt(path, n, fmt.Sprintf("missing required key %q", name))
		}
	}
}

func (d *Decoder) decodeMap(path string, n ast.Node, v reflect.Value) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorAt(path, n, fmt.Sprintf("internal error: cannot decode into %s", t))
		return
	}
	if Kind(n) != "mapping" {
		d.errorAt(path, n, fmt.Sprintf("expected a mapping, got %s", describe(n)))
		return
	}
	m := reflect.MakeMap(t)
	for _, e := range d.entries(path, n) {
		child := Join(path, e.Key)
		d.record(child, e.KeyN, false)
		ev := reflect.New(t.Elem()).Elem()
		d.decode(child, e.Value, ev)
		m.SetMapIndex(reflect.ValueOf(e.Key).Convert(t.Key()), ev)
	}
	v.Set(m)
}

func (d *Decoder) decodeSlice(path string, n ast.Node, v reflect.Value) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorAt(path, n, fmt.Sprintf("expected a list, got %s", describe(n)))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		d.decode(Index(path, i), item, s.Index(i))
	}
	v.Set(s)
}

func (d *Decoder) freeform(path string, n ast.Node) any {
	if !d.spend() {
		return nil
	}
	if d.depth >= maxDepth {
		d.errorAt(path, n, "nested too deeply")
		return nil
	}
	d.depth++
	defer func() { d.depth-- }()
	n = d.resolve(path, n)
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode, *ast.MappingValueNode:
		m := map[string]any{}
		for _, e := range d.entries(path, n) {
			child := Join(path, e.Key)
			d.record(child, e.KeyN, false)
			m[e.Key] = d.freeform(child, e.Value)
		}
		return m
	case *ast.SequenceNode:
		out := make([]any, len(x.Values))
		for i, item := range x.Values {
			out[i] = d.freeform(Index(path, i), item)
		}
		return out
	case *ast.IntegerNode:
		return x.Value
	case *ast.FloatNode:
		return x.Value
	case *ast.InfinityNode:
		return x.Value
	case *ast.NanNode:
		return math.NaN()
	case *ast.BoolNode:
		return x.Value
	}
	s, _ := scalarText(n)
	return s
}

type fields struct {
	byName   map[string]int
	names    []string
	required []string
}

var fieldCache sync.Map // reflect.Type → *fields

func structInfo(t reflect.Type) *fields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*fields)
	}
	f := &fields{byName: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("yaml")
		if !ok || !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || name == "" {
			continue
		}
		f.byName[name] = i
		f.names = append(f.names, name)
		for _, o := range strings.Split(opts, ",") {
			if o == "required" {
				f.required = append(f.required, name)
			}
		}
	}
	fieldCache.Store(t, f)
	return f
}

// Suggest returns the candidate closest to s when it is close enough to be a
// likely typo, else "".
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

func suggest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range candidates {
		if dist := levenshtein(strings.ToLower(s), c); dist < bestD {
			best, bestD = c, dist
		}
	}
	limit := 2
	if len(s) <= 4 {
		limit = 1
	}
	if bestD <= limit || (bestD <= 3 && len(s) >= 9) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
