package policies

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the policy file's JSON Schema.
const SchemaID = "https://gameday.dev/schemas/policy.schema.json"

// durationPattern matches a Go duration string ("250ms", "1m30s", "0").
const durationPattern = `^(0|-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`

// JSONSchema returns the JSON Schema (draft 2020-12) of the policy file,
// generated from the Go types: durations are Go duration strings, enums are
// listed, unknown keys are rejected. policies/policy.schema.json is a
// committed copy, tested to be equal.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		Mapper: schemaOf,
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
