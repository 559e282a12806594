package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
			"A file with a matrix is checked as every combination it makes. It prints\n" +
			"\"ok FILE\" for each valid file (with the number of combinations of a matrix);\n" +
			"exit 0 when all are valid, 2 otherwise.",
		Example: "  gameday validate scenarios/library\n  gameday validate my-scenario.yaml other/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, bad := loadScenarios(args, cmd.ErrOrStderr())
			for i := 0; i < len(loaded); i++ {
				sc := loaded[i]
				if sc.Combination == nil {
					fmt.Fprintln(cmd.OutOrStdout(), "ok", sc.Given())
					continue
				}
				n := 1 // combinations of one file come together, in order
				for i+1 < len(loaded) && loaded[i+1].File == sc.File && loaded[i+1].Combination != nil {
					n, i = n+1, i+1
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok %s (%d combinations)\n", sc.Given(), n)
			}
			if bad > 0 {
				return &ExitError{Code: ExitBadInput}
			}
			return nil
		},
	}
}

// loadScenarios is step 1 of `gameday run` and the whole of `gameday
// validate` and `gameday list` (scenarios.LoadSet), so that what one
// accepts the others do. It prints every problem to w, one line each, and
// returns the valid scenarios and the number of problems.
func loadScenarios(paths []string, w io.Writer) ([]*scenarios.Scenario, int) {
	set := scenarios.LoadSet(paths)
	for _, p := range set.Problems {
		fmt.Fprintln(w, p)
	}
	return set.Scenarios, len(set.Problems)
}
