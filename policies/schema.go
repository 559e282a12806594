package policies

import (
	_ "embed"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
)

// policySource is policy.go itself: its doc comments become the schema's
// descriptions, so editors show them on hover.
//
//go:embed policy.go
var policySource []byte

// SchemaID is the $id of the policy file's JSON Schema.
const SchemaID = "https://gameday.dev/schemas/policy.schema.json"

// durationPattern matches a Go duration string ("250ms", "1m30s", "0").
const durationPattern = `^(0|-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`

// JSONSchema returns the JSON Schema (draft 2020-12) of the policy file,
// generated from the Go types: durations are Go duration strings, enums are
// listed, unknown keys are rejected. policies/policy.schema.json is a
// committed copy, tested to be equal.
func JSONSchema() ([]byte, error) {
	comments := docComments()
	r := &jsonschema.Reflector{
		Mapper: schemaOf,
		LookupComment: func(t reflect.Type, field string) string {
			if t.PkgPath() != reflect.TypeFor[Policy]().PkgPath() {
				return ""
			}
			if field == "" {
				return comments[t.Name()]
			}
			return comments[t.Name()+"."+field]
		},
	}
	s := r.Reflect(&Policy{})
	s.ID = SchemaID
	s.Title = "gameday policy"
	s.Description = "A gameday policy file: retry, classification, circuit breaker, idempotency and alerting (policies/*.yaml)."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func enum[T ~string](desc string, vs ...T) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string", Description: desc}
	for _, v := range vs {
		s.Enum = append(s.Enum, string(v))
	}
	return s
}

func schemaOf(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern,
			Description: `A Go duration, e.g. "250ms", "2s", "6m".`}
	case reflect.TypeFor[Jitter]():
		return enum("Jitter formula.", jitters...)
	case reflect.TypeFor[Severity]():
		return enum("Alert severity.", severities...)
	case reflect.TypeFor[ErrorKind]():
		return enum("Network error kind.", errorKinds...)
	}
	return nil
}

// docComments maps "Type" and "Type.Field" of policy.go to their doc
// comments, as single lines.
func docComments() map[string]string {
	out := map[string]string{}
	f, err := parser.ParseFile(token.NewFileSet(), "policy.go", policySource, parser.ParseComments)
	if err != nil {
		return out
	}
	text := func(g *ast.CommentGroup) string {
		return strings.Join(strings.Fields(g.Text()), " ")
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			if doc := ts.Doc; doc != nil {
				out[ts.Name.Name] = text(doc)
			} else if gd.Doc != nil && len(gd.Specs) == 1 {
				out[ts.Name.Name] = text(gd.Doc)
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, fld := range st.Fields.List {
				if fld.Doc == nil {
					continue
				}
				for _, n := range fld.Names {
					out[ts.Name.Name+"."+n.Name] = text(fld.Doc)
				}
			}
		}
	}
	return out
}
