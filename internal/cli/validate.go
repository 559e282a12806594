package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/internal/strictyaml"
	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/scenarios"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate PATH...",
		Short: "Check scenario files, and the policies they name, without running anything",
		Long: "validate loads every scenario file given, or the *.yaml files directly inside\n" +
			"each folder given, strictly: unknown keys, wrong types, bad durations, sizes and\n" +
			"comparisons, and cross-field mistakes are reported as FILE:LINE:COL: message,\n" +
			"every problem on its own line. It applies the checks gameday run makes before\n" +
			"starting anything: the policy file a scenario names loads, the workload.exec\n" +
			"program exists and is executable, and no two files given share a scenario name.\n" +
			"It prints \"ok FILE\" for each valid file; exit 0 when all are valid, 2 otherwise.",
		Example: "  gameday validate scenarios/library\n  gameday validate my-scenario.yaml other/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, bad := loadScenarios(args, cmd.ErrOrStderr())
			for _, l := range loaded {
				fmt.Fprintln(cmd.OutOrStdout(), "ok", l.file)
			}
			if bad > 0 {
				return &ExitError{Code: ExitBadInput}
			}
			return nil
		},
	}
}

type loadedScenario struct {
	file string
	sc   *scenarios.Scenario
}

// checkScenarios is step 1 of `gameday run` and the whole of `gameday
// validate` (and `gameday list`), so that what one accepts the other does:
// it collects the scenario files under paths and loads each strictly, then
// checks what one file cannot tell on its own — the policy it names loads,
// its workload.exec program exists, and its name is not already used by an
// earlier file given (the same file given twice included). It returns the
// scenarios that passed, in order, and every problem, one string each (a
// file's load errors may span several lines, one problem a line), naming
// the file and, where the problem lies inside it, FILE:LINE:COL.
func checkScenarios(paths []string) ([]loadedScenario, []string) {
	var problems []string
	files, err := scenarios.Collect(paths)
	if err != nil {
		problems = append(problems, err.Error())
	}
	var out []loadedScenario
	names := map[string]string{}
	policyErrs := map[string]string{}
	for _, f := range files {
		sc, err := scenarios.LoadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		var mine []string
		if prev, ok := names[sc.Name]; ok {
			mine = append(mine, fmt.Sprintf("%s: name: scenario name %q is also used by %s", position(f, "name"), sc.Name, prev))
		} else {
			names[sc.Name] = f
		}
		if msg := checkPolicy(sc, policyErrs); msg != "" {
			mine = append(mine, msg)
		}
		if err := checkExec(sc); err != nil {
			mine = append(mine, fmt.Sprintf("%s: workload.exec: %v", position(f, "workload.exec"), err))
		}
		if len(mine) > 0 {
			problems = append(problems, mine...)
			continue
		}
		out = append(out, loadedScenario{file: f, sc: sc})
	}
	return out, problems
}

// loadScenarios runs checkScenarios and prints every problem to w, one line
// each. It returns the valid scenarios and the number of problems.
func loadScenarios(paths []string, w io.Writer) ([]loadedScenario, int) {
	loaded, problems := checkScenarios(paths)
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	return loaded, len(problems)
}

// checkExec checks that the workload's program exists and can be run: a
// bare name is looked up on PATH, a relative path is taken from the
// scenario file's folder (as the harness runs it). nil when the workload
// has no exec.
func checkExec(sc *scenarios.Scenario) error {
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
		return fmt.Errorf("program %q: no such file (looked for %s)", prog, displayPath(path))
	case err != nil:
		return fmt.Errorf("program %q: %w", prog, err)
	case fi.IsDir():
		return fmt.Errorf("program %q is a directory", prog)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("program %q is not executable", prog)
	}
	return nil
}

// position returns "FILE:LINE:COL" of the value at path (a strictyaml path
// such as "workload.exec") in the scenario file, or FILE when it cannot be
// told. It decodes the file again: only called for a problem.
func position(file, path string) string {
	data, err := scenarios.ReadFile(file)
	if err != nil {
		return file
	}
	doc, _ := strictyaml.Decode(file, data, &scenarios.Scenario{})
	p := doc.Pos(path)
	if p.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

// checkPolicy loads the policy a scenario names, once per policy file
// (cache), and returns its problems, one line each, or "".
func checkPolicy(sc *scenarios.Scenario, cache map[string]string) string {
	path := sc.Workload.Policy
	if path == "" {
		return ""
	}
	if msg, ok := cache[path]; ok {
		return msg
	}
	msg := ""
	if _, err := policies.Load(displayPath(path)); err != nil {
		msg = err.Error()
	}
	cache[path] = msg
	return msg
}

// displayPath returns path relative to the working directory when that is
// possible, for shorter messages.
func displayPath(path string) string {
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
