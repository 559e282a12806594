package cli

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/compare"
	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func newCompareCmd() *cobra.Command {
	var (
		aSpec, bSpec []string
		backend      string
		seed         int64
		out          string
		parallel     int
		repeat       int
		filter       []string
		tolerance    string
		minDelta     time.Duration
		evidence     int
		verbose      bool
	)
	cmd := &cobra.Command{
		Use:   "compare --a SPEC --b SPEC PATH... [--repeat N] [--parallel N] [--tolerance 20%] [--min-delta 250ms] [--seed N] [--out DIR]",
		Short: "Run scenarios under two policies (or environments) with the same seeds and report what B regresses",
		Long: `Run every scenario in PATH... twice, under variant A and variant B, with
identical seeds, and compare them: per scenario the verdicts, attempts,
retries, recovery median and p95, pages, duplicates and duration under
both, with B's regressions marked.

A SPEC sets what a variant changes, one item per flag, repeatable:
  policy=FILE          the workload's policy (the reference pipeline's
                       policy; any workload gets it as GAMEDAY_POLICY)
  env:NAME=VALUE       a variable added to the workload's environment
--a may be left out: A is then the scenarios as their files say.

B regresses a scenario when an expectation that held under A (in every
run) fails under B (in any run), or when its recovery median grows by more
than --tolerance (default 20%) and by more than --min-delta (default
250ms), so noise on a 40ms recovery is no regression; a scenario that
recovered under A and never under B regresses too. --repeat N runs every
scenario N times per variant with the seeds S..S+N-1 under both (S: --seed,
else the file's, else one drawn per scenario and shared), and the recovery
median and p95 are over those runs.

Outputs go to --out (default gameday-out/<UTC timestamp>): compare.json,
compare.md (ready to paste as a pull request comment) and each variant's
run outputs (report.json, report.html, ...) in a/ and b/. The console ends
with the table; a regressed cell is marked "!".

Exit codes: 0 no regression; 1 B regresses a scenario; 2 bad input (a SPEC,
a scenario or policy file); 3 infrastructure under either variant.`,
		Example: "  gameday compare --a policy=policies/ci.yaml --b policy=policies/examples/ci-no-jitter.yaml scenarios/library\n" +
			"  gameday compare --b env:AWS_MAX_ATTEMPTS=2 --repeat 5 --parallel 2 my-scenarios/",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBackend("compare", backend); err != nil {
				return err
			}
			if err := checkAtLeastOne("compare", "parallel", parallel); err != nil {
				return err
			}
			if err := checkAtLeastOne("compare", "repeat", repeat); err != nil {
				return err
			}
			if minDelta < 0 {
				return badInput(fmt.Errorf("compare: --min-delta %s: must not be negative", minDelta))
			}
			if err := checkEvidence("compare", evidence); err != nil {
				return err
			}
			if err := checkSeedRepeat("compare", cmd.Flags().Changed("seed"), seed, repeat); err != nil {
				return err
			}
			tol, err := parseTolerance(tolerance)
			if err != nil {
				return badInput(fmt.Errorf("compare: --tolerance: %w", err))
			}
			if len(bSpec) == 0 {
				return badInput(errors.New("compare: --b is required: say what variant B changes (policy=FILE, env:NAME=VALUE)"))
			}
			a, err := compare.ParseSpec(aSpec)
			if err != nil {
				return badInput(fmt.Errorf("compare: --a %w", err))
			}
			b, err := compare.ParseSpec(bSpec)
			if err != nil {
				return badInput(fmt.Errorf("compare: --b %w", err))
			}
			list, err := loadForRun(args, filter, nil)
			if err != nil {
				return err
			}
			for _, sc := range list {
				for _, spec := range []compare.Spec{a, b} {
					if _, err := sc.With(spec.Override()); err != nil {
						return badInput(err)
					}
				}
			}
			ctx, stop, bin, out, err := runSetup(cmd, list, out)
			if err != nil {
				return err
			}
			defer stop()
			stdout := cmd.OutOrStdout()
			opts := compare.Options{A: a, B: b, Rule: compare.Rule{Tolerance: tol, MinDelta: minDelta}, Repeat: repeat,
				Parallel: parallel, Backend: backend, GamedayBin: bin, Out: out, Run: harness.RunScenarios,
				Command: "gameday compare " + strings.Join(os.Args[min(2, len(os.Args)):], " ")}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			if cmd.Flags().Changed("evidence-runs") {
				opts.EvidenceRuns = &evidence
			}
			opts.Console = func(v string) *reports.Console {
				spec := a
				if v == "B" {
					spec = b
				}
				fmt.Fprintf(stdout, "%s: %s\n", v, spec)
				copts := reports.DetectConsole(stdout, os.Getenv)
				copts.Verbose = verbose
				return reports.NewConsole(stdout, copts)
			}
			c, err := compare.Run(ctx, list, opts)
			var se *compare.SpecError
			switch {
			case errors.As(err, &se):
				return badInput(err)
			case err != nil && ctx.Err() != nil:
				return infra(errors.New("compare interrupted"))
			case err != nil:
				return infra(err)
			}
			fmt.Fprintf(stdout, "\ncompare: %s\nmarkdown: %s\n\n", filepath.Join(out, compare.JSONFile), filepath.Join(out, compare.MarkdownFile))
			if err := compare.WriteText(stdout, c); err != nil {
				return infra(err)
			}
			switch c.ExitCode() {
			case ExitInfra:
				return infra(errors.New("a scenario hit an infrastructure error; see the variant's report"))
			case ExitFailed:
				return failed(nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&aSpec, "a", nil, "what variant A sets: policy=FILE or env:NAME=VALUE (repeatable; default: the scenarios as written)")
	f.StringArrayVar(&bSpec, "b", nil, "what variant B sets: policy=FILE or env:NAME=VALUE (repeatable; required)")
	f.StringVar(&backend, "backend", lifecycle.BackendAuto, "where targets run: auto, docker or process")
	f.Int64Var(&seed, "seed", 0, "seed for every scenario under both variants (default: the file's, else one drawn per scenario)")
	f.StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	f.IntVar(&parallel, "parallel", 1, "scenarios run at once (within a variant)")
	f.IntVar(&repeat, "repeat", 1, "run every scenario N times per variant, seeds S..S+N-1 under both")
	f.StringSliceVar(&filter, "filter", nil, "compare only scenarios with this name or tag (repeatable; globs allowed)")
	f.StringVar(&tolerance, "tolerance", "20%", "how much the recovery median may grow before it is a regression (20% or 0.2)")
	f.DurationVar(&minDelta, "min-delta", compare.DefaultMinDelta, "how much the recovery median must grow, at least, to be a regression")
	f.IntVar(&evidence, "evidence-runs", scenarios.DefaultEvidenceRuns, "extra runs when a backoff verdict is inconclusive (overrides the files' evidence_runs)")
	f.BoolVarP(&verbose, "verbose", "v", false, "without a terminal, print every phase of every scenario")
	return cmd
}

// parseTolerance reads "20%" or "0.2".
func parseTolerance(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		v /= 100
	}
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: want a percentage (20%%) or a fraction (0.2)", s)
	}
	return v, nil
}
