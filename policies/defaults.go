package policies

import "time"

// The defaults Load applies to what a policy file leaves out.
const (
	DefaultMaxAttempts       = 5
	DefaultInitial           = time.Second
	DefaultMaxBackoff        = 20 * time.Second
	DefaultMultiplier        = 2.0
	DefaultJitter            = JitterFull
	DefaultAttemptTimeout    = 60 * time.Second
	DefaultOverallTimeout    = 6 * time.Minute
	DefaultRetryAfterCap     = 30 * time.Second
	DefaultUnknownAttempts   = 3
	DefaultFailureThreshold  = 5
	DefaultOpenFor           = 30 * time.Second
	DefaultHalfOpenSuccesses = 1
	DefaultCommitMarker      = "meta.json"
	DefaultAlertState        = "file"
)

// DefaultClassify returns the classification table of DESIGN.md, used for
// every class a policy file leaves out.
func DefaultClassify() Classify {
	yes := true
	return Classify{
		Transient: &ClassMatch{
			Status:  []int{500, 502, 503, 504},
			S3Codes: []string{"InternalError", "ServiceUnavailable", "RequestTimeout"},
			Errors:  []ErrorKind{ErrTimeout, ErrReset, ErrRefused, ErrEOF},
		},
		Throttled: &ClassMatch{
			Status:  []int{429},
			S3Codes: []string{"SlowDown", "Throttling"},
		},
		Permanent: &ClassMatch{
			Status:  []int{400, 401, 403, 404},
			S3Codes: []string{"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchKey", "NoSuchBucket"},
		},
		Unknown: &Unknown{Retry: &yes, MaxAttempts: DefaultUnknownAttempts},
	}
}

// Limits on what a policy may ask for. They are far above what any policy
// needs and guard against typos and hostile files that would make an
// operation retry, sleep or allocate without bound (a breaker threshold
// sizes a bitset; attempts size the loops of the executor and of
// `gameday policy check`).
const (
	// MaxAttempts caps retry.max_attempts and classify.unknown.max_attempts.
	MaxAttempts = 100
	// MaxThreshold caps breaker.failure_threshold and
	// breaker.half_open_successes.
	MaxThreshold = 1000
	// MaxMultiplier caps retry.backoff.multiplier.
	MaxMultiplier = 100.0
	// MaxDuration caps every duration of a policy.
	MaxDuration = 7 * 24 * time.Hour
	// MaxFileSize caps the size of a policy file.
	MaxFileSize = 256 << 10
)
