package retry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/classify"
	"github.com/gameday/gameday/policies/retry"
)

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) lines(match string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if strings.Contains(line, match) {
			out = append(out, line)
		}
	}
	return out
}

func testPolicy() *policies.Policy {
	p, err := policies.Parse("test.yaml", []byte(`
retry:
  max_attempts: 5
  backoff: {initial: 2ms, max: 20ms, multiplier: 2, jitter: full}
  attempt_timeout: 1s
  overall_timeout: 10s
  retry_after: {honor: true, cap: 150ms}
`), nil)
	if err != nil {
		panic(err)
	}
	return p
}

func newExec(p *policies.Policy, seed uint64) (*retry.Executor, *logBuf) {
	lb := &logBuf{}
	log := slog.New(slog.NewTextHandler(lb, nil))
	return retry.New(p, retry.Config{Logger: log, Rand: rand.New(rand.NewPCG(seed, seed))}), lb
}

// failing returns an operation that fails with errs in turn, then succeeds.
func failing(calls *atomic.Int32, errs ...error) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		n := int(calls.Add(1))
		if n <= len(errs) {
			return "", errs[n-1]
		}
		return "ok", nil
	}
}

var (
	slowDown = minio.ErrorResponse{StatusCode: 503, Code: "SlowDown", Message: "Please reduce your request rate."}
	unavail  = minio.ErrorResponse{StatusCode: 503, Code: "ServiceUnavailable"}
	denied   = minio.ErrorResponse{StatusCode: 403, Code: "AccessDenied"}
)

