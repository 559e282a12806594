package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/glob"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/reports/history"
	"github.com/gameday/gameday/scenarios"
)

func newRunCmd() *cobra.Command {
	var (
		backend  string
		seed     int64
		out      string
		parallel int
		filter   []string
		repeat   int
		keep     bool
		evidence int
		verbose  bool
		histFile string
		metrics  string
		shardArg string
		uploadTo string
		envs     []string
	)
	cmd := &cobra.Command{
		Use:   "run PATH... [--backend auto|docker|process] [--seed N] [--out DIR] [--parallel N] [--filter NAME|TAG] [--env NAME=VALUE] [--repeat N] [--evidence-runs N] [--keep-on-failure] [--history FILE] [--metrics FILE] [--shard I/N] [--upload s3://bucket/prefix] [-v]",
		Short: "Run scenarios end to end: boot targets, inject faults, run the workload, judge, report",
		Long: `Run every scenario in PATH... (files, or folders whose *.yaml files are read):
boot its targets, seed them, start a fault proxy in front of each and the alert
receiver, arm the faults, run the workload, then observe from the outside
(journal, bucket listing, notifications) and judge each expectation.

Everything is validated first: a bad scenario or policy file exits 2 before
anything starts.

A scenario file with a matrix runs once per combination of its values, each
as a scenario of its own named name[VAR=value,...] (its own verdicts, report
rows and replay command). --filter selects scenarios by name or tag, with *
matching any run of characters; [ and ] stand for themselves, so
--filter 'upload[RETRY_MODE=standard,*]' selects the standard combinations.
--env NAME=VALUE (repeatable) sets a workload environment variable for every
scenario of the run, over workload.env, without editing files; the variables
the harness sets, those it removes and a matrix's axes cannot be set so. Outputs go to --out (default gameday-out/<UTC timestamp>):
report.json, junit.xml, summary.md, and per scenario its journal.jsonl,
workload logs and target logs. The run's credentials are masked (***) in
every output, the console included, raw, URL-encoded or base64. When
$GITHUB_STEP_SUMMARY is set, summary.md is appended to that file too.

--repeat N runs every scenario N times, with the seeds S, S+1, ..., S+N-1
(S: --seed, else the file's seed, else a random one), and reports per
expectation in how many runs it held; a scenario passes only when every run
did. Each run's outputs go to <out>/<name>/seed-<seed>.

When backoff.jitter or backoff.growing is inconclusive on the waits of one
run (an SDK's 2-4 retries), the scenario is run again on a fresh stack with
a derived seed (seed·1000+k), up to --evidence-runs times (default: the
file's evidence_runs, else 3; 0 turns them off), and those two verdicts are
judged on the pooled waits; every other verdict is the first run's. Their
outputs go to <out>/<name>/evidence-<k>.

--keep-on-failure keeps the targets of a failed scenario up (the first
failed run of each, faults disarmed, bucket as the run left it): after the
table it prints their endpoints and env file, as gameday up does, and waits
for Ctrl-C, then tears them down.

On a terminal the progress is live and coloured; when stdout is not a
terminal, or CI is set (CI=true), it is plain lines without escape codes:
one line per scenario with its verdict, preceded by its phases when it did
not pass (-v prints every phase as it happens). Either way the output ends
with the table of results: RECOVERY is the time from the first injected
fault to the end of the first successful run after it, "gave up after D"
when nothing recovered, and under --repeat the median and the worst with
the worst run's seed.

report.html (beside report.json) is one self-contained page to open from a
CI artifact or paste to the team: per scenario the verdicts, a timeline
(requests per target coloured by status, injected faults, fault windows,
the workload's runs, crashes and restarts, alerts, artifact writes, the
recovery span) and under --repeat the recovery distribution and per-seed
rows. See docs/reports.md.

--history FILE appends every run (scenario, seed, verdicts, metrics,
duration, policy file hash, git commit, time; one row per seed under
--repeat) to a history database, an SQLite file created when missing;
gameday trends FILE prints and draws the trends. Parallel jobs may append
to the same file. --metrics FILE writes the run's numbers in the Prometheus
text format (gameday_* metrics, units in the names), atomically, for
node_exporter's textfile collector or a Pushgateway. A history file that is
not one, or a metrics file in a missing folder, is bad input (exit 2).

--shard I/N runs only the I-th of N parts of the scenario × seed pairs
(seeds under --repeat included): every pair lands in exactly one shard,
the same one every time, whatever the order of the files, so N CI jobs
with 1/N .. N/N run everything once; gameday merge combines their outputs.
Every scenario needs a fixed seed (the file's, or --seed). --shard job/N
takes I from $JOB_COMPLETION_INDEX+1 (a Kubernetes Indexed Job's pod). A
shard with nothing to run writes an empty report and exits 0.

--upload s3://bucket/prefix copies the output folder there when the run
is over (below shard-I-of-N/ when sharded), for gameday merge s3://...
The endpoint and credentials come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_REGION. A failed upload is exit 3.

Exit codes: 0 every expectation held; 1 an expectation failed; 2 bad input;
3 infrastructure (a target could not start or died unasked, or the run was
interrupted: an interrupted scenario is an error and is not judged).
Precedence 2, then 3, then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBackend("run", backend); err != nil {
				return err
			}
			if err := checkAtLeastOne("run", "parallel", parallel); err != nil {
				return err
			}
			if err := checkAtLeastOne("run", "repeat", repeat); err != nil {
				return err
			}
			if err := checkEvidence("run", evidence); err != nil {
				return err
			}
			if err := checkSeedRepeat("run", cmd.Flags().Changed("seed"), seed, repeat); err != nil {
				return err
			}
			for _, f := range filter {
				if err := glob.ValidateName(f); err != nil {
					return badInput(fmt.Errorf("run: --filter: %w", err))
				}
			}
			list, err := loadForRun(args, filter, envs)
			if err != nil {
				return err
			}
			if err := checkOutputs(cmd.Context(), histFile, metrics); err != nil {
				return err
			}
			var seedp *int64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			only, shardOf, err := parseShard(shardArg, list, seedp, repeat)
			if err != nil {
				return err
			}
			upload, err := parseUpload(uploadTo, shardOf)
			if err != nil {
				return err
			}
			ctx, stop, bin, out, err := runSetup(cmd, list, out)
			if err != nil {
				return err
			}
			defer stop()
			stdout := cmd.OutOrStdout()
			copts := reports.DetectConsole(stdout, os.Getenv)
			copts.Verbose = verbose
			console := reports.NewConsole(stdout, copts)
			opts := harness.RunOptions{
				Backend:    backend,
				Seed:       seedp,
				Out:        out,
				Parallel:   parallel,
				Repeat:     repeat,
				GamedayBin: bin,
				EvidenceRuns: func() *int {
					if cmd.Flags().Changed("evidence-runs") {
						return &evidence
					}
					return nil
				}(),
				Console: console,
				Command: "gameday run " + strings.Join(os.Args[min(2, len(os.Args)):], " "),
			}
			opts.Only, opts.Shard = only, shardOf
			kept := &harness.KeptRuns{}
			if keep {
				opts.Keep = kept.Add
			}
			// Whatever happens below, nothing kept outlives the command.
			defer kept.CloseAll()
			res, err := harness.RunScenarios(ctx, list, opts)
			console.Close()
			if res != nil {
				if serr := reports.AppendStepSummary(res, os.Getenv); serr != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", serr)
				}
			}
			// The report's path first: the output ends with the table.
			fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, reports.JSONFile))
			fmt.Fprintf(stdout, "html:   %s\n", filepath.Join(out, reports.HTMLFile))
			var recordErr error
			if res != nil && err == nil && ctx.Err() == nil {
				recordErr = record(cmd.Context(), stdout, res, histFile, metrics, args)
			}
			fmt.Fprintln(stdout)
			if res != nil {
				_ = console.Table(res)
			}
			if err != nil {
				return infra(err)
			}
			if recordErr != nil {
				return infra(recordErr)
			}
			if ctx.Err() != nil {
				return infra(errors.New("run interrupted; partial report written"))
			}
			if upload != nil {
				if err := upload.upload(ctx, stdout, out); err != nil {
					return err
				}
			}
			if kept.Len() > 0 {
				holdKept(ctx, stdout, kept)
			}
			switch res.ExitCode() {
			case ExitInfra:
				return infra(errors.New(infraSummary(res)))
			case ExitFailed:
				return failed(nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&backend, "backend", lifecycle.BackendAuto, "where targets run: auto, docker or process")
	f.Int64Var(&seed, "seed", 0, "seed for every scenario (overrides the files'; always recorded)")
	f.StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	f.IntVar(&parallel, "parallel", 1, "scenarios run at once")
	addFilterFlag(f, &filter, "run only scenarios with this name or tag (repeatable; * matches any run of characters; [ and ] stand for themselves)")
	f.StringArrayVar(&envs, "env", nil, "set NAME=VALUE in every workload's environment, over workload.env (repeatable)")
	f.IntVar(&repeat, "repeat", 1, "run every scenario N times with seeds S, S+1, ... and report how often each expectation held")
	f.IntVar(&evidence, "evidence-runs", scenarios.DefaultEvidenceRuns, "extra runs on fresh stacks that gather waits when a backoff verdict is inconclusive (overrides the files' evidence_runs; 0: none)")
	f.StringVar(&histFile, "history", "", "append the runs to this history file (SQLite; created when missing) for gameday trends")
	f.StringVar(&metrics, "metrics", "", "write the run's numbers to this file in the Prometheus text format")
	f.BoolVarP(&verbose, "verbose", "v", false, "without a terminal, print every phase of every scenario (default: phases of failed scenarios only)")
	f.StringVar(&shardArg, "shard", "", "run only part I of N of the scenario × seed pairs (I/N, or job/N for a Kubernetes Indexed Job)")
	f.StringVar(&uploadTo, "upload", "", "copy the output folder to s3://bucket/prefix when done (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)")
	f.BoolVar(&keep, "keep-on-failure", false, "keep a failed scenario's targets up, print their endpoints and env file, and wait for Ctrl-C")
	return cmd
}

// checkOutputs checks, before anything runs, that the history file is one
// (or can be created) and that the metrics file's folder exists.
func checkOutputs(ctx context.Context, histFile, metrics string) error {
	if histFile != "" {
		db, err := history.Open(ctx, histFile)
		if err != nil {
			return badInput(fmt.Errorf("run: --history: %w", err))
		}
		if err := db.Close(); err != nil {
			return badInput(fmt.Errorf("run: --history: %w", err))
		}
	}
	if metrics != "" {
		if st, err := os.Stat(filepath.Dir(metrics)); err != nil || !st.IsDir() {
			return badInput(fmt.Errorf("run: --metrics %s: folder %s does not exist", metrics, filepath.Dir(metrics)))
		}
	}
	return nil
}

// record appends the run to the history file and writes the metrics file,
// when asked for, and says so.
func record(ctx context.Context, w io.Writer, res *reports.Result, histFile, metrics string, args []string) error {
	if histFile != "" {
		db, err := history.Open(ctx, histFile)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		dir := "."
		if len(args) > 0 {
			dir = args[0]
			if st, err := os.Stat(dir); err == nil && !st.IsDir() {
				dir = filepath.Dir(dir)
			}
		}
		n, err := db.Append(ctx, res, history.Meta{GitCommit: history.GitCommit(dir, os.Getenv)})
		cerr := db.Close()
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if cerr != nil {
			return fmt.Errorf("history: %w", cerr)
		}
		fmt.Fprintf(w, "history: %d %s appended to %s\n", n, plural(n, "run", "runs"), histFile)
	}
	if metrics != "" {
		if err := reports.WriteMetricsFile(metrics, res); err != nil {
			return err
		}
		fmt.Fprintf(w, "metrics: %s\n", metrics)
	}
	return nil
}

// holdKept holds the kept runs until Ctrl-C (or SIGTERM); a second Ctrl-C
// exits at once.
func holdKept(ctx context.Context, w io.Writer, kept *harness.KeptRuns) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	kept.Hold(ctx, w)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// loadForRun is step 1 of run: scenarios.LoadSet (what validate checks),
// the --filter selection, then the --env overrides applied to each
// scenario with Scenario.With, reporting all problems at once as bad input
// (exit 2).
func loadForRun(args, filter, envs []string) ([]*scenarios.Scenario, error) {
	env := map[string]string{}
	for _, a := range envs {
		name, value, err := scenarios.ParseEnvAssignment(a)
		if err != nil {
			return nil, badInput(fmt.Errorf("run: --env %w", err))
		}
		env[name] = value
	}
	set := scenarios.LoadSet(args)
	if err := set.Err(); err != nil {
		return nil, badInput(err)
	}
	var list []*scenarios.Scenario
	var problems []string
	for _, sc := range set.Scenarios {
		if !matchesFilter(sc, filter) {
			continue
		}
		if len(env) > 0 {
			v, err := sc.With(scenarios.Override{Env: env})
			if err != nil {
				problems = append(problems, "run: --env: "+err.Error())
				continue
			}
			sc = v
		}
		list = append(list, sc)
	}
	if len(problems) > 0 {
		return nil, badInput(errors.New(strings.Join(problems, "\n")))
	}
	if len(list) == 0 {
		return nil, badInput(fmt.Errorf("run: no scenario matches --filter %s", strings.Join(filter, ",")))
	}
	return list, nil
}

func matchesFilter(sc *scenarios.Scenario, filter []string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if glob.Match(f, sc.Name) {
			return true
		}
		for _, t := range sc.Tags {
			if glob.Match(f, t) {
				return true
			}
		}
	}
	return false
}

// pipelineBinary finds our own binary when a scenario runs `pipeline:
// reference`.
func pipelineBinary(list []*scenarios.Scenario) (string, error) {
	for _, sc := range list {
		if sc.Workload.Pipeline != "" {
			return lifecycle.GamedayBinary()
		}
	}
	bin, _ := lifecycle.GamedayBinary()
	return bin, nil
}

func infraSummary(r *reports.Result) string {
	var parts []string
	for _, sc := range r.Scenarios {
		if sc.Error != "" {
			parts = append(parts, sc.Name+": "+sc.Error)
		}
	}
	return strings.Join(parts, "; ")
}
