package scenarios

import (
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gameday/gameday/policies"
)

// Override is what a variant of a scenario changes without editing its
// file: workload environment variables (`gameday run --env`, a compare
// variant's env:NAME=VALUE, a matrix axis), the policy file
// (policy=FILE), the seed, and for the candidates of `gameday explore` the
// faults and the name. The zero Override changes nothing.
type Override struct {
	// Env is added to workload.env, winning over it.
	Env map[string]string
	// Policy, when set, replaces workload.policy (a path relative to the
	// working directory, or absolute).
	Policy string
	// Seed, when set, replaces the file's seed.
	Seed *int64
	// Name, when set, renames the variant (variants that run side by side
	// in one run need names of their own).
	Name string
	// Faults, when non-nil, replaces the scenario's faults; an empty
	// non-nil slice leaves it none. They are checked exactly as a file's
	// are: the variant is written out (MarshalYAML) and loaded back, so it
	// is the scenario that file would hold.
	Faults []*Fault
}

// With returns a copy of s with o applied; s is not changed. It checks o
// as the loader checks a file: a variable must have a valid name and not
// be one the harness sets or removes, and the policy must load. On a
// matrix combination, a variable or the policy one of its axes sets is
// refused: the combination is chosen by name, not overridden. The copy
// records o (Overrides), so a replay command can give it again.
func (s *Scenario) With(o Override) (*Scenario, error) {
	var problems []string
	for _, st := range s.Combination {
		_, env := o.Env[st.Name]
		if env || (st.Name == PolicyAxis && o.Policy != "") {
			problems = append(problems, fmt.Sprintf("%s is an axis of the matrix of %s: choose a combination by name (--filter '%s[%s=...]') instead", st.Name, s.BaseName(), s.BaseName(), st.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", s.Name, strings.Join(problems, "; "))
	}
	c, err := s.apply(o)
	if err != nil {
		return nil, err
	}
	c.overrides.Env = maps.Clone(s.overrides.Env)
	for k, v := range o.Env {
		if c.overrides.Env == nil {
			c.overrides.Env = map[string]string{}
		}
		c.overrides.Env[k] = v
	}
	if o.Policy != "" {
		c.overrides.Policy = c.Workload.Policy
	}
	return c, nil
}

// Overrides returns what With applied to make s, merged over every With
// call that led to it (a later one wins); the zero Override for a
// scenario as loaded. A matrix combination's settings are not among them.
func (s *Scenario) Overrides() Override { return s.overrides }

// apply is With without the matrix check and without recording o.
func (s *Scenario) apply(o Override) (*Scenario, error) {
	c := *s
	c.Workload.Env = maps.Clone(s.Workload.Env)
	var problems []string
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !envRE.MatchString(k):
			problems = append(problems, fmt.Sprintf("invalid environment variable name %q", k))
		case s.SetByHarness(k):
			problems = append(problems, fmt.Sprintf("%s is set by the harness for every run and cannot be overridden", k))
		case RemovedFromWorkloads(k):
			problems = append(problems, fmt.Sprintf("%s is removed from every workload's environment", k))
		default:
			if c.Workload.Env == nil {
				c.Workload.Env = map[string]string{}
			}
			c.Workload.Env[k] = o.Env[k]
		}
	}
	if o.Policy != "" {
		abs, err := filepath.Abs(o.Policy)
		if err == nil {
			_, err = policies.Load(o.Policy)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("policy %s: %v", o.Policy, err))
		} else {
			c.Workload.Policy = abs
		}
	}
	if o.Seed != nil {
		seed := *o.Seed
		c.Seed = &seed
	}
	if o.Name != "" {
		if !nameRE.MatchString(o.Name) {
			problems = append(problems, fmt.Sprintf("name %q must use only a-z, 0-9 and -", o.Name))
		}
		c.Name = o.Name
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", s.Name, strings.Join(problems, "; "))
	}
	if o.Faults == nil {
		return &c, nil
	}
	c.Faults = o.Faults
	text, err := c.MarshalYAML()
	if err != nil {
		return nil, fmt.Errorf("%s: faults: %w", s.Name, err)
	}
	v, err := load(s.Given(), s.File, text)
	if err != nil {
		return nil, fmt.Errorf("%s: faults: %w", s.Name, err)
	}
	return v, nil
}

// ParseEnvAssignment parses NAME=VALUE (the value may be empty or hold
// '=').
func ParseEnvAssignment(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("%q: want NAME=VALUE", s)
	}
	return name, value, nil
}