var _ = Describe("Executor", func() {
	ctx := context.Background()

	It("retries transient errors and succeeds, one log line per attempt", func() {
		ex, lb := newExec(testPolicy(), 1)
		var calls atomic.Int32
		v, err := retry.Get(ctx, ex, "get-x", failing(&calls, unavail, unavail))
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal("ok"))
		Expect(calls.Load()).To(Equal(int32(3)))
		lines := lb.lines("msg=attempt")
		Expect(lines).To(HaveLen(3))
		Expect(lines[0]).To(MatchRegexp(`op=get-x attempt=1 class=transient err="[^"]*ServiceUnavailable[^"]*" sleep=[0-9.]+m?s`))
		Expect(lines[1]).To(ContainSubstring("attempt=2 class=transient"))
		Expect(lines[2]).To(ContainSubstring("attempt=3 result=ok"))
	})

	It("fails a permanent error on its first attempt", func() {
		ex, lb := newExec(testPolicy(), 1)
		var calls atomic.Int32
		_, err := retry.Get(ctx, ex, "put-x", failing(&calls, denied, denied))
		Expect(calls.Load()).To(Equal(int32(1)))
		var re *retry.Error
		Expect(errors.As(err, &re)).To(BeTrue())
		Expect(re.Class).To(Equal(policies.ClassPermanent))
		Expect(re.Attempts).To(Equal(1))
		Expect(errors.Is(err, denied)).To(BeTrue())
		Expect(lb.lines("msg=attempt")).To(ConsistOf(ContainSubstring("attempt=1 class=permanent")))
	})

	It("gives up after max_attempts with the last class", func() {
		ex, _ := newExec(testPolicy(), 1)
		var calls atomic.Int32
		_, err := retry.Get(ctx, ex, "get-x", failing(&calls, slowDown, slowDown, slowDown, slowDown, slowDown, slowDown))
		Expect(calls.Load()).To(Equal(int32(5)))
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassThrottled))
		Expect(err.Error()).To(HavePrefix("get-x: throttled after 5 attempt(s): "))
	})

	It("retries unknown errors only up to their own bound", func() {
		p := testPolicy() // unknown: retry, max_attempts 3 (default)
		ex, _ := newExec(p, 1)
		var calls atomic.Int32
		odd := errors.New("something odd")
		_, err := retry.Get(ctx, ex, "x", failing(&calls, odd, odd, odd, odd, odd))
		Expect(calls.Load()).To(Equal(int32(3)))
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassUnknown))

		no := false
		p.Classify.Unknown.Retry = &no
		ex, _ = newExec(p, 1)
		calls.Store(0)
		_, err = retry.Get(ctx, ex, "x", failing(&calls, odd, odd))
		Expect(calls.Load()).To(Equal(int32(1)))
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassUnknown))
	})

	It("draws the same sleeps from the same seed, and others from another", func() {
		sleeps := func(seed uint64) []string {
			ex, lb := newExec(testPolicy(), seed)
			var calls atomic.Int32
			_, _ = retry.Get(ctx, ex, "x", failing(&calls, unavail, unavail, unavail, unavail))
			var out []string
			re := regexp.MustCompile(`sleep=(\S+)`)
			for _, l := range lb.lines("class=transient") {
				out = append(out, re.FindStringSubmatch(l)[1])
			}
			return out
		}
		a := sleeps(7)
		Expect(a).To(HaveLen(4))
		Expect(sleeps(7)).To(Equal(a))
		Expect(sleeps(8)).NotTo(Equal(a))
	})

	It("honours Retry-After in seconds up to the cap", func() {
		ex, lb := newExec(testPolicy(), 1)
		var calls atomic.Int32
		start := time.Now()
		_, err := retry.Get(ctx, ex, "x", failing(&calls,
			&classify.StatusError{StatusCode: 429, RetryAfter: "3600"}))
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically(">=", 150*time.Millisecond))
		Expect(lb.lines("class=throttled")[0]).To(ContainSubstring("sleep=150ms"))
	})

	It("honours an HTTP-date Retry-After against the injected clock", func() {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		lb := &logBuf{}
		ex := retry.New(testPolicy(), retry.Config{Logger: slog.New(slog.NewTextHandler(lb, nil)), Now: func() time.Time { return now }})
		var calls atomic.Int32
		_, err := retry.Get(ctx, ex, "x", failing(&calls,
			&classify.StatusError{StatusCode: 503, RetryAfter: now.Add(100 * time.Millisecond).Format(http.TimeFormat)}))
		Expect(err).NotTo(HaveOccurred())
		// HTTP dates have whole seconds: +100ms formats as the same second → 0, backoff applies
		Expect(lb.lines("class=transient")[0]).NotTo(ContainSubstring("sleep=150ms"))
		calls.Store(0)
		_, err = retry.Get(ctx, ex, "x", failing(&calls,
			&classify.StatusError{StatusCode: 503, RetryAfter: now.Add(time.Minute).Format(http.TimeFormat)}))
		Expect(err).NotTo(HaveOccurred())
		Expect(lb.lines("class=transient")[1]).To(ContainSubstring("sleep=150ms"))
	})

	It("ignores Retry-After when the policy does not honour it", func() {
		p := testPolicy()
		p.Retry.RetryAfter.Honor = false
		ex, lb := newExec(p, 1)
		var calls atomic.Int32
		_, err := retry.Get(ctx, ex, "x", failing(&calls, &classify.StatusError{StatusCode: 429, RetryAfter: "3600"}))
		Expect(err).NotTo(HaveOccurred())
		Expect(lb.lines("class=throttled")[0]).NotTo(ContainSubstring("sleep=150ms"))
	})

	It("bounds each attempt by attempt_timeout and retries it as a transient timeout", func() {
		p := testPolicy()
		p.Retry.AttemptTimeout = 30 * time.Millisecond
		ex, lb := newExec(p, 1)
		var calls atomic.Int32
		v, err := retry.Get(ctx, ex, "slow", func(ctx context.Context) (string, error) {
			if calls.Add(1) < 3 {
				<-ctx.Done()
				return "", ctx.Err()
			}
			return "ok", nil
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal("ok"))
		Expect(calls.Load()).To(Equal(int32(3)))
		Expect(lb.lines("class=transient")).To(HaveLen(2))
		Expect(lb.lines("class=transient")[0]).To(ContainSubstring(`err="attempt timeout 30ms exceeded"`))

		calls.Store(0)
		p.Retry.MaxAttempts = 2
		ex, _ = newExec(p, 1)
		_, err = retry.Get(ctx, ex, "slow", func(ctx context.Context) (string, error) {
			calls.Add(1)
			<-ctx.Done()
			return "", ctx.Err()
		})
		Expect(calls.Load()).To(Equal(int32(2)))
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassTransient))
		Expect(err).To(MatchError(ContainSubstring("attempt timeout 30ms exceeded")))
	})

	It("stops at overall_timeout, keeping the last error", func() {
		p := testPolicy()
		p.Retry.MaxAttempts = 1000
		p.Retry.OverallTimeout = 120 * time.Millisecond
		ex, _ := newExec(p, 1)
		var calls atomic.Int32
		start := time.Now()
		_, err := retry.Get(ctx, ex, "x", func(context.Context) (string, error) {
			calls.Add(1)
			return "", unavail
		})
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		Expect(err).To(HaveOccurred())
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassTransient))
		Expect(calls.Load()).To(BeNumerically(">", 2))
		Expect(calls.Load()).To(BeNumerically("<", 1000))
	})

	It("stops when the caller's context ends", func() {
		ex, _ := newExec(testPolicy(), 1)
		cctx, cancel := context.WithCancel(ctx)
		var calls atomic.Int32
		_, err := retry.Get(cctx, ex, "x", func(context.Context) (string, error) {
			if calls.Add(1) == 2 {
				cancel()
			}
			return "", unavail
		})
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, context.Canceled)).To(BeTrue())
		Expect(calls.Load()).To(Equal(int32(2)))
	})
})

