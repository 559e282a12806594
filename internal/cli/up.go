package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/scenarios"
)

func newUpCmd() *cobra.Command {
	var (
		backend string
		forDur  time.Duration
		seed    int64
		out     string
		faults  string
	)
	cmd := &cobra.Command{
		Use:   "up SCENARIO [--backend auto|docker|process] [--for DURATION] [--out DIR] [--faults FILE]",
		Short: "Hold a scenario's stack for a manual game day, then judge and report what happened",
		Long: `Boot the scenario's targets (seeded), a fault proxy in front of each with the
scenario's faults armed (timer faults included), and the alert receiver, and
hold them for a game day. It prints the endpoints, the armed faults (name,
target, match, action, schedule), ready-to-paste client commands (aws
--endpoint-url, curl --aws-sigv4, mc, curl for stubs) and the env file
(mode 0600: the credentials; load it with set -a; . FILE; set +a), then one
line per injected fault and per target crash, restart, pause and resume.

Each proxy writes its journal to --out (default gameday-out/<UTC timestamp>)
as <scenario>/journal-<target>.jsonl, one line per request as it completes.
--faults FILE arms more faults (scenario syntax) and SIGHUP re-reads it. On
a terminal, commands typed during the game day: arm NAME, disarm NAME,
crash TARGET, restart TARGET, status, help.

At the end (Ctrl-C, SIGTERM or --for) it prints per-fault totals, judges
the scenario's expect block over what happened (outcome and duration are
not judged: there is no workload; recovery time is the longest per-operation
recovery) and writes report.json, junit.xml, summary.md and report.html to
--out. A game day is not a gate: up exits 0 at a normal end whatever the
verdicts (2 bad input, 3 infrastructure).`,
		Example: "  gameday up scenarios/library/storage-503-single-transient.yaml --for 10m\n" +
			"  gameday up my-scenario.yaml --faults extra-faults.yaml   # kill -HUP <pid> re-reads it",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBackend("up", backend); err != nil {
				return err
			}
			if forDur < 0 {
				return badInput(errors.New("--for must not be negative"))
			}
			sc, err := scenarios.LoadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			var extra []*scenarios.Fault
			if faults != "" {
				if extra, err = scenarios.LoadFaults(faults); err != nil {
					return badInput(err)
				}
			}
			var seedp *int64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			if out == "" {
				out = harness.DefaultOut(time.Now())
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			reload := hangups(ctx)
			var commands io.Reader
			if isatty.IsTerminal(os.Stdin.Fd()) {
				commands = os.Stdin
			}
			lifecycle.SetTestcontainersEnv()
			_, err = harness.RunGameDay(ctx, sc, harness.GameDayOptions{
				Backend:    backend,
				Seed:       sc.SeedFor(seedp, nil),
				Out:        out,
				For:        forDur,
				FaultsFile: faults,
				Faults:     extra,
				Reload:     reload,
				Commands:   commands,
				Stdout:     cmd.OutOrStdout(),
				Command:    "gameday up " + strings.Join(os.Args[min(2, len(os.Args)):], " "),
			})
			switch {
			case err == nil:
				return nil
			case ctx.Err() != nil:
				// Ctrl-C is how up ends, also before it was ready.
				fmt.Fprintf(cmd.OutOrStdout(), "interrupted while starting: stopped, every target, proxy and the receiver are gone\n")
				return nil
			}
			return infra(fmt.Errorf("up %s: %w", sc.Name, err))
		},
	}
	f := cmd.Flags()
	f.StringVar(&backend, "backend", lifecycle.BackendAuto, "auto, docker or process")
	f.DurationVar(&forDur, "for", 0, "stop after this long (default: until Ctrl-C)")
	f.Int64Var(&seed, "seed", 0, "seed (default: the scenario's, else random; printed)")
	f.StringVar(&out, "out", "", "output folder (default gameday-out/<UTC timestamp>)")
	f.StringVar(&faults, "faults", "", "a file of more faults (scenario syntax), re-read on SIGHUP")
	return cmd
}
