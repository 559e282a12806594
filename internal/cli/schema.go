package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/scenarios"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema scenario|policy",
		Short: "Print the JSON Schema of scenario or policy files",
		Long: "schema prints the JSON Schema (draft 2020-12) generated from the Go types of the\n" +
			"scenario or policy file format. Editors use it through the\n" +
			"`# yaml-language-server: $schema=...` line that the shipped files begin with.",
		Example:   "  gameday schema scenario > scenario.schema.json\n  gameday schema policy",
		ValidArgs: []string{"scenario", "policy"},
		Args:      cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var gen func() ([]byte, error)
			switch args[0] {
			case "scenario":
				gen = scenarios.JSONSchema
			case "policy":
				gen = policies.JSONSchema
			default:
				return badInput(fmt.Errorf("schema: unknown format %q (want scenario or policy)", args[0]))
			}
			out, err := gen()
			if err != nil {
				return infra(fmt.Errorf("schema %s: %w", args[0], err))
			}
			if _, err := cmd.OutOrStdout().Write(out); err != nil {
				return infra(fmt.Errorf("schema: write: %w", err))
			}
			return nil
		},
	}
}