var _ = Describe("circuit breaker", func() {
	ctx := context.Background()

	breakerPolicy := func() *policies.Policy {
		p := testPolicy()
		p.Retry.MaxAttempts = 1
		p.Breaker = &policies.Breaker{FailureThreshold: 3, OpenFor: time.Second, HalfOpenSuccesses: 2}
		return p
	}

	It("opens after N consecutive failures, fails fast while open, half-opens after open_for, closes after the probes", func() {
		ex, lb := newExec(breakerPolicy(), 1)
		cb := ex.Breaker()
		Expect(cb.IsClosed()).To(BeTrue())
		var calls atomic.Int32
		fail := func(context.Context) (string, error) { calls.Add(1); return "", unavail }
		ok := func(context.Context) (string, error) { calls.Add(1); return "ok", nil }

		for range 2 {
			_, _ = retry.Get(ctx, ex, "x", fail)
		}
		Expect(cb.IsClosed()).To(BeTrue(), "2 failures < threshold 3")
		_, _ = retry.Get(ctx, ex, "x", fail)
		Expect(cb.IsOpen()).To(BeTrue())
		Expect(calls.Load()).To(Equal(int32(3)))

		// open: fails fast, fn is never called
		_, err := retry.Get(ctx, ex, "x", ok)
		Expect(errors.Is(err, circuitbreaker.ErrOpen)).To(BeTrue())
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassTransient))
		Expect(calls.Load()).To(Equal(int32(3)))

		// after open_for: half-open probes go through
		Eventually(cb.RemainingDelay).WithTimeout(5 * time.Second).WithPolling(10 * time.Millisecond).Should(BeZero())
		_, err = retry.Get(ctx, ex, "x", ok)
		Expect(err).NotTo(HaveOccurred())
		Expect(cb.IsHalfOpen()).To(BeTrue(), "needs 2 successful probes")
		_, err = retry.Get(ctx, ex, "x", ok)
		Expect(err).NotTo(HaveOccurred())
		Expect(cb.IsClosed()).To(BeTrue())
		Expect(calls.Load()).To(Equal(int32(5)))

		Expect(lb.lines("msg=breaker")).To(HaveExactElements(
			ContainSubstring("from=closed to=open"),
			ContainSubstring("from=open to=half-open"),
			ContainSubstring("from=half-open to=closed"),
		))
	})

	It("re-opens when a half-open probe fails, and logs every state change", func() {
		ex, lb := newExec(breakerPolicy(), 1)
		cb := ex.Breaker()
		fail := func(context.Context) (string, error) { return "", unavail }
		for range 3 {
			_, _ = retry.Get(ctx, ex, "x", fail)
		}
		Expect(cb.IsOpen()).To(BeTrue())
		Eventually(cb.RemainingDelay).WithTimeout(5 * time.Second).WithPolling(10 * time.Millisecond).Should(BeZero())
		_, _ = retry.Get(ctx, ex, "x", fail)
		Expect(cb.IsOpen()).To(BeTrue())
		Expect(lb.lines("msg=breaker")).To(ConsistOf(
			ContainSubstring("from=closed to=open"),
			ContainSubstring("from=open to=half-open"),
			ContainSubstring("from=half-open to=open"),
		))
	})

	It("does not count permanent errors as dependency failures", func() {
		ex, _ := newExec(breakerPolicy(), 1)
		for range 5 {
			_, _ = retry.Get(ctx, ex, "x", func(context.Context) (string, error) { return "", denied })
		}
		Expect(ex.Breaker().IsClosed()).To(BeTrue())
	})

	It("is absent when the policy has none", func() {
		ex, _ := newExec(testPolicy(), 1)
		Expect(ex.Breaker()).To(BeNil())
	})
})

var _ = Describe("Transport", func() {
	It("stamps every attempt of one operation with the same id, and honours the server's Retry-After", func() {
		var mu sync.Mutex
		var ids []string
		var starts []time.Time
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ids = append(ids, r.Header.Get(retry.OperationHeader))
			starts = append(starts, time.Now())
			mu.Unlock()
			if n.Add(1)%2 == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		DeferCleanup(srv.Close)
		client := &http.Client{Transport: &retry.Transport{}}
		ex, _ := newExec(testPolicy(), 1)
		get := func(ctx context.Context) (int, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			resp, err := client.Do(req)
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				// no RetryAfter in the error: the transport must supply it
				return 0, &classify.StatusError{Method: "GET", URL: srv.URL, StatusCode: resp.StatusCode}
			}
			return resp.StatusCode, nil
		}
		for range 2 {
			_, err := retry.Get(context.Background(), ex, "get", get)
			Expect(err).NotTo(HaveOccurred())
		}
		mu.Lock()
		defer mu.Unlock()
		Expect(ids).To(HaveLen(4))
		Expect(ids[0]).NotTo(BeEmpty())
		Expect(ids[1]).To(Equal(ids[0]))
		Expect(ids[2]).To(Equal(ids[3]))
		Expect(ids[2]).NotTo(Equal(ids[0]))
		Expect(starts[1].Sub(starts[0])).To(BeNumerically(">=", 150*time.Millisecond), "Retry-After 1s capped at 150ms")
	})

	It("leaves requests outside an operation alone", func() {
		got := make(chan string, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.Header.Get(retry.OperationHeader)
		}))
		DeferCleanup(srv.Close)
		resp, err := (&http.Client{Transport: &retry.Transport{}}).Get(srv.URL)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(<-got).To(BeEmpty())
	})
})
