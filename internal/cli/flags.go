package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/scenarios"
	"github.com/spf13/cobra"
)

// The checks of the flags run, compare, explore and up share, each
// returning the one-line exit-2 error that names the command and the flag.

func checkBackend(cmd, backend string) error {
	switch backend {
	case lifecycle.BackendAuto, lifecycle.BackendDocker, lifecycle.BackendProcess:
		return nil
	}
	return badInput(fmt.Errorf("%s: --backend %q: want auto, docker or process", cmd, backend))
}

func checkAtLeastOne(cmd, flag string, n int) error {
	if n < 1 {
		return badInput(fmt.Errorf("%s: --%s %d: want 1 or more", cmd, flag, n))
	}
	return nil
}

func checkEvidence(cmd string, n int) error {
	if n < 0 || n > scenarios.MaxEvidenceRuns {
		return badInput(fmt.Errorf("%s: --evidence-runs %d: want 0..%d", cmd, n, scenarios.MaxEvidenceRuns))
	}
	return nil
}

// checkSeedRepeat refuses a --seed whose repeat sequence S..S+repeat-1
// would overflow.
func checkSeedRepeat(cmd string, set bool, seed int64, repeat int) error {
	if set && seed > math.MaxInt64-int64(repeat-1) {
		return badInput(fmt.Errorf("%s: --seed %d: too large for --repeat %d", cmd, seed, repeat))
	}
	return nil
}

// runSetup readies what a command that runs scenarios needs: the binary
// for `pipeline: reference` (exit 3 when missing), the output folder
// (default gameday-out/<UTC timestamp>), and a context that the first
// Ctrl-C or SIGTERM ends — it tears down and writes a partial report — while
// a second one gets the default behaviour (exit at once). Call stop when
// done.
func runSetup(cmd *cobra.Command, list []*scenarios.Scenario, out string) (ctx context.Context, stop func(), bin, dir string, err error) {
	bin, err = pipelineBinary(list)
	if err != nil {
		return nil, nil, "", "", infra(err)
	}
	if out == "" {
		out = harness.DefaultOut(time.Now())
	}
	ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		cancel()
	}()
	lifecycle.SetTestcontainersEnv()
	return ctx, cancel, bin, out, nil
}
