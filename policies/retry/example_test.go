package retry_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/retry"
)

// An operation that fails twice with S3 errors before it succeeds, run under
// a policy with a seeded RNG: the attempts, classes and jittered sleeps are
// the same on every run.
func Example() {
	p, err := policies.Parse("example.yaml", []byte(`
retry:
  max_attempts: 4
  backoff: {initial: 10ms, max: 80ms, multiplier: 2, jitter: equal}
`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Log attempts to stdout without timestamps, so the output is stable.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	ex := retry.New(p, retry.Config{Logger: log, Rand: rand.New(rand.NewPCG(42, 42))})

	answers := []error{
		minio.ErrorResponse{StatusCode: 503, Code: "SlowDown", Message: "Please reduce your request rate."},
		minio.ErrorResponse{StatusCode: 500, Code: "InternalError", Message: "We encountered an internal error."},
		nil,
	}
	calls := 0
	etag, err := retry.Get(context.Background(), ex, "put models/run-1/model.bin", func(ctx context.Context) (string, error) {
		calls++
		if err := answers[calls-1]; err != nil {
			return "", err
		}
		return "9b2cf535f27731c974343645a3985328", nil
	})
	fmt.Println(etag, err)

	_, err = retry.Get(context.Background(), ex, "get features/denied", func(ctx context.Context) ([]byte, error) {
		return nil, minio.ErrorResponse{StatusCode: 403, Code: "AccessDenied", Message: "Access Denied."}
	})
	fmt.Println(retry.ClassOf(err))
	// Output:
	// level=WARN msg=attempt op="put models/run-1/model.bin" attempt=1 class=throttled err="503 SlowDown: Please reduce your request rate." sleep=8ms
	// level=WARN msg=attempt op="put models/run-1/model.bin" attempt=2 class=transient err="500 InternalError: We encountered an internal error." sleep=14ms
	// level=INFO msg=attempt op="put models/run-1/model.bin" attempt=3 result=ok
	// 9b2cf535f27731c974343645a3985328 <nil>
	// level=WARN msg=attempt op="get features/denied" attempt=1 class=permanent err="403 AccessDenied: Access Denied." sleep=0s final=true
	// permanent
}
