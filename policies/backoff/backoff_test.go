package backoff_test

import (
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/backoff"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

var b = policies.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}

var _ = Describe("Exponential", func() {
	DescribeTable("is min(max, initial × multiplier^n)", func(n int, want time.Duration) {
		Expect(backoff.Exponential(b, n)).To(Equal(want))
	},
		Entry("n=0", 0, 100*time.Millisecond),
		Entry("n=1", 1, 200*time.Millisecond),
		Entry("n=3", 3, 800*time.Millisecond),
		Entry("n=4", 4, 1600*time.Millisecond),
		Entry("n=5 is capped", 5, 2*time.Second),
		Entry("n=500 is capped, no overflow", 500, 2*time.Second),
		Entry("negative n counts as 0", -1, 100*time.Millisecond),
	)
	It("grows by a non-integer multiplier", func() {
		Expect(backoff.Exponential(policies.Backoff{Initial: time.Second, Max: time.Hour, Multiplier: 1.5}, 2)).To(Equal(2250 * time.Millisecond))
	})
})

// draws runs f n times and returns the results.
func draws(n int, f func() time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = f()
	}
	return out
}

func mean(ds []time.Duration) float64 {
	var s float64
	for _, d := range ds {
		s += float64(d)
	}
	return s / float64(len(ds))
}

var _ = Describe("jitter", func() {
	const n = 20000
	v := time.Second

	It("full: uniform(0, v) — bounds, mean v/2, spread over the whole range", func() {
		rng := seeded(1)
		ds := draws(n, func() time.Duration { return backoff.Full(v, rng) })
		for _, d := range ds {
			Expect(d).To(BeNumerically(">=", 0))
			Expect(d).To(BeNumerically("<=", v))
		}
		Expect(mean(ds)).To(BeNumerically("~", float64(v)/2, float64(v)*0.02))
		// every tenth of the range gets about a tenth of the draws
		var buckets [10]int
		for _, d := range ds {
			buckets[min(9, int(d*10/v))]++
		}
		for _, c := range buckets {
			Expect(c).To(BeNumerically("~", n/10, n/50))
		}
	})

	It("equal: v/2 + uniform(0, v/2) — never below half, mean 3v/4", func() {
		rng := seeded(2)
		ds := draws(n, func() time.Duration { return backoff.Equal(v, rng) })
		for _, d := range ds {
			Expect(d).To(BeNumerically(">=", v/2))
			Expect(d).To(BeNumerically("<=", v))
		}
		Expect(mean(ds)).To(BeNumerically("~", float64(v)*0.75, float64(v)*0.02))
	})

	It("decorrelated: min(cap, uniform(base, prev × 3)) — bounds follow prev", func() {
		rng := seeded(3)
		base, ceiling := 100*time.Millisecond, 10*time.Second
		prev := time.Duration(0)
		for range n {
			d := backoff.Decorrelated(base, ceiling, prev, rng)
			lo, hi := base, max(base, prev)*3
			Expect(d).To(BeNumerically(">=", lo))
			Expect(d).To(BeNumerically("<=", min(hi, ceiling)))
			prev = d
		}
		// from a fixed prev, the mean is (base + 3 prev) / 2
		ds := draws(n, func() time.Duration { return backoff.Decorrelated(base, ceiling, time.Second, rng) })
		Expect(mean(ds)).To(BeNumerically("~", float64(base+3*time.Second)/2, float64(time.Second)*0.05))
	})

	It("decorrelated is capped", func() {
		rng := seeded(4)
		for range 1000 {
			Expect(backoff.Decorrelated(time.Second, 2*time.Second, time.Minute, rng)).To(BeNumerically("<=", 2*time.Second))
		}
	})

	It("zero and negative values draw nothing", func() {
		rng := seeded(5)
		Expect(backoff.Full(0, rng)).To(BeZero())
		Expect(backoff.Equal(-time.Second, rng)).To(BeZero())
	})

	It("is reproducible: the same seed gives the same delays", func() {
		run := func(seed uint64) []time.Duration {
			rng := seeded(seed)
			var prev time.Duration
			out := []time.Duration{}
			for _, j := range []policies.Jitter{policies.JitterFull, policies.JitterEqual, policies.JitterDecorrelated} {
				bb := b
				bb.Jitter = j
				for n := range 5 {
					prev = backoff.Delay(bb, n, prev, rng)
					out = append(out, prev)
				}
			}
			return out
		}
		Expect(run(42)).To(Equal(run(42)))
		Expect(run(42)).NotTo(Equal(run(43)))
	})

	It("none is the plain exponential value", func() {
		bb := b
		bb.Jitter = policies.JitterNone
		for n := range 8 {
			Expect(backoff.Delay(bb, n, 0, seeded(6))).To(Equal(backoff.Exponential(b, n)))
		}
	})

	It("Delay dispatches on the policy's jitter and stays within the exponential value", func() {
		rng := seeded(7)
		for _, j := range []policies.Jitter{policies.JitterFull, policies.JitterEqual} {
			bb := b
			bb.Jitter = j
			for n := range 8 {
				d := backoff.Delay(bb, n, 0, rng)
				Expect(d).To(BeNumerically("<=", backoff.Exponential(b, n)))
				if j == policies.JitterEqual {
					Expect(d).To(BeNumerically(">=", backoff.Exponential(b, n)/2))
				}
			}
		}
	})
})

