package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gameday/gameday/policies"
)

// Set is a set of scenarios loaded together, as `gameday run`, `validate`
// and `list` take them: the ones that passed every check, in order, and
// every problem found.
type Set struct {
	// Scenarios passed every check, in the order their files were given.
	Scenarios []*Scenario
	// Problems are one line each (a file's load errors give one line per
	// problem), naming the file and, where the problem lies inside it,
	// FILE:LINE:COL.
	Problems []string
}

// Err returns the problems as one error (one line each), or nil.
func (s *Set) Err() error {
	if len(s.Problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(s.Problems, "\n"))
}

// LoadSet collects the scenario files under paths (files, or the *.yaml
// files directly inside folders), loads each strictly, and checks what one
// file cannot tell on its own: the policies it names (workload.policy, a
// matrix's policy values) load, its workload.exec program exists and can
// be run, and its name is not already used by an earlier file (the same
// file given twice included). A file with a matrix gives one scenario per
// combination (Scenario.Combinations), each named <name>[VAR=value,...].
// It is the contract of harness.RunScenarios: run a Set's Scenarios when
// its Problems are empty.
func LoadSet(paths []string) *Set {
	set := &Set{}
	files, err := Collect(paths)
	if err != nil {
		set.Problems = append(set.Problems, err.Error())
	}
	names := map[string]string{}
	policyErrs := map[string]string{}
	for _, f := range files {
		sc, err := LoadFile(f)
		if err != nil {
			set.Problems = append(set.Problems, err.Error())
			continue
		}
		var mine []string
		if msg := checkPolicy(sc, policyErrs); msg != "" {
			mine = append(mine, msg)
		}
		mine = append(mine, checkMatrixPolicies(sc, policyErrs)...)
		if err := CheckExec(sc); err != nil {
			mine = append(mine, fmt.Sprintf("%s: workload.exec: %v", sc.Pos("workload.exec"), err))
		}
		var list []*Scenario
		if len(mine) == 0 {
			if list, err = sc.Combinations(); err != nil {
				mine = append(mine, fmt.Sprintf("%s: matrix: %v", sc.Pos("matrix"), err))
			}
		}
		for _, c := range list {
			if prev, ok := names[c.Name]; ok {
				mine = append(mine, fmt.Sprintf("%s: name: scenario name %q is also used by %s", sc.Pos("name"), c.Name, prev))
			} else {
				names[c.Name] = f
			}
		}
		if len(mine) > 0 {
			set.Problems = append(set.Problems, mine...)
			continue
		}
		set.Scenarios = append(set.Scenarios, list...)
	}
	return set
}

// CheckPolicies loads the policy files s names (workload.policy, a
// matrix's policy values), as LoadSet does, and returns their problems
// one line each; nil when every one loads.
func (s *Scenario) CheckPolicies() error {
	cache := map[string]string{}
	var problems []string
	if msg := checkPolicy(s, cache); msg != "" {
		problems = append(problems, msg)
	}
	problems = append(problems, checkMatrixPolicies(s, cache)...)
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}

// checkMatrixPolicies loads each policy file a matrix's policy axis names,
// once per file (cache), and returns its problems, one line each,
// positioned at the value that names it.
func checkMatrixPolicies(sc *Scenario, cache map[string]string) []string {
	var out []string
	for _, a := range sc.Matrix {
		if a.Name != PolicyAxis {
			continue
		}
		for i, path := range a.Values {
			msg, ok := cache[path]
			if !ok {
				if _, err := policies.Load(DisplayPath(path)); err != nil {
					msg = err.Error()
				}
				cache[path] = msg
			}
			if msg == "" {
				continue
			}
			p := fmt.Sprintf("matrix.%s[%d]", PolicyAxis, i)
			for _, line := range strings.Split(msg, "\n") {
				out = append(out, fmt.Sprintf("%s: %s: %s", sc.Pos(p), p, line))
			}
		}
	}
	return out
}

// CheckExec checks that the workload's program exists and can be run: a
// bare name is looked up on PATH, a relative path is taken from the
// scenario file's folder (as the harness runs it). nil when the workload
// has no exec.
func CheckExec(sc *Scenario) error {
	if len(sc.Workload.Exec) == 0 {
		return nil
	}
	prog := sc.Workload.Exec[0]
	if !strings.Contains(prog, "/") {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("program %q not found on PATH", prog)
		}
		return nil
	}
	path := prog
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(sc.File), path)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("program %q: no such file (looked for %s)", prog, DisplayPath(path))
	case err != nil:
		return fmt.Errorf("program %q: %w", prog, err)
	case fi.IsDir():
		return fmt.Errorf("program %q is a directory", prog)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("program %q is not executable", prog)
	}
	return nil
}

// checkPolicy loads the policy a scenario names, once per policy file
// (cache), and returns its problems, one line each, or "".
func checkPolicy(sc *Scenario, cache map[string]string) string {
	path := sc.Workload.Policy
	if path == "" {
		return ""
	}
	if msg, ok := cache[path]; ok {
		return msg
	}
	msg := ""
	if _, err := policies.Load(DisplayPath(path)); err != nil {
		msg = err.Error()
	}
	cache[path] = msg
	return msg
}

// DisplayPath returns path relative to the working directory when that is
// shorter, for messages.
func DisplayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || len(rel) >= len(path) {
		return path
	}
	return rel
}
