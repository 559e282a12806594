package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

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
			"every problem on its own line. The policy file a scenario names is loaded too.\n" +
			"It prints \"ok FILE\" for each valid file; exit 0 when all are valid, 2 otherwise.",
		Example: "  gameday validate scenarios/library\n  gameday validate my-scenario.yaml other/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, bad := loadScenarios(args, cmd.ErrOrStderr())
			policyErrs := map[string]string{}
			for _, l := range loaded {
				if msg := checkPolicy(l.sc, policyErrs); msg != "" {
					fmt.Fprintln(cmd.ErrOrStderr(), msg)
					bad++
					continue
				}
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

// loadScenarios collects and loads the scenarios under paths, printing
// every problem to w, one line each. It returns the valid scenarios and the
// number of paths or files that had problems.
func loadScenarios(paths []string, w io.Writer) ([]loadedScenario, int) {
	bad := 0
	files, err := scenarios.Collect(paths)
	if err != nil {
		fmt.Fprintln(w, err)
		bad += strings.Count(err.Error(), "\n") + 1
	}
	var out []loadedScenario
	for _, f := range files {
		sc, err := scenarios.LoadFile(f)
		if err != nil {
			fmt.Fprintln(w, err)
			bad++
			continue
		}
		out = append(out, loadedScenario{file: f, sc: sc})
	}
	return out, bad
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
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = fmt.Sprintf("%s: %v", displayPath(path), pe.Err)
		}
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
