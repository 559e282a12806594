package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list PATH...",
		Short: "List scenarios: name, tags, targets, fault count and description",
		Long: "list loads the scenario files given, or the *.yaml files directly inside each\n" +
			"folder given, and prints one row per scenario. Invalid files are reported as\n" +
			"validate reports them, and make the exit code 2.",
		Example: "  gameday list scenarios/library",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, bad := loadScenarios(args, cmd.ErrOrStderr())
			if len(loaded) > 0 {
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tTAGS\tTARGETS\tFAULTS\tDESCRIPTION")
				for _, sc := range loaded {
					targets := make([]string, len(sc.Targets))
					for i, t := range sc.Targets {
						targets[i] = t.Name + "(" + t.Kind + ")"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", sc.Name, dash(strings.Join(sc.Tags, ",")),
						strings.Join(targets, ","), len(sc.Faults), dash(sc.Description))
				}
				if err := tw.Flush(); err != nil {
					return infra(fmt.Errorf("list: write: %w", err))
				}
			}
			if bad > 0 {
				return &ExitError{Code: ExitBadInput}
			}
			return nil
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
