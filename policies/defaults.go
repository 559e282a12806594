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
