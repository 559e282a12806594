package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness/lifecycle"
)

func newCleanCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clean",
		Short: "Remove what killed runs left behind: processes, containers, temp dirs",
		Long: `Remove what runs that no longer live left behind. Each run records what it
started under the state dir ($GAMEDAY_STATE_HOME, else $XDG_STATE_HOME/gameday,
else ~/.local/state/gameday). Processes are killed by recorded pid and start
time (never by name), and so is every process whose GAMEDAY_RUN_MARKER names a
run whose harness is dead, with its descendants (a workload's setsid daemon,
say); containers labelled gameday.run of a dead run are removed. Runs still
alive are left alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			removed, err := lifecycle.Clean(cmd.Context())
			out := cmd.OutOrStdout()
			for _, r := range removed {
				fmt.Fprintln(out, "removed", r)
			}
			if err != nil {
				return infra(fmt.Errorf("clean: %w", err))
			}
			if len(removed) == 0 {
				fmt.Fprintln(out, "nothing to clean")
			}
			return nil
		},
	}
}
