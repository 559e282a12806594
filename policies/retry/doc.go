// Package retry runs operations under a policy: failsafe-go's RetryPolicy,
// CircuitBreaker and Timeout policies, configured from a policies.Policy.
//
// The composition for one operation is
//
//	Timeout(overall, RetryPolicy(CircuitBreaker(Timeout(attempt, fn))))
//
// so each attempt has its own timeout, every attempt passes the breaker (an
// open breaker fails the operation at once, without touching the wire), and
// the whole operation, sleeps included, is bounded by the overall timeout.
// Errors are classified with policies/classify: permanent fails on the
// first attempt, unknown retries up to its own bound, transient and
// throttled up to retry.max_attempts. Delays come from policies/backoff
// with the Executor's seeded RNG, and a Retry-After (seconds or HTTP-date)
// replaces a shorter delay, up to its cap. Each attempt logs one line:
//
//	level=WARN msg=attempt op=get-features/day/part-0.bin attempt=2 class=transient err="503 SlowDown" sleep=1.23s
//
// Use it as:
//
//	ex := retry.New(p, retry.Config{Logger: log, Rand: rand.New(rand.NewPCG(seed, seed))})
//	body, err := retry.Get(ctx, ex, "get-schema", func(ctx context.Context) ([]byte, error) { ... })
//
// HTTP clients (minio-go included) take Transport so that every request of
// one operation carries the same X-Gameday-Operation header and the
// executor sees each response's Retry-After. When the policy retries, build
// minio-go clients with MaxRetries: 1 (see NewS3Client) so the attempts on the
// wire are exactly the policy's, and call DisableClientBackoff once at process
// start so minio-go adds no sleep of its own after a retryable answer: then the
// gaps between attempts are exactly the policy's delays.
package retry
