package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the scenario file's JSON Schema.
const SchemaID = "https://gameday.dev/schemas/scenario.schema.json"

// durationPattern matches a Go duration string ("250ms", "1m30s", "0").
const durationPattern = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`

// sizePattern matches a size with a unit ("4MiB", "512 KiB", "1000").
const sizePattern = `^\s*[0-9]+\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$`

// cmpPattern matches a comparison string: an optional operator, then a
// count or a duration.
const cmpPattern = `^\s*(<=|>=|==|<|>)?\s*([0-9]+|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)\s*$`

// JSONSchema returns the JSON Schema (draft 2020-12) of the scenario file,
// generated from the Go types. Durations, sizes, comparisons and the union
// shapes (a method or a list, a comparison or its long form, ...) are
// described as written in YAML; unknown keys are rejected. The schema checks
// shapes; cross-field rules (targets that exist, after < until, ...) are
// LoadFile's. scenarios/scenario.schema.json is a committed copy, tested to
// be equal.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{Mapper: schemaOf}
	s := r.Reflect(&Scenario{})
	// Targets and Action are written differently from their Go shape;
	// their definitions come from the YAML shapes.
	extras := r.Reflect(&schemaExtras{})
	for name, def := range extras.Definitions {
		if name == "schemaExtras" {
			continue
		}
		s.Definitions[name] = def
	}
	s.Definitions["Action"] = actionSchema(r, s.Definitions)
	s.ID = SchemaID
	s.Title = "gameday scenario"
	s.Description = "A gameday scenario file: targets, workload, faults and expectations (docs/scenarios.md)."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal scenario schema: %w", err)
	}
	return append(out, '\n'), nil
}

// schemaExtras pulls the YAML-shaped types into the schema's definitions.
type schemaExtras struct {
	Target *Target `json:"target"`
}

// actionSchema is the Action definition: one alternative per action of the
// closed set (injectors.Actions), each the schema of the action's own YAML
// shape, requiring its key and no other action's.
func actionSchema(r *jsonschema.Reflector, defs jsonschema.Definitions) *jsonschema.Schema {
	def := &jsonschema.Schema{Description: "Exactly one action: " + strings.Join(injectors.ActionKinds(), ", ") + "; status takes s3_code, body, headers and retry_after too."}
	for _, a := range injectors.Actions() {
		shape, _ := injectors.YAMLShape(a)
		alt := r.ReflectFromType(reflect.TypeOf(shape).Elem())
		for name, d := range alt.Definitions {
			defs[name] = d
		}
		alt.Definitions, alt.Version, alt.ID = nil, "", ""
		if alt.Ref != "" {
			name := strings.TrimPrefix(alt.Ref, "#/$defs/")
			alt = defs[name]
			delete(defs, name)
		}
		alt.Required = []string{a.Kind()}
		alt.Title = a.Kind()
		def.OneOf = append(def.OneOf, alt)
	}
	return def
}

func ref(name string) *jsonschema.Schema { return &jsonschema.Schema{Ref: "#/$defs/" + name} }

func anyOf(desc string, alts ...*jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{Description: desc, AnyOf: alts}
}

func object(props map[string]*jsonschema.Schema, order []string, required ...string) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "object", Properties: jsonschema.NewProperties(), AdditionalProperties: jsonschema.FalseSchema, Required: required}
	for _, k := range order {
		s.Properties.Set(k, props[k])
	}
	return s
}

func durationSchema() *jsonschema.Schema {
	return anyOf(`A Go duration, e.g. "250ms", "2s", "6m"; a bare 0 is allowed.`,
		&jsonschema.Schema{Type: "string", Pattern: durationPattern},
		&jsonschema.Schema{Const: 0})
}

func cmpSchema() *jsonschema.Schema {
	return anyOf(`A comparison: a number or duration (meaning ==), or a string "<=3", ">=1", "<10s", "==0", ">2".`,
		&jsonschema.Schema{Type: "integer", Minimum: json.Number("0")},
		&jsonschema.Schema{Type: "string", Pattern: cmpPattern})
}

func atMostSchema() *jsonschema.Schema {
	return anyOf(`An upper bound: a bare number means at most that many ("<="); a comparison string "==3", ">=1", "<5" is taken as written.`,
		&jsonschema.Schema{Type: "integer", Minimum: json.Number("0")},
		&jsonschema.Schema{Type: "string", Pattern: cmpPattern})
}

func targetName() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: "^[a-z0-9-]+$", Description: "A target name."}
}

func statusSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "integer", Minimum: json.Number("100"), Maximum: json.Number("599")}
}

func schemaOf(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return durationSchema()
	case reflect.TypeFor[Size]():
		return anyOf("A size in bytes: an integer, or a number with B, KiB, MiB, GiB, KB, MB or GB (e.g. 4MiB).",
			&jsonschema.Schema{Type: "integer", Minimum: json.Number("0")},
			&jsonschema.Schema{Type: "string", Pattern: sizePattern})
	case reflect.TypeFor[Cmp]():
		return cmpSchema()
	case reflect.TypeFor[AtMost]():
		return atMostSchema()
	case reflect.TypeFor[RetryAfter]():
		return anyOf(`A Retry-After value: a duration (sent as whole seconds) or an HTTP-date.`,
			&jsonschema.Schema{Type: "string", MinLength: ptr(uint64(1))},
			&jsonschema.Schema{Const: 0})
	case reflect.TypeFor[Methods]():
		method := &jsonschema.Schema{Type: "string", Pattern: "^[A-Za-z]+$"}
		return anyOf("One HTTP method or a list of them.",
			method, &jsonschema.Schema{Type: "array", Items: method})
	case reflect.TypeFor[StatusList]():
		return anyOf("One HTTP status or a list of them.",
			statusSchema(), &jsonschema.Schema{Type: "array", Items: statusSchema(), MinItems: ptr(uint64(1))})
	case reflect.TypeFor[TargetCmp]():
		return anyOf(`A count comparison (a bare number means ==), or the long form {target: NAME, max: 5} (a bare number under max means <=).`,
			cmpSchema(),
			object(map[string]*jsonschema.Schema{"target": targetName(), "max": atMostSchema()}, []string{"target", "max"}, "max"))
	case reflect.TypeFor[RetryAfterHonored]():
		return anyOf("true or false, or the long form {target: NAME, honored: true}.",
			&jsonschema.Schema{Type: "boolean"},
			object(map[string]*jsonschema.Schema{"target": targetName(), "honored": {Type: "boolean"}}, []string{"target", "honored"}, "honored"))
	case reflect.TypeFor[Targets]():
		return &jsonschema.Schema{
			Type:                 "object",
			Description:          "Targets by name, in file order. Names: [a-z0-9-]; workload is reserved.",
			PropertyNames:        targetName(),
			AdditionalProperties: ref("Target"),
			MinProperties:        ptr(uint64(1)),
		}
	case reflect.TypeFor[Action]():
		return ref("Action")
	case reflect.TypeFor[Matrix]():
		value := anyOf("A value (numbers are taken as their text).", &jsonschema.Schema{Type: "string"}, &jsonschema.Schema{Type: "number"})
		return &jsonschema.Schema{
			Type: "object",
			Description: "One scenario per combination of values, named <name>[VAR=value,...] (keys in file order): " +
				"a workload environment variable, or policy (policy files, relative to this file), and its values.",
			PropertyNames:        &jsonschema.Schema{Type: "string", Pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},
			AdditionalProperties: &jsonschema.Schema{Type: "array", Items: value, MinItems: ptr(uint64(1)), UniqueItems: true},
			MinProperties:        ptr(uint64(1)),
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
