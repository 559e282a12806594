package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/pipeline"
	"github.com/gameday/gameday/policies/retry"
)

func newPipelineCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pipeline",
		Short: "Run the reference pipeline step (feature read → feature API → train → idempotent model write → alerts)",
		Long: `Run the reference pipeline step once, configured by the workload environment:

  GAMEDAY_RUN_ID            run id; artifacts go to <models>/<run_id>/ (required)
  GAMEDAY_S3_ENDPOINT       object store URL (or AWS_ENDPOINT_URL), with
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
  GAMEDAY_POLICY            policy file (default: the built-in policies/default.yaml)
  GAMEDAY_SEED              seeds every jitter draw (default: random, logged);
  GAMEDAY_ATTEMPT           with GAMEDAY_RUN_ID, picks this run's stream of it
  GAMEDAY_FEATURES          inputs, bucket[/prefix] (default: bucket features)
  GAMEDAY_MODELS            artifacts, bucket[/prefix] (default: bucket models)
  GAMEDAY_FEATURE_API_URL   feature API; GET /v1/schema and POST /v1/runs (skipped when unset)
  GAMEDAY_STATE_DIR, GAMEDAY_SCHEDULED_AT, GAMEDAY_RUN_STARTED_AT, GAMEDAY_SLA,
  GAMEDAY_ALERT_URL, GAMEDAY_PAGERDUTY_URL   alert state, logical time and receivers

Logs are logfmt lines on stderr; the last one is result=success, or
result=failure with class=transient|throttled|permanent|unknown and err.
Exit 0 on success (also when the run's commit marker already exists), 1 on
failure, 2 on a bad environment or policy file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// First, before any minio-go client exists: minio-go's own
			// post-attempt sleep would add 0–200 ms of jitter to every
			// policy delay on the wire.
			retry.DisableClientBackoff()
			stderr := cmd.ErrOrStderr()
			cfg, err := pipeline.ConfigFromEnv(os.Getenv)
			if err != nil {
				return badInput(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := pipeline.Run(ctx, cfg, pipeline.Options{Log: stderr, AfterRun: pipeline.NotifyAlerts(cfg, stderr)})
			if !out.Success {
				return failed(nil)
			}
			return nil
		},
	}
}
