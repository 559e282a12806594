package compare

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gameday/gameday/scenarios"
)

// Spec is what one variant sets: the workload's policy file (the
// reference pipeline's policy, handed over as GAMEDAY_POLICY) and
// variables added to its environment. The zero Spec runs the scenarios as
// their files say.
type Spec struct {
	Policy string            `json:"policy,omitempty"`
	Env    map[string]string `json:"env,omitempty"`
}

// ParseSpec reads the items of one --a or --b flag: policy=FILE (once)
// and env:NAME=VALUE (any number of times).
func ParseSpec(items []string) (Spec, error) {
	var s Spec
	for _, it := range items {
		switch {
		case strings.HasPrefix(it, "policy="):
			if s.Policy != "" {
				return s, fmt.Errorf("%q: policy is given twice", it)
			}
			s.Policy = strings.TrimPrefix(it, "policy=")
			if s.Policy == "" {
				return s, fmt.Errorf("%q: want policy=FILE", it)
			}
		case strings.HasPrefix(it, "env:"):
			n, v, err := scenarios.ParseEnvAssignment(strings.TrimPrefix(it, "env:"))
			if err != nil {
				return s, fmt.Errorf("%q: want env:NAME=VALUE", it)
			}
			if s.Env == nil {
				s.Env = map[string]string{}
			}
			s.Env[n] = v
		default:
			return s, fmt.Errorf("%q: want policy=FILE or env:NAME=VALUE", it)
		}
	}
	return s, nil
}

// String renders the spec as it is written on the command line, or "as
// written" for the zero Spec.
func (s Spec) String() string {
	var parts []string
	if s.Policy != "" {
		parts = append(parts, "policy="+s.Policy)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		parts = append(parts, "env:"+k+"="+s.Env[k])
	}
	if len(parts) == 0 {
		return "as written"
	}
	return strings.Join(parts, " ")
}

// Override is the spec as a scenario override.
func (s Spec) Override() scenarios.Override {
	return scenarios.Override{Policy: s.Policy, Env: maps.Clone(s.Env)}
}
