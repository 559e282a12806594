// Package backoff computes the delays between attempts: exponential backoff
// with the jitter formulas of Marc Brooker's "Exponential Backoff and
// Jitter", and the server's Retry-After.
//
// Every function is pure: the randomness comes from the *rand.Rand the caller
// passes (seeded, e.g. from GAMEDAY_SEED), so tests call them directly:
//
//	rng := rand.New(rand.NewPCG(seed, seed))
//	var prev time.Duration
//	for n := 0; n < 4; n++ {
//		prev = backoff.Delay(p.Retry.Backoff, n, prev, rng)
//	}
package backoff

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/policies"
)

// Exponential returns min(b.Max, b.Initial × b.Multiplier^n), the delay
// before retry n+1 (n = 0 after the first failed attempt), without jitter.
func Exponential(b policies.Backoff, n int) time.Duration {
	if n < 0 {
		n = 0
	}
	v := float64(b.Initial) * math.Pow(b.Multiplier, float64(n))
	if b.Max > 0 && (v > float64(b.Max) || math.IsInf(v, 0) || math.IsNaN(v)) {
		return b.Max
	}
	return time.Duration(v)
}

// Full is full jitter: uniform(0, v).
func Full(v time.Duration, rng *rand.Rand) time.Duration {
	if v <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(v) + 1))
}

// Equal is equal jitter: v/2 + uniform(0, v/2).
func Equal(v time.Duration, rng *rand.Rand) time.Duration {
	if v <= 0 {
		return 0
	}
	half := v / 2
	return half + time.Duration(rng.Int64N(int64(v-half)+1))
}

// Decorrelated is decorrelated jitter: min(ceiling, uniform(base, prev × 3)).
// A prev below base (e.g. 0 before the first retry) counts as base.
func Decorrelated(base, ceiling, prev time.Duration, rng *rand.Rand) time.Duration {
	if prev < base {
		prev = base
	}
	hi := prev * 3
	if hi < prev { // overflow
		hi = math.MaxInt64
	}
	d := base
	if hi > base {
		d = base + time.Duration(rng.Int64N(int64(hi-base)+1))
	}
	if ceiling > 0 && d > ceiling {
		d = ceiling
	}
	return d
}

// Delay returns the delay before retry n+1 under b: the exponential value
// with b.Jitter applied. prev is the previous delay this function returned
// for the same operation (0 before the first retry); only decorrelated
// jitter uses it.
func Delay(b policies.Backoff, n int, prev time.Duration, rng *rand.Rand) time.Duration {
	switch b.Jitter {
	case policies.JitterNone:
		return Exponential(b, n)
	case policies.JitterEqual:
		return Equal(Exponential(b, n), rng)
	case policies.JitterDecorrelated:
		return Decorrelated(b.Initial, b.Max, prev, rng)
	default: // full, the default
		return Full(Exponential(b, n), rng)
	}
}

// ParseRetryAfter parses a Retry-After header value, either whole seconds
// ("120") or an HTTP-date, into the delay it asks for from now. A date in
// the past is 0. ok is false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d = t.Sub(now); d < 0 {
		d = 0
	}
	return d, true
}

// RetryAfter returns the delay a Retry-After value asks for, capped at
// ra.Cap, and whether it applies (ra.Honor and a valid value).
func RetryAfter(ra policies.RetryAfter, header string, now time.Time) (time.Duration, bool) {
	if !ra.Honor {
		return 0, false
	}
	d, ok := ParseRetryAfter(header, now)
	if !ok {
		return 0, false
	}
	if ra.Cap > 0 && d > ra.Cap {
		d = ra.Cap
	}
	return d, true
}
