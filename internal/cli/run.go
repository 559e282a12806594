package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func newRunCmd() *cobra.Command {
	var (
		backend  string
		seed     int64
		out      string
		parallel int
		filter   []string
	)
	cmd := &cobra.Command{
		Use:   "run PATH... [--backend auto|docker|process] [--seed N] [--out DIR] [--parallel N] [--filter NAME|TAG]",
		Short: "Run scenarios end to end: boot targets, inject faults, run the workload, judge, report",
		Long: `Run every scenario in PATH... (files, or folders whose *.yaml files are read):
boot its targets, seed them, start a fault proxy in front of each and the alert
receiver, arm the faults, run the workload, then observe from the outside
(journal, bucket listing, notifications) and judge each expectation.

Everything is validated first: a bad scenario or policy file exits 2 before
anything starts. Outputs go to --out (default gameday-out/<UTC timestamp>):
report.json, junit.xml, summary.md, and per scenario its journal.jsonl,
workload logs and target logs (credentials redacted).

Exit codes: 0 every expectation held; 1 an expectation failed; 2 bad input;
3 infrastructure (a target could not start or died unasked, or the run was
interrupted). Precedence 2, then 3, then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch backend {
			case harness.BackendAuto, harness.BackendDocker, harness.BackendProcess:
			default:
				return badInput(fmt.Errorf("run: --backend %q: want auto, docker or process", backend))
			}
			if parallel < 1 {
				return badInput(fmt.Errorf("run: --parallel %d: want 1 or more", parallel))
			}
			list, err := loadForRun(args, filter)
			if err != nil {
				return err
			}
			var seedp *int64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			bin, err := pipelineBinary(list)
			if err != nil {
				return infra(err)
			}
			if out == "" {
				out = harness.DefaultOut(time.Now())
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// The first Ctrl-C tears down and writes a partial report; a
			// second one gets the default behaviour (exit at once).
			go func() {
				<-ctx.Done()
				stop()
			}()
			harness.SetTestcontainersEnv()
			console := reports.NewConsole(cmd.OutOrStdout(), reports.DetectConsole(cmd.OutOrStdout(), os.Getenv))
			res, err := harness.RunScenarios(ctx, list, harness.RunOptions{
				Backend:    backend,
				Seed:       seedp,
				Out:        out,
				Parallel:   parallel,
				GamedayBin: bin,
				Console:    console,
				Command:    "gameday run " + strings.Join(os.Args[min(2, len(os.Args)):], " "),
			})
			console.Close()
			if res != nil {
				_ = console.Table(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(out, reports.JSONFile))
			if err != nil {
				return infra(err)
			}
			if ctx.Err() != nil {
				return infra(errors.New("run interrupted; partial report written"))
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
	f.StringVar(&backend, "backend", harness.BackendAuto, "where targets run: auto, docker or process")
	f.Int64Var(&seed, "seed", 0, "seed for every scenario (overrides the files'; always recorded)")
	f.StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	f.IntVar(&parallel, "parallel", 1, "scenarios run at once")
	f.StringSliceVar(&filter, "filter", nil, "run only scenarios with this name or tag (repeatable; globs allowed)")
	return cmd
}

// loadForRun collects and loads every scenario and checks every policy,
// reporting all problems at once as bad input (exit 2).
func loadForRun(args, filter []string) ([]*scenarios.Scenario, error) {
	files, err := scenarios.Collect(args)
	var problems []string
	if err != nil {
		problems = append(problems, err.Error())
	}
	var list []*scenarios.Scenario
	names := map[string]string{}
	for _, f := range files {
		sc, err := scenarios.LoadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if prev, ok := names[sc.Name]; ok {
			problems = append(problems, fmt.Sprintf("%s: scenario name %q is also used by %s", f, sc.Name, prev))
			continue
		}
		names[sc.Name] = f
		if p := sc.Workload.Policy; p != "" {
			if _, err := policies.Load(p); err != nil {
				problems = append(problems, fmt.Sprintf("%s: policy: %v", f, err))
			}
		}
		if len(sc.Workload.Exec) > 0 {
			if err := checkExec(sc); err != nil {
				problems = append(problems, fmt.Sprintf("%s: workload exec: %v", f, err))
			}
		}
		if matchesFilter(sc, filter) {
			list = append(list, sc)
		}
	}
	if len(problems) > 0 {
		return nil, badInput(errors.New(strings.Join(problems, "\n")))
	}
	if len(list) == 0 {
		return nil, badInput(fmt.Errorf("run: no scenario matches --filter %s", strings.Join(filter, ",")))
	}
	return list, nil
}

// checkExec checks that the workload's program exists: a bare name on PATH,
// a path relative to the scenario file's folder.
func checkExec(sc *scenarios.Scenario) error {
	prog := sc.Workload.Exec[0]
	if !strings.Contains(prog, "/") {
		_, err := exec.LookPath(prog)
		return err
	}
	if !filepath.IsAbs(prog) {
		prog = filepath.Join(filepath.Dir(sc.File), prog)
	}
	_, err := os.Stat(prog)
	return err
}

func matchesFilter(sc *scenarios.Scenario, filter []string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if injectors.Glob(f, sc.Name) {
			return true
		}
		for _, t := range sc.Tags {
			if injectors.Glob(f, t) {
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
			return harness.GamedayBinary()
		}
	}
	bin, _ := harness.GamedayBinary()
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
