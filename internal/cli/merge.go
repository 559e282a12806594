package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/internal/s3dir"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/shard"
)

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge [--out DIR] SHARD_DIR|s3://bucket/prefix...",
		Short: "Combine the outputs of the shards of a run (gameday run --shard I/N) into one report",
		Long: `merge reads the report.json of every shard and writes, into --out (default
gameday-out/<UTC timestamp>; it must be new or empty), the report.json,
junit.xml and summary.md a single run of the same scenarios and seeds would
have written, plus every shard's per-scenario folders (journals, logs).
Under --repeat, a scenario's seeds spread over shards are folded again, so
held/runs and flaky counts are those of a single run.

Each argument is a shard's output folder, or a folder or s3://bucket/prefix
below which every folder holding a report.json is a shard (what
gameday run --upload wrote: shard-1-of-3/, ...). s3:// uses the same
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION
as --upload.

Refused as bad input (exit 2), with nothing written: reports of mixed
format versions or --repeat counts, shards of different counts, a shard
given twice or missing, a scenario × seed pair present in two shards.
Otherwise the exit code is the single run's rule: 3 when a scenario hit an
infrastructure error, else 1 when one failed, else 0 (an empty shard adds
nothing). When $GITHUB_STEP_SUMMARY is set, summary.md is appended to it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				out = harness.DefaultOut(time.Now())
			}
			if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
				return badInput(fmt.Errorf("merge: --out %s is not empty; merge into a new folder", out))
			}
			roots, cleanup, err := fetchRemote(cmd, args)
			defer cleanup()
			if err != nil {
				return err
			}
			dirs, err := shard.Find(roots)
			if err != nil {
				return badInput(fmt.Errorf("merge: %w", unwrapPath(err)))
			}
			parts, err := shard.ReadParts(dirs)
			if err != nil {
				return badInput(fmt.Errorf("merge: %w", unwrapPath(err)))
			}
			for i := range parts {
				parts[i].Source = displaySource(parts[i].Source, roots, args)
			}
			res, err := reports.Merge(parts)
			if err != nil {
				return badInput(fmt.Errorf("merge: %w", err))
			}
			res.Command = "gameday merge " + strings.Join(args, " ")
			if err := shard.WriteMerged(out, res, dirs); err != nil {
				return infra(err)
			}
			if err := reports.AppendStepSummary(res, os.Getenv); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", err)
			}
			stdout := cmd.OutOrStdout()
			fmt.Fprintf(stdout, "merged %d %s: %s\n\n", len(parts), plural(len(parts), "shard", "shards"), filepath.Join(out, reports.JSONFile))
			_ = reports.NewConsole(stdout, reports.DetectConsole(stdout, os.Getenv)).Table(res)
			switch res.ExitCode() {
			case ExitInfra:
				return infra(errors.New(infraSummary(res)))
			case ExitFailed:
				return failed(nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	return cmd
}

// fetchRemote downloads every s3:// argument into a temporary folder and
// returns the local roots in argument order; cleanup removes the downloads.
func fetchRemote(cmd *cobra.Command, args []string) (roots []string, cleanup func(), err error) {
	cleanup = func() {}
	var tmp string
	for i, a := range args {
		if !s3dir.IsURL(a) {
			roots = append(roots, a)
			continue
		}
		loc, err := s3dir.ParseURL(a)
		if err != nil {
			return nil, cleanup, badInput(fmt.Errorf("merge: %w", err))
		}
		cfg, err := s3dir.ConfigFromEnv(os.Getenv)
		if err != nil {
			return nil, cleanup, badInput(fmt.Errorf("merge: %s: %w", a, err))
		}
		if tmp == "" {
			if tmp, err = os.MkdirTemp("", "gameday-merge-"); err != nil {
				return nil, cleanup, infra(fmt.Errorf("merge: %w", err))
			}
			cleanup = func() { os.RemoveAll(tmp) }
		}
		cl, err := s3dir.NewClient(cfg)
		if err != nil {
			return nil, cleanup, infra(fmt.Errorf("merge: %w", err))
		}
		dir := filepath.Join(tmp, fmt.Sprint(i))
		n, err := s3dir.Download(cmd.Context(), cl, loc, dir)
		if err != nil {
			return nil, cleanup, infra(fmt.Errorf("merge: %w", err))
		}
		if n == 0 {
			return nil, cleanup, badInput(fmt.Errorf("merge: %s: no objects there", a))
		}
		roots = append(roots, dir)
	}
	return roots, cleanup, nil
}

// displaySource names a shard folder as the user gave it: below an s3://
// argument, the URL of the folder instead of the temporary download.
func displaySource(dir string, roots, args []string) string {
	for i, root := range roots {
		if !s3dir.IsURL(args[i]) {
			continue
		}
		if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
			if rel == "." {
				return args[i]
			}
			return strings.TrimSuffix(args[i], "/") + "/" + filepath.ToSlash(rel)
		}
	}
	return dir
}

// unwrapPath keeps an *fs.PathError's own wording ("open x: no such file").
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe
	}
	return err
}
