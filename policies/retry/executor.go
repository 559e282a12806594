package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/failsafe-go/failsafe-go/timeout"
	"github.com/google/uuid"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/backoff"
	"github.com/gameday/gameday/policies/classify"
)

// Config holds what an Executor takes besides the policy. Every field has a
// documented default for its zero value.
type Config struct {
	// Logger receives one line per attempt and the breaker's state
	// changes. Nil discards them.
	Logger *slog.Logger
	// Rand draws every jitter. Nil means a PCG seeded with 0, so runs are
	// reproducible unless the caller seeds it (the pipeline uses
	// GAMEDAY_SEED). The Executor serialises its use.
	Rand *rand.Rand
	// Now reads the clock for Retry-After dates. Nil means time.Now.
	Now func() time.Time
	// NewID makes operation ids. Nil means random UUIDs.
	NewID func() string
	// Dependency names what the executor's operations talk to (e.g.
	// "storage"), for the breaker's log lines. A breaker guards one
	// dependency: use one Executor per dependency.
	Dependency string
}

// Executor runs operations under one policy. It holds the circuit breaker,
// which all its operations share, so use one Executor per dependency (one
// for the object store, one for each HTTP API). It is safe for concurrent
// use.
type Executor struct {
	retry      policies.Retry
	unknown    policies.Unknown
	classifier *classify.Classifier
	breaker    circuitbreaker.CircuitBreaker[any] // nil: no breaker
	log        *slog.Logger
	now        func() time.Time
	newID      func() string

	mu  sync.Mutex // guards rng
	rng *rand.Rand
}

// New returns an Executor for p, which must be a loaded (defaulted and
// validated) policy.
func New(p *policies.Policy, cfg Config) *Executor {
	e := &Executor{
		retry:      p.Retry,
		classifier: classify.New(p.Classify),
		log:        cfg.Logger,
		now:        cfg.Now,
		newID:      cfg.NewID,
		rng:        cfg.Rand,
	}
	if p.Classify.Unknown != nil {
		e.unknown = *p.Classify.Unknown
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = uuid.NewString
	}
	if e.rng == nil {
		e.rng = rand.New(rand.NewPCG(0, 0))
	}
	if b := p.Breaker; b != nil {
		e.breaker = circuitbreaker.NewBuilder[any]().
			HandleIf(func(_ any, err error) bool { return e.countsForBreaker(err) }).
			WithFailureThreshold(uint(max(1, b.FailureThreshold))).
			WithSuccessThreshold(uint(max(1, b.HalfOpenSuccesses))).
			WithDelay(b.OpenFor).
			OnStateChanged(func(ev circuitbreaker.StateChangedEvent) {
				e.log.Warn("breaker", "dependency", cfg.Dependency, "from", ev.OldState.String(), "to", ev.NewState.String())
			}).
			Build()
	}
	return e
}

// Breaker returns the executor's circuit breaker, nil when the policy has
// none.
func (e *Executor) Breaker() circuitbreaker.CircuitBreaker[any] { return e.breaker }

// Classify returns the class of err under the executor's policy.
func (e *Executor) Classify(err error) policies.Class { return e.classifier.Classify(err) }

// countsForBreaker says whether err is a failure of the dependency (not of
// the request): everything but permanent errors and an open breaker.
func (e *Executor) countsForBreaker(err error) bool {
	if err == nil || errors.Is(err, circuitbreaker.ErrOpen) {
		return false
	}
	return e.classifier.Classify(err) != policies.ClassPermanent
}

// Error is the failure of an operation after the policy gave up.
type Error struct {
	// Op names the operation.
	Op string
	// Class is the class of the last attempt's error.
	Class policies.Class
	// Attempts is the number of attempts that went on the wire.
	Attempts int
	// Err is the last attempt's error, or what ended the operation
	// (breaker open, overall timeout).
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s after %d attempt(s): %s", e.Op, e.Class, e.Attempts, classify.Describe(e.Err))
}

func (e *Error) Unwrap() error { return e.Err }

// Do runs fn as the operation op under the policy; see Get.
func (e *Executor) Do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	_, err := Get(ctx, e, op, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

// Get runs fn as the operation op under e's policy and returns its result.
// fn is called once per attempt with a context that carries the attempt's
// timeout and the operation's id (for Transport); it must honour it. On
// failure the error is an *Error with the class and the attempt count.
func Get[T any](ctx context.Context, e *Executor, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	st := &opState{e: e, name: op, op: &operation{id: e.newID()}}
	ctx = withOperation(ctx, st.op)

	rb := retrypolicy.NewBuilder[any]().
		WithMaxAttempts(max(1, e.retry.MaxAttempts)).
		WithDelayFunc(st.delay).
		AbortIf(func(_ any, err error) bool { return st.abort(err) }).
		ReturnLastFailure().
		OnRetryScheduled(func(ev failsafe.ExecutionScheduledEvent[any]) {
			st.logAttempt(ev.Delay)
		})
	if e.retry.OverallTimeout > 0 {
		rb = rb.WithMaxDuration(e.retry.OverallTimeout)
	}
	policyList := []failsafe.Policy[any]{}
	if e.retry.OverallTimeout > 0 {
		policyList = append(policyList, timeout.New[any](e.retry.OverallTimeout))
	}
	policyList = append(policyList, rb.Build())
	if e.breaker != nil {
		policyList = append(policyList, e.breaker)
	}
	if e.retry.AttemptTimeout > 0 {
		policyList = append(policyList, timeout.New[any](e.retry.AttemptTimeout))
	}

	res, err := failsafe.With(policyList...).WithContext(ctx).GetWithExecution(func(exec failsafe.Execution[any]) (any, error) {
		st.begin()
		v, err := fn(exec.Context())
		return v, err
	})
	if err == nil {
		st.logSuccess()
		v, _ := res.(T)
		return v, nil
	}
	ferr := st.fail(ctx, err)
	var zero T
	return zero, ferr
}

// opState is the bookkeeping of one operation.
type opState struct {
	e    *Executor
	name string
	op   *operation

	mu       sync.Mutex
	attempts int           // attempts that reached fn
	lastErr  error         // error of the last failed attempt as the policies saw it
	prev     time.Duration // previous backoff delay, for decorrelated jitter
}

func (s *opState) begin() {
	s.op.takeRetryAfter()
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
}

func (s *opState) snapshot() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts, s.lastErr
}

