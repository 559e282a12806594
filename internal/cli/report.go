package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/internal/boundedfile"
	"github.com/gameday/gameday/reports"
)

// reportFormats maps --format values of `gameday report` to their writers.
var reportFormats = map[string]func(io.Writer, *reports.Result) error{
	"md":    reports.WriteMarkdown,
	"junit": reports.WriteJUnit,
	"json":  reports.WriteJSON,
	"text":  reports.WriteText,
	"html":  reports.WriteHTML,
}

func newReportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "report REPORT.json",
		Short: "Re-render a stored report.json as Markdown, JUnit XML, JSON, a text table or HTML",
		Long: "report reads a report.json written by `gameday run` and renders it again:\n" +
			"--format md (summary.md), junit (junit.xml), json, text (the console table)\n" +
			"or html (report.html, with the timelines the report carries).\n" +
			"It writes to stdout, or to --out FILE. An unreadable or invalid report is exit 2.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write, ok := reportFormats[format]
			if !ok {
				return badInput(fmt.Errorf("report: unknown --format %q (want md, junit, json, text or html)", format))
			}
			res, err := reports.ReadFile(args[0])
			if err != nil {
				var be *boundedfile.Error
				if errors.As(err, &be) {
					return badInput(fmt.Errorf("report: read %s: %s", be.Path, be.Reason))
				}
				return badInput(fmt.Errorf("report: %w", err))
			}
			res.Summarize()
			var buf bytes.Buffer
			if err := write(&buf, res); err != nil {
				return infra(fmt.Errorf("report: %w", err))
			}
			if out == "" {
				// A report.json is data from elsewhere: its messages must not
				// drive the terminal (escape sequences, carriage returns).
				if _, err := io.WriteString(cmd.OutOrStdout(), withoutControls(buf.String())); err != nil {
					return infra(fmt.Errorf("report: write stdout: %w", err))
				}
				return nil
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return badInput(fmt.Errorf("report: --out: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "output format: md, junit, json, text or html")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to FILE instead of stdout")
	return cmd
}

// withoutControls returns s without control characters (C0, DEL and C1)
// other than newline and tab, so that text from a report cannot move the
// cursor, clear the screen or set the terminal's title.
func withoutControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}
