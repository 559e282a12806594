package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/check"
	"github.com/gameday/gameday/policies/jittersim"
)

// Limits of the policy commands' flags: far above any use, they keep a
// typo from running for hours.
const (
	maxClientRetries = 1000
	maxTrials        = 100_000
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Static checks of policy files and the jitter simulation",
	}
	cmd.AddCommand(newPolicyCheckCmd(), newPolicySimulateCmd())
	return cmd
}

func newPolicyCheckCmd() *cobra.Command {
	var (
		sla           time.Duration
		clientRetries int
	)
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Statically check a policy file: worst cases, jitter, permanent errors, paging rules",
		Long: "check loads a policy file and computes, per error class, the worst-case attempts per\n" +
			"operation (times --client-retries, a nested client's own retries) and the worst-case\n" +
			"wall time (attempt timeouts plus the longest capped sleeps), and whether overall_timeout\n" +
			"and --sla bound it. It flags no jitter, permanent errors that are retried, an unknown\n" +
			"class without its own bound, a missing overall_timeout, and alert rules that page on a\n" +
			"single failure that is not late (found by evaluating every rule over enumerated runs).\n" +
			"Exit 0: no violation; 1: at least one; 2: the file is invalid.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if sla < 0 {
				return badInput(fmt.Errorf("policy check: --sla must not be negative"))
			}
			if clientRetries < 0 || clientRetries > maxClientRetries {
				return badInput(fmt.Errorf("policy check: --client-retries %d: want 0 to %d", clientRetries, maxClientRetries))
			}
			p, err := policies.Load(args[0])
			if err != nil {
				return fileErrors(cmd.ErrOrStderr(), err)
			}
			rep := check.Run(p, check.Options{SLA: sla, ClientRetries: clientRetries})
			if err := rep.Write(cmd.OutOrStdout()); err != nil {
				return infra(fmt.Errorf("policy check: write: %w", err))
			}
			if rep.Failed() {
				return failed(nil)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&sla, "sla", 0, "fail when an operation's worst-case wall time exceeds this")
	cmd.Flags().IntVar(&clientRetries, "client-retries", 0, "attempts a nested client makes per policy attempt (minio-go's default is 10)")
	return cmd
}

func newPolicySimulateCmd() *cobra.Command {
	var (
		seed   uint64
		trials int
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run Brooker's optimistic-concurrency backoff experiment for each jitter setting",
		Long: "simulate replays Marc Brooker's experiment in simulated time: 10 to 50 clients each\n" +
			"update one row once with optimistic concurrency, backing off (base 5ms, cap 2s) after a\n" +
			"lost race. It prints the mean conditional writes (calls) and completion time for no\n" +
			"jitter, equal, full and decorrelated jitter. The same --seed prints the same table.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if trials < 1 || trials > maxTrials {
				return badInput(fmt.Errorf("policy simulate: --trials %d: want 1 to %d", trials, maxTrials))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "seed %d, %d trials per cell, base 5ms, cap 2s\n", seed, trials)
			rows := jittersim.Table(jittersim.Config{Seed: seed, Trials: trials}, []int{10, 20, 30, 40, 50})
			if err := jittersim.Write(out, rows); err != nil {
				return infra(fmt.Errorf("policy simulate: write: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the simulation's RNG")
	cmd.Flags().IntVar(&trials, "trials", 100, "trials averaged per cell")
	return cmd
}