// abort decides, after each failed attempt, whether to give up at once.
func (s *opState) abort(err error) bool {
	if err == nil {
		return false
	}
	s.mu.Lock()
	if !errors.Is(err, circuitbreaker.ErrOpen) {
		s.lastErr = err
	}
	attempts := s.attempts
	s.mu.Unlock()
	if errors.Is(err, circuitbreaker.ErrOpen) {
		return true
	}
	switch s.e.classifier.Classify(err) {
	case policies.ClassPermanent:
		return true
	case policies.ClassUnknown:
		if s.e.unknown.Retry != nil && !*s.e.unknown.Retry {
			return true
		}
		return s.e.unknown.MaxAttempts > 0 && attempts >= s.e.unknown.MaxAttempts
	}
	return false
}

// delay is the failsafe DelayFunc: the jittered backoff, or the server's
// Retry-After when that is longer (capped).
func (s *opState) delay(exec failsafe.ExecutionAttempt[any]) time.Duration {
	s.mu.Lock()
	n := s.attempts - 1
	prev := s.prev
	s.mu.Unlock()

	s.e.mu.Lock()
	d := backoff.Delay(s.e.retry.Backoff, n, prev, s.e.rng)
	s.e.mu.Unlock()

	s.mu.Lock()
	s.prev = d
	s.mu.Unlock()

	header := s.op.takeRetryAfter()
	var se *classify.StatusError
	if errors.As(exec.LastError(), &se) && se.RetryAfter != "" {
		header = se.RetryAfter
	}
	if ra, ok := backoff.RetryAfter(s.e.retry.RetryAfter, header, s.e.now()); ok && ra > d {
		d = ra
	}
	return d
}

// describe is errText, naming the attempt timeout when that ended the
// attempt.
func (s *opState) describe(err error) string {
	if errors.Is(err, timeout.ErrExceeded) {
		return fmt.Sprintf("attempt timeout %s exceeded", s.e.retry.AttemptTimeout)
	}
	return errText(err)
}

func (s *opState) logAttempt(sleep time.Duration) {
	attempts, err := s.snapshot()
	s.e.log.Warn("attempt", "op", s.name, "attempt", attempts,
		"class", string(s.e.classifier.Classify(err)), "err", s.describe(err),
		"sleep", sleep.Round(time.Millisecond))
}

func (s *opState) logSuccess() {
	attempts, _ := s.snapshot()
	s.e.log.Info("attempt", "op", s.name, "attempt", attempts, "result", "ok")
}

// fail turns the executor's final error into an *Error and logs the last
// attempt.
func (s *opState) fail(ctx context.Context, err error) error {
	attempts, last := s.snapshot()
	cause := err
	switch {
	case ctx.Err() != nil:
		cause = fmt.Errorf("%w (last error: %v)", context.Cause(ctx), errText(last))
	case errors.Is(err, circuitbreaker.ErrOpen):
		cause = err
	case errors.Is(err, timeout.ErrExceeded) && last != nil && !errors.Is(last, timeout.ErrExceeded):
		// The overall timeout ended the operation during a sleep or an
		// attempt; keep the last real error.
		cause = fmt.Errorf("overall timeout %s exceeded: %w", s.e.retry.OverallTimeout, last)
	case errors.Is(err, timeout.ErrExceeded) && attempts < max(1, s.e.retry.MaxAttempts) && s.e.retry.OverallTimeout > 0:
		cause = fmt.Errorf("overall timeout %s exceeded: %w", s.e.retry.OverallTimeout, err)
	case errors.Is(err, timeout.ErrExceeded):
		cause = fmt.Errorf("attempt timeout %s exceeded: %w", s.e.retry.AttemptTimeout, err)
	case errors.Is(err, failsafe.ErrExecutionCanceled) && last != nil:
		cause = last
	}
	class := s.e.classifier.Classify(last)
	if last == nil {
		class = s.e.classifier.Classify(err)
	}
	if errors.Is(err, circuitbreaker.ErrOpen) && last == nil {
		// Only failures of the dependency open the breaker.
		class = policies.ClassTransient
	}
	if class == "" {
		class = policies.ClassUnknown
	}
	s.e.log.Warn("attempt", "op", s.name, "attempt", attempts,
		"class", string(class), "err", errText(cause), "sleep", time.Duration(0), "final", true)
	return &Error{Op: s.name, Class: class, Attempts: attempts, Err: cause}
}

func errText(err error) string { return classify.Describe(err) }

// ClassOf returns the class carried by an *Error in err's chain, else
// unknown (and "" for nil).
func ClassOf(err error) policies.Class {
	if err == nil {
		return ""
	}
	var re *Error
	if errors.As(err, &re) {
		return re.Class
	}
	return policies.ClassUnknown
}
