package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/scenarios"
)

func newUpCmd() *cobra.Command {
	var (
		backend string
		forDur  time.Duration
		seed    int64
	)
	cmd := &cobra.Command{
		Use:   "up SCENARIO [--backend auto|docker|process] [--for DURATION]",
		Short: "Boot a scenario's targets, fault proxies and alert receiver for a manual game day",
		Long: `Boot the scenario's targets (seeded), a fault proxy in front of each with the
scenario's faults armed (timer faults included), and the alert receiver. The
workload environment is written to an env file (mode 0600) whose path is
printed; endpoints are printed without secrets. Runs until Ctrl-C (or
SIGTERM) or until --for ends, then tears everything down and exits 0: Ctrl-C
is how up ends, also while it is still starting.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch backend {
			case harness.BackendAuto, harness.BackendDocker, harness.BackendProcess:
			default:
				return badInput(fmt.Errorf("--backend %q: want auto, docker or process", backend))
			}
			if forDur < 0 {
				return badInput(errors.New("--for must not be negative"))
			}
			sc, err := scenarios.LoadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			switch {
			case cmd.Flags().Changed("seed"):
			case sc.Seed != nil:
				seed = *sc.Seed
			default:
				var b [8]byte
				_, _ = rand.Read(b[:])
				seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runUp(ctx, cmd.OutOrStdout(), sc, upOptions{backend: backend, forDur: forDur, seed: seed})
		},
	}
	cmd.Flags().StringVar(&backend, "backend", harness.BackendAuto, "auto, docker or process")
	cmd.Flags().DurationVar(&forDur, "for", 0, "stop after this long (default: until Ctrl-C)")
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed (default: the scenario's, else random; printed)")
	return cmd
}

type upOptions struct {
	backend string
	forDur  time.Duration
	seed    int64
}

// lockedWriter serialises the timer goroutines' lines with ours.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, a...)
}

func runUp(ctx context.Context, stdout io.Writer, sc *scenarios.Scenario, o upOptions) (err error) {
	// Everything up prints goes through the stack's redactor, which gets
	// the targets' credentials as soon as they exist.
	rd := redact.New()
	rw := rd.Writer(stdout)
	defer rw.Close()
	out := &lockedWriter{w: rw}
	start := time.Now()
	stack, err := harness.BootStack(ctx, sc, harness.StackOptions{
		Backend:  o.backend,
		Seed:     o.seed,
		Redactor: rd,
		OnTimer: func(ev harness.TimerEvent) {
			if ev.Err != nil {
				out.printf("timer %s: %s %s failed: %v\n", ev.Fault, ev.Action, ev.Target, ev.Err)
				return
			}
			out.printf("timer %s: %s %s\n", ev.Fault, ev.Action, ev.Target)
		},
	})
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C is how up ends, also before it was ready.
			out.printf("interrupted while starting: stopped, every target, proxy and the receiver are gone\n")
			return nil
		}
		return infra(fmt.Errorf("up %s: %w", sc.Name, err))
	}
	// Teardown on every way out of here, a panic included.
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if cerr := stack.Close(tctx); cerr != nil && err == nil {
			err = infra(fmt.Errorf("up %s: teardown: %w", sc.Name, cerr))
		}
		out.printf("stopped: every target, proxy and the receiver are gone\n")
	}()

	now := time.Now()
	w := stack.WorkloadEnv()
	w.ScheduledAt, w.RunStartedAt = now, now
	if err := os.MkdirAll(w.StateDir, 0o700); err != nil {
		return infra(fmt.Errorf("up %s: state dir: %w", sc.Name, err))
	}
	envFile := filepath.Join(stack.Run.Dir, "workload.env")
	if err := harness.WriteEnvFile(envFile, harness.Environ(os.Environ(), w)); err != nil {
		return infra(err)
	}

	out.printf("gameday up: scenario %s, seed %d, backend %s, run %s (ready in %s)\n",
		sc.Name, o.seed, stack.Backend.Name(), stack.Run.ID, time.Since(start).Round(time.Millisecond))
	out.printf("%s", stack.Endpoints(envFile))
	if o.forDur > 0 {
		out.printf("running for %s (Ctrl-C stops early)\n", o.forDur)
	} else {
		out.printf("running until Ctrl-C\n")
	}

	var deadline <-chan time.Time
	if o.forDur > 0 {
		t := time.NewTimer(o.forDur)
		defer t.Stop()
		deadline = t.C
	}
	select {
	case <-ctx.Done():
		out.printf("interrupted: tearing down\n")
	case <-deadline:
		out.printf("--for %s elapsed: tearing down\n", o.forDur)
	}
	if n := stack.Receiver.Notifications(); len(n) > 0 {
		out.printf("alert receiver got %d notifications\n", len(n))
	}
	return nil
}
