package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/explore"
	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func newExploreCmd() *cobra.Command {
	var (
		trials   int
		seed     int64
		parallel int
		actions  []string
		property []string
		policy   string
		env      []string
		out      string
		backend  string
		evidence int
	)
	cmd := &cobra.Command{
		Use:   "explore SCENARIO [--trials N] [--seed S] [--parallel P] [--actions LIST] [--property LIST] [--policy FILE] [--env NAME=VALUE] [--out DIR]",
		Short: "Search for the fault schedule that breaks a scenario's expectations, and shrink it to the smallest one",
		Long: `Take the scenario's expect block as a property and search for a fault
schedule that breaks it, instead of guessing one.

A fault-free calibration run comes first: it learns which requests the
workload makes to which targets, and which expectations hold without any
fault. Those form the property (faults_fired is never part of it; an
expectation that fails without faults, such as a request count of the
file's own faults, is left out and named). --property narrows it to the
expectations named (outcome, pages, alerts.info, requests[0]; alerts or
requests take all of theirs).

Then each trial replaces the scenario's faults by 1 to 4 faults drawn from
the seed over those requests: an action of --actions, a count (times), and
sometimes a skip or a start time (after). The default actions are the
transient ones a retry policy should absorb: 503, 500, 429 with
Retry-After 1s, reset, delay (a second past the policy's attempt timeout),
crash (the target crashes on a request and restarts after 0.3-2s) and
worker-crash (the workload dies right after a write was stored; only when
workload.restarts > 0). "permanent" adds 400, 401, 403 and 404; any status
400..599 may be named.

A trial that breaks the property is run again: only a failure that
reproduces counts (a flaky one is reported and the search goes on). The
search stops at the first one and shrinks it: drop faults, lower counts and
skips, move start times earlier, bring restarts forward, and replace
actions by simpler ones (down to a plain 503), re-running each candidate;
a candidate must fail twice, on an expectation every step so far failed, to
be taken. The smallest schedule is written to DIR/explore-<name>-min.yaml:
the scenario with those faults and the property as its expect block, every
path absolute, with a comment header (trials, shrink steps, seeds), and the
gameday run line that replays it is printed.

--policy FILE and --env NAME=VALUE run every trial with that policy or
environment (as gameday run --env), and the written file keeps them.
--seed draws the schedules (default: random, printed); runs use the
scenario's own seed, else the same one. --parallel P runs P trials, or P
shrink candidates, at once; the first failing one in order is taken, so
the result does not depend on P. Every run's outputs are kept under
DIR/runs/, and DIR/explore.json sums the search up.

Exit codes: 1 a failing schedule was found (and written); 0 none in the
budget; 2 bad input (a bad scenario, flag, or a --property that names
nothing or fails without faults); 3 infrastructure.`,
		Example: "  gameday explore scenarios/library/storage-503-single-transient.yaml --property outcome,pages \\\n" +
			"      --policy policies/examples/two-attempts.yaml --trials 40 --seed 1\n" +
			"  gameday explore my-scenario.yaml --actions transient,401 --parallel 2",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBackend("explore", backend); err != nil {
				return err
			}
			if err := checkAtLeastOne("explore", "trials", trials); err != nil {
				return err
			}
			if err := checkAtLeastOne("explore", "parallel", parallel); err != nil {
				return err
			}
			if err := checkEvidence("explore", evidence); err != nil {
				return err
			}
			kinds, err := explore.ParseActions(actions)
			if err != nil {
				return badInput(fmt.Errorf("explore: --actions: %w", err))
			}
			over, err := parseVariantFlags(policy, env)
			if err != nil {
				return badInput(fmt.Errorf("explore: %w", err))
			}
			list, err := loadForRun(args, nil, nil)
			if err != nil {
				return err
			}
			if len(list) != 1 {
				return badInput(fmt.Errorf("explore: %s holds %d scenarios; explore takes one scenario file", args[0], len(list)))
			}
			sc, err := list[0].With(over)
			if err != nil {
				return badInput(err)
			}
			if !cmd.Flags().Changed("seed") {
				seed = scenarios.RandomSeed(nil)
			}
			ctx, stop, bin, out, err := runSetup(cmd, list, out)
			if err != nil {
				return err
			}
			defer stop()
			stdout := cmd.OutOrStdout()
			fmt.Fprintf(stdout, "explore %s: up to %d trials, seed %d (--seed %d replays this search)\n", sc.Given(), trials, seed, seed)
			show := &exploreProgress{w: stdout, tty: reports.DetectConsole(stdout, os.Getenv).Live, width: reports.TerminalWidth(stdout)}
			opts := explore.Options{Trials: trials, Seed: seed, Parallel: parallel, Actions: kinds, Property: splitList(property),
				Override: over, Out: out, Backend: backend, GamedayBin: bin, Run: harness.RunScenarios, Progress: show.event}
			if cmd.Flags().Changed("evidence-runs") {
				opts.EvidenceRuns = &evidence
			}
			res, err := explore.Run(ctx, list[0], opts)
			show.done()
			var ie *explore.InputError
			switch {
			case errors.As(err, &ie):
				return badInput(err)
			case err != nil && ctx.Err() != nil:
				if res != nil && res.Found != nil {
					writeExploreSummary(stdout, res)
				}
				return infra(errors.New("explore interrupted"))
			case err != nil:
				return infra(err)
			}
			writeExploreSummary(stdout, res)
			if res.Found != nil {
				return failed(nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&trials, "trials", 50, "how many random fault schedules to try")
	f.Int64Var(&seed, "seed", 0, "seed that draws the schedules (default: random, printed)")
	f.IntVar(&parallel, "parallel", 1, "trials (or shrink candidates) run at once")
	f.StringSliceVar(&actions, "actions", nil, "actions to draw: transient (default), permanent, 503, 500, 429, reset, delay, crash, worker-crash or a status 400..599")
	f.StringSliceVar(&property, "property", nil, "judge only these expectations (e.g. outcome,pages; default: all that hold without faults)")
	f.StringVar(&policy, "policy", "", "run the workload with this policy file instead of the scenario's")
	f.StringArrayVar(&env, "env", nil, "add NAME=VALUE to the workload's environment (repeatable)")
	f.StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	f.StringVar(&backend, "backend", lifecycle.BackendAuto, "where targets run: auto, docker or process")
	f.IntVar(&evidence, "evidence-runs", scenarios.DefaultEvidenceRuns, "extra runs when a backoff verdict is inconclusive (overrides the file's evidence_runs)")
	return cmd
}

// parseVariantFlags turns --policy FILE and --env NAME=VALUE into an
// Override.
func parseVariantFlags(policy string, env []string) (scenarios.Override, error) {
	o := scenarios.Override{Policy: policy}
	for _, a := range env {
		n, v, err := scenarios.ParseEnvAssignment(a)
		if err != nil {
			return o, fmt.Errorf("--env %w", err)
		}
		if o.Env == nil {
			o.Env = map[string]string{}
		}
		o.Env[n] = v
	}
	return o, nil
}

// splitList trims the entries of a comma-split flag and drops empty ones.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// exploreProgress shows explore's progress: on a terminal, progress lines
// replace each other on one line (cut to its width) and lasting ones
// stay; elsewhere every line but the bare counters is printed.
type exploreProgress struct {
	w     io.Writer
	tty   bool
	width int  // the terminal's columns; 0 unknown
	open  bool // a progress line is showing
}

func (p *exploreProgress) event(e explore.Event) {
	line := "  " + e.Line
	if !p.tty {
		if !e.Tick {
			fmt.Fprintln(p.w, line)
		}
		return
	}
	if e.Lasting {
		fmt.Fprint(p.w, "\r\033[K"+line+"\n")
		p.open = false
		return
	}
	if r := []rune(line); p.width > 1 && len(r) >= p.width {
		line = string(r[:p.width-2]) + "…"
	}
	fmt.Fprint(p.w, "\r\033[K"+line)
	p.open = true
}

func (p *exploreProgress) done() {
	if p.tty && p.open {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// writeExploreSummary ends explore's output: what was found and how to
// replay it, or that nothing was.
func writeExploreSummary(w io.Writer, r *explore.Result) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "property: %s\n", strings.Join(r.Property, ", "))
	extra := ""
	if len(r.Flaky) > 0 {
		extra += fmt.Sprintf("; flaky (failed once, not counted): trials %s", joinInts(r.Flaky))
	}
	if len(r.Errored) > 0 {
		extra += fmt.Sprintf("; infrastructure errors: trials %s", joinInts(r.Errored))
	}
	f := r.Found
	if f == nil {
		fmt.Fprintf(w, "no failing schedule in %d trials (seed %d, %s)%s\n", r.Trials, r.Seed, (time.Duration(r.DurationMS) * time.Millisecond).Round(time.Second), extra)
		return
	}
	fmt.Fprintf(w, "found:    trial %d of %d broke %s twice (seed %d)%s\n", f.Trial, r.Budget, strings.Join(f.Failed, ", "), r.Seed, extra)
	fmt.Fprintf(w, "drawn:    %s\n", f.Drawn)
	fmt.Fprintf(w, "shrunk:   %d %s in %d steps (%d candidates, %d runs, %s in all):\n", len(f.Faults), plural(len(f.Faults), "fault", "faults"),
		f.Steps, f.Tried, f.Runs, (time.Duration(r.DurationMS) * time.Millisecond).Round(time.Second))
	for _, fl := range f.Faults {
		fmt.Fprintf(w, "  %s\n", fl)
	}
	fmt.Fprintf(w, "written:  %s\n", f.File)
	fmt.Fprintf(w, "replay:   %s\n", f.Replay)
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
