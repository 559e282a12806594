package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/internal/glob"
	"github.com/gameday/gameday/reports/history"
)

func newTrendsCmd() *cobra.Command {
	var since, by, scenario, out string
	cmd := &cobra.Command{
		Use:   "trends FILE [--since 30d] [--by day|week] [--scenario GLOB] [--out DIR]",
		Short: "Print pass rate and time-to-recovery trends from a history file, and write trends.html",
		Long: `trends reads the history file that gameday run --history FILE appends to
and prints, per scenario and period (--by day, the default, or week, in UTC):
the runs, the pass rate, the flaky expectations (held in some runs of the
period and failed in others), recovery time p50 and p95 over the runs that
recovered, the runs that gave up, retries per run and pages.

It also writes trends.html, a self-contained page (no script, nothing
fetched) with a line chart per scenario of its pass rate and recovery
p50/p95: next to FILE, or in --out DIR.

--since takes an age (30d, 2w, 36h) or a date (2026-11-01, UTC); default
all runs. --scenario takes a name or a glob (storage-*).

A missing, corrupt or foreign file (not a gameday history) is exit 2 with
one line. See docs/reports.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			now := time.Now()
			from, err := history.ParseSince(since, now)
			if err != nil {
				return badInput(fmt.Errorf("trends: %w", err))
			}
			period := history.Period(by)
			if period != history.ByDay && period != history.ByWeek {
				return badInput(fmt.Errorf("trends: --by %q: want day or week", by))
			}
			if scenario != "" {
				if err := glob.ValidateName(scenario); err != nil {
					return badInput(fmt.Errorf("trends: --scenario: %w", err))
				}
			}
			if _, err := os.Stat(file); err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return badInput(fmt.Errorf("trends: history %s: %w", file, err))
			}
			db, err := history.Open(cmd.Context(), file)
			if err != nil {
				return badInput(fmt.Errorf("trends: %w", err))
			}
			defer db.Close()
			runs, err := db.Runs(cmd.Context(), history.Query{Since: from, Scenario: scenario, Match: glob.Match})
			if err != nil {
				if errors.Is(err, history.ErrNotHistory) {
					return badInput(fmt.Errorf("trends: %w", err))
				}
				return infra(fmt.Errorf("trends: %w", err))
			}
			trends := history.Compute(runs, period)
			page := history.DefaultTrendsFile(file)
			if out != "" {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return badInput(fmt.Errorf("trends: --out: %w", err))
				}
				page = filepath.Join(out, history.TrendsFile)
			}
			var html bytes.Buffer
			if err := history.WriteHTML(&html, trends, history.Info{File: file, Since: from, By: period, Scenario: scenario, Generated: now}); err != nil {
				return infra(fmt.Errorf("trends: %w", err))
			}
			if err := os.WriteFile(page, html.Bytes(), 0o644); err != nil {
				return infra(fmt.Errorf("trends: %w", err))
			}
			stdout := cmd.OutOrStdout()
			if err := history.WriteText(stdout, trends); err != nil {
				return infra(fmt.Errorf("trends: %w", err))
			}
			fmt.Fprintf(stdout, "trends: %s\n", page)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "only runs since an age (30d, 2w, 36h) or a date (2026-11-01); default all")
	f.StringVar(&by, "by", string(history.ByDay), "period: day or week (UTC)")
	f.StringVar(&scenario, "scenario", "", "only scenarios whose name matches this name or glob")
	f.StringVar(&out, "out", "", "folder for trends.html (default: next to FILE)")
	return cmd
}