var _ = Describe("Retry-After", func() {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	DescribeTable("ParseRetryAfter", func(v string, want time.Duration, ok bool) {
		d, gotOK := backoff.ParseRetryAfter(v, now)
		Expect(gotOK).To(Equal(ok))
		Expect(d).To(Equal(want))
	},
		Entry("seconds", "2", 2*time.Second, true),
		Entry("seconds with spaces", " 120 ", 2*time.Minute, true),
		Entry("zero", "0", time.Duration(0), true),
		Entry("HTTP-date (IMF-fixdate) in the future", "Fri, 27 Nov 2026 12:00:30 GMT", 30*time.Second, true),
		Entry("HTTP-date (RFC 850)", "Friday, 27-Nov-26 12:01:00 GMT", time.Minute, true),
		Entry("HTTP-date (asctime)", "Fri Nov 27 12:00:05 2026", 5*time.Second, true),
		Entry("HTTP-date in the past is 0", "Fri, 27 Nov 2026 11:00:00 GMT", time.Duration(0), true),
		Entry("empty", "", time.Duration(0), false),
		Entry("negative", "-5", time.Duration(0), false),
		Entry("fraction", "1.5", time.Duration(0), false),
		Entry("garbage", "soon", time.Duration(0), false),
		Entry("huge does not overflow", "99999999999999999", time.Duration(1<<63-1), true),
	)

	DescribeTable("RetryAfter honours up to the cap", func(ra policies.RetryAfter, v string, want time.Duration, ok bool) {
		d, gotOK := backoff.RetryAfter(ra, v, now)
		Expect(gotOK).To(Equal(ok))
		Expect(d).To(Equal(want))
	},
		Entry("below the cap", policies.RetryAfter{Honor: true, Cap: 30 * time.Second}, "2", 2*time.Second, true),
		Entry("above the cap is capped", policies.RetryAfter{Honor: true, Cap: 30 * time.Second}, "3600", 30*time.Second, true),
		Entry("a date above the cap is capped", policies.RetryAfter{Honor: true, Cap: 10 * time.Second}, "Fri, 27 Nov 2026 13:00:00 GMT", 10*time.Second, true),
		Entry("not honoured", policies.RetryAfter{Honor: false, Cap: 30 * time.Second}, "2", time.Duration(0), false),
		Entry("malformed", policies.RetryAfter{Honor: true, Cap: 30 * time.Second}, "later", time.Duration(0), false),
	)
})
