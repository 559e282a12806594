package harness_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/testenv"
	"github.com/gameday/gameday/scenarios"
)

const benchScenario = `name: bench-stack
seed: 1
targets:
  storage:
    kind: minio
    buckets: [features, models]
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["true"]
faults:
  - {name: one-503, target: storage, match: {path: "/features/*"}, action: {status: 503}, times: 1}
`

// benchEnv points the harness at the binaries and a private state home.
func benchEnv(b *testing.B) {
	b.Helper()
	b.Setenv("GAMEDAY_STATE_HOME", b.TempDir())
	if os.Getenv("GAMEDAY_BIN") == "" {
		bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(gexec.CleanupBuildArtifacts)
		b.Setenv("GAMEDAY_BIN", bin)
	}
	if os.Getenv("GAMEDAY_MINIO_BIN") == "" {
		m, err := testenv.MinIOBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Setenv("GAMEDAY_MINIO_BIN", m)
	}
}

// BenchmarkReadyStack measures the time from nothing to a ready stack: one
// MinIO (buckets created, versioning on), one stub, a proxy in front of
// each with faults armed, and the alert receiver. Targets: < 1 s on the
// process backend, < 2 s on docker.
func BenchmarkReadyStack(b *testing.B) {
	benchEnv(b)
	sc, err := scenarios.Load("bench.yaml", b.TempDir(), []byte(benchScenario))
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range []string{lifecycle.BackendProcess, lifecycle.BackendDocker} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			if backend == lifecycle.BackendDocker {
				// Say why early and clearly rather than fail in BootStack.
				run, err := lifecycle.NewRun("bench-probe", time.Now())
				if err != nil {
					b.Fatal(err)
				}
				_, err = lifecycle.NewBackend(ctx, backend, lifecycle.Options{Run: run})
				run.Close()
				if err != nil {
					b.Skip(err) // the docker specs, not the benchmark, insist in CI
				}
			}
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				s, err := harness.BootStack(ctx, sc, harness.StackOptions{Backend: backend, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				b.StopTimer()
				if err := s.Close(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
		})
	}
}
