// Package check is the static analysis behind `gameday policy check`: it
// computes what a policy allows in the worst case (attempts per operation,
// with a nested client's retries; wall time from capped backoff and attempt
// timeouts) and flags what the primer warns against: no jitter, permanent
// errors that are retried, an unknown class without a bound of its own, no
// overall timeout, a worst case beyond the SLA, and alert rules that page
// on a single failure that is not late. Alert rules are judged by
// evaluating them over enumerated inputs, not by reading their text.
//
//	p, err := policies.Load(file)
//	rep := check.Run(p, check.Options{SLA: 10 * time.Minute})
//	rep.Write(os.Stdout)
//	if rep.Failed() { ... }
package check

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/alerting/condition"
	"github.com/gameday/gameday/policies/classify"
)

// Options tune the check.
type Options struct {
	// SLA, when positive, must bound the worst-case wall time of an
	// operation.
	SLA time.Duration
	// ClientRetries is the attempts a nested client makes per policy
	// attempt (minio-go's default is 10); 0 or 1 means none.
	ClientRetries int
	// Explicit reports whether a dotted key (e.g. retry.overall_timeout) is
	// written in the file, as opposed to filled in by a default. Nil means
	// the policy's own Written (what its loader saw).
	Explicit func(key string) bool
}

// Operation is the worst case of an operation whose errors fall in one
// class.
type Operation struct {
	Class policies.Class
	// Retried reports whether the class is retried at all.
	Retried bool
	// Attempts is the most attempts the policy makes; WireAttempts
	// multiplies it by the nested client's retries.
	Attempts, WireAttempts int
	// Sleep is the sum of the longest sleeps between the attempts.
	Sleep time.Duration
	// Wall is Attempts × attempt_timeout + Sleep; Bound is Wall capped by
	// overall_timeout.
	Wall, Bound time.Duration
}

// Rule is what the enumeration found about one alert rule.
type Rule struct {
	Name     string
	Severity policies.Severity
	// FiresAt is the smallest number of failed runs in a row (not late)
	// at which the rule fires for some error class; 0 = never within 10.
	FiresAt int
	// LateAt is the smallest lateness (1ms resolution, on a successful
	// run) at which it fires; 0 = never within 7 days.
	LateAt time.Duration
	// SingleFailure holds the first enumerated input of one failed, not
	// late run that makes it fire ("" = none).
	SingleFailure string
	// Error is the first error the rule's condition gave when evaluated
	// (one line; "" = none), and ErrorAt the input that gave it. Such a
	// rule compiles but does not fire for that input at run time.
	Error, ErrorAt string
}

// Finding is one check's verdict.
type Finding struct {
	Check  string
	OK     bool
	Detail string
}

// Report is the check's result.
type Report struct {
	File       string
	Policy     *policies.Policy
	Options    Options
	Operations []Operation
	Rules      []Rule
	Findings   []Finding
}

// Failed reports whether any finding is a violation.
func (r Report) Failed() bool { return len(r.Violations()) > 0 }

// Violations returns the findings that failed.
func (r Report) Violations() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.OK {
			out = append(out, f)
		}
	}
	return out
}

// wellKnownPermanent are errors no retry can fix, whatever a policy says.
var wellKnownPermanent = policies.DefaultClassify().Permanent

// exactSleeps bounds the sleeps sleepSum works out one by one. A loaded
// policy has at most policies.MaxAttempts attempts; a policy built in Go
// may have any number, and past this many each further sleep counts at its
// upper bound.
const exactSleeps = 10_000

// sleepSum returns the sum of the longest sleeps before each of the
// retries, saturating at the largest Duration. It allocates nothing and
// runs in time bounded by exactSleeps, whatever the policy says.
func sleepSum(r policies.Retry, retries int, throttled bool) time.Duration {
	b := r.Backoff
	var floor time.Duration
	if r.RetryAfter.Honor && throttled {
		floor = r.RetryAfter.Cap
	}
	var sum time.Duration
	decor := b.Initial
	v := float64(b.Initial) // initial × multiplier^n until it reaches max
	n := 0
	for ; n < retries && n < exactSleeps; n++ {
		var d time.Duration
		switch b.Jitter {
		case policies.JitterDecorrelated:
			// uniform(base, prev × 3) capped: the bound triples each time.
			decor = min(b.Max, satMul(decor, 3))
			d = decor
		default: // full and equal jitter never exceed the exponential value
			if v >= float64(b.Max) {
				d = b.Max
			} else {
				d = time.Duration(v)
				v *= b.Multiplier
			}
		}
		sum = satAdd(sum, max(d, floor))
	}
	if n < retries {
		sum = satAdd(sum, satMul(max(b.Max, floor), retries-n))
	}
	return sum
}

// satAdd returns a+b for non-negative durations, or the largest Duration
// when that overflows.
func satAdd(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul returns d×n for non-negative d and n, or the largest Duration
// when that overflows.
func satMul(d time.Duration, n int) time.Duration {
	if d > 0 && n > 0 && int64(n) > math.MaxInt64/int64(d) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}

// satMulInt returns a×b for non-negative ints, or the largest int when
// that overflows.
func satMulInt(a, b int) int {
	if a > 0 && b > 0 && a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

// classOf classifies an HTTP status or an S3 code under p.
func classOf(p *policies.Policy, status int, code string) policies.Class {
	c := classify.New(p.Classify)
	return c.Classify(&classify.StatusError{Method: "GET", URL: "/", StatusCode: status, Code: code})
}

func retried(p *policies.Policy, class policies.Class) (bool, int) {
	r := p.Retry
	switch class {
	case policies.ClassPermanent:
		return false, 1
	case policies.ClassUnknown:
		u := p.Classify.Unknown
		if u == nil || u.Retry == nil || !*u.Retry {
			return false, 1
		}
		n := min(u.MaxAttempts, r.MaxAttempts)
		return n > 1, n
	default:
		return r.MaxAttempts > 1, r.MaxAttempts
	}
}

// Run checks p.
func Run(p *policies.Policy, opts Options) Report {
	if opts.Explicit == nil {
		opts.Explicit = p.Written
	}
	rep := Report{File: p.File, Policy: p, Options: opts}
	add := func(check string, ok bool, format string, args ...any) {
		rep.Findings = append(rep.Findings, Finding{Check: check, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	r := p.Retry
	clientRetries := max(1, opts.ClientRetries)

	// Worst cases per class.
	for _, class := range []policies.Class{policies.ClassTransient, policies.ClassThrottled, policies.ClassUnknown, policies.ClassPermanent} {
		ok, attempts := retried(p, class)
		op := Operation{Class: class, Retried: ok, Attempts: attempts, WireAttempts: satMulInt(attempts, clientRetries)}
		op.Sleep = sleepSum(r, attempts-1, class == policies.ClassThrottled || class == policies.ClassTransient)
		op.Wall = satAdd(satMul(r.AttemptTimeout, attempts), op.Sleep)
		op.Bound = op.Wall
		if r.OverallTimeout > 0 {
			op.Bound = min(op.Wall, r.OverallTimeout)
		}
		rep.Operations = append(rep.Operations, op)
	}
	worst := rep.Operations[0]
	for _, op := range rep.Operations {
		if op.Bound > worst.Bound {
			worst = op
		}
	}

	// Jitter.
	if r.Backoff.Jitter == policies.JitterNone {
		add("jitter", false, "no jitter: every client retries in lockstep after a shared failure (see the jitter simulation); use full, equal or decorrelated")
	} else {
		add("jitter", true, "%s jitter", r.Backoff.Jitter)
	}

	// Overall timeout and SLA.
	if !opts.Explicit("retry.overall_timeout") {
		add("overall_timeout", false, "no overall_timeout: nothing in the policy bounds an operation's total time (the %s default is not derived from it); worst case %s (%s)", r.OverallTimeout, worst.Wall, worst.Class)
	} else if worst.Wall > r.OverallTimeout {
		add("overall_timeout", true, "%s bounds the worst case; it cuts a %s operation off before its %d attempts (%s)", r.OverallTimeout, worst.Class, worst.Attempts, worst.Wall)
	} else {
		add("overall_timeout", true, "%s bounds the worst case (%s, %s)", r.OverallTimeout, worst.Wall, worst.Class)
	}
	if opts.SLA > 0 {
		if worst.Bound > opts.SLA {
			add("sla", false, "worst-case wall time %s (%s errors) exceeds the SLA %s", worst.Bound, worst.Class, opts.SLA)
		} else {
			add("sla", true, "worst-case wall time %s is within the SLA %s", worst.Bound, opts.SLA)
		}
	}

	// Nested retries.
	if opts.ClientRetries > 1 {
		add("nested_retries", false, "a client retrying %d times under a policy of %d attempts makes up to %d attempts per operation; build it with MaxRetries 1", opts.ClientRetries, r.MaxAttempts, satMulInt(r.MaxAttempts, opts.ClientRetries))
	}

	// Permanent errors.
	var problems []string
	for _, s := range wellKnownPermanent.Status {
		if class := classOf(p, s, ""); class != policies.ClassPermanent {
			if ok, n := retried(p, class); ok {
				problems = append(problems, fmt.Sprintf("status %d is %s here and retried (%d attempts)", s, class, n))
			}
		}
	}
	for _, code := range wellKnownPermanent.S3Codes {
		if class := classOf(p, 0, code); class != policies.ClassPermanent {
			if ok, n := retried(p, class); ok {
				problems = append(problems, fmt.Sprintf("S3 code %s is %s here and retried (%d attempts)", code, class, n))
			}
		}
	}
	perm := p.Classify.Permanent
	for _, other := range []struct {
		name string
		m    *policies.ClassMatch
	}{{"transient", p.Classify.Transient}, {"throttled", p.Classify.Throttled}} {
		if perm == nil || other.m == nil {
			continue
		}
		for _, s := range perm.Status {
			if slices.Contains(other.m.Status, s) {
				problems = append(problems, fmt.Sprintf("status %d is listed as both permanent and %s", s, other.name))
			}
		}
		for _, c := range perm.S3Codes {
			if slices.Contains(other.m.S3Codes, c) {
				problems = append(problems, fmt.Sprintf("S3 code %s is listed as both permanent and %s", c, other.name))
			}
		}
	}
	if len(problems) > 0 {
		add("permanent", false, "permanent errors retried: %s; retrying cannot fix credentials, permissions or a missing key", strings.Join(problems, "; "))
	} else {
		add("permanent", true, "400/401/403/404 and the permanent S3 codes fail on their first attempt")
	}

	// Unknown errors.
	if ok, n := retried(p, policies.ClassUnknown); ok && n >= r.MaxAttempts && r.MaxAttempts > policies.DefaultUnknownAttempts {
		add("unknown", false, "unknown errors are retried up to %d attempts, as much as transient ones: no bound of their own; give classify.unknown.max_attempts (at most %d)", n, policies.DefaultUnknownAttempts)
	} else if ok {
		add("unknown", true, "unknown errors bounded at %d attempts", n)
	} else {
		add("unknown", true, "unknown errors are not retried")
	}

	// Alert rules.
	rep.Rules, problems = judgeRules(p)
	if len(problems) > 0 {
		add("paging", false, "%s", strings.Join(problems, "; "))
	} else {
		add("paging", true, "no rule pages on a single failure that is not late (%d rules evaluated)", len(p.Alerts.Rules))
	}
	problems = nil
	for _, rule := range rep.Rules {
		if rule.Error != "" {
			problems = append(problems, fmt.Sprintf("rule %s fails to evaluate (%s): %s; at run time it does not fire there", rule.Name, rule.ErrorAt, rule.Error))
		}
	}
	if len(problems) > 0 {
		add("rule_errors", false, "%s", strings.Join(problems, "; "))
	}
	return rep
}

var classes = []string{string(policies.ClassTransient), string(policies.ClassThrottled), string(policies.ClassPermanent), string(policies.ClassUnknown)}

// judgeRules evaluates every rule over enumerated runs.
func judgeRules(p *policies.Policy) ([]Rule, []string) {
	var rules []Rule
	var problems []string
	attempts := []int{1, p.Retry.MaxAttempts}
	if u := p.Classify.Unknown; u != nil && u.MaxAttempts > 0 {
		attempts = append(attempts, u.MaxAttempts)
	}
	steps := []string{"", "read", "feature-api", "train", "write"}
	for _, ar := range p.Alerts.Rules {
		rule := Rule{Name: ar.Name, Severity: ar.Severity}
		cond, err := condition.Compile(ar.When)
		if err != nil {
			problems = append(problems, fmt.Sprintf("rule %s: %v", ar.Name, err))
			rules = append(rules, rule)
			continue
		}
		fires := func(v condition.Vars) bool {
			ok, err := cond.Eval(v)
			if err != nil && rule.Error == "" {
				rule.Error = firstLine(err.Error())
				rule.ErrorAt = fmt.Sprintf("failure_count=%d, late=%s, error_class=%q, attempts=%d, step=%q", v.FailureCount, v.Late, v.ErrorClass, v.Attempts, v.Step)
			}
			return err == nil && ok
		}
		for n := 1; n <= 10 && rule.FiresAt == 0; n++ {
			for _, class := range classes {
				for _, a := range attempts {
					for _, step := range steps {
						v := condition.Vars{FailureCount: n, ConsecutiveFailures: n, ErrorClass: class, RunID: "check-1", Pipeline: "reference", Step: step, Attempts: a}
						if fires(v) && rule.FiresAt == 0 {
							rule.FiresAt = n
							if n == 1 {
								rule.SingleFailure = fmt.Sprintf("failure_count=1, late=0, error_class=%s, attempts=%d", class, a)
							}
						}
					}
				}
			}
		}
		rule.LateAt = minLate(fires)
		if ar.Severity == policies.SeverityPage && rule.SingleFailure != "" {
			problems = append(problems, fmt.Sprintf("rule %s pages on a single failure that is not late (fires for %s)", ar.Name, rule.SingleFailure))
		}
		rules = append(rules, rule)
	}
	return rules, problems
}

// minLate returns the smallest lateness (1ms resolution, up to 7 days) at
// which a successful run makes fires true, or 0. It scans a coarse grid,
// then bisects below the first firing point, assuming the rule is monotonic
// in late there (a rule that is not still reports a firing point).
func minLate(fires func(condition.Vars) bool) time.Duration {
	at := func(late time.Duration) bool {
		return fires(condition.Vars{Late: late, RunID: "check-1", Pipeline: "reference"})
	}
	lo := time.Duration(0)
	for _, hi := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if !at(hi) {
			lo = hi
			continue
		}
		for hi-lo > time.Millisecond {
			mid := (lo + (hi-lo)/2).Truncate(time.Millisecond)
			if at(mid) {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi
	}
	return 0
}

// Write prints the report: the worst cases, the alert rules, then one line
// per check.
func (r Report) Write(w io.Writer) error {
	p := r.Policy.Retry
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "policy %s: %d attempts, backoff %s→%s ×%g %s jitter, attempt_timeout %s, overall_timeout %s",
		r.File, p.MaxAttempts, p.Backoff.Initial, p.Backoff.Max, p.Backoff.Multiplier, p.Backoff.Jitter, p.AttemptTimeout, p.OverallTimeout)
	if p.RetryAfter.Honor {
		fmt.Fprintf(tw, ", Retry-After ≤ %s", p.RetryAfter.Cap)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CLASS\tRETRIED\tATTEMPTS\tON THE WIRE\tSLEEPS\tWORST CASE\tBOUNDED AT")
	for _, op := range r.Operations {
		yes := "no"
		if op.Retried {
			yes = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", op.Class, yes, op.Attempts, op.WireAttempts, op.Sleep, op.Wall, op.Bound)
	}
	if len(r.Rules) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "RULE\tSEVERITY\tFIRES AFTER\tLATE\tONE FAILED RUN")
		for _, rule := range r.Rules {
			after, late, one := "never", "never", "quiet"
			if rule.Error != "" {
				after, late = "error", "error"
			}
			if rule.FiresAt > 0 {
				after = fmt.Sprintf("%d failed run(s)", rule.FiresAt)
			}
			if rule.LateAt > 0 {
				late = "> " + (rule.LateAt - time.Millisecond).String()
			}
			if rule.SingleFailure != "" {
				one = string(rule.Severity)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rule.Name, rule.Severity, after, late, one)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
	for _, f := range r.Findings {
		res := "ok"
		if !f.OK {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Check, res, f.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if v := r.Violations(); len(v) > 0 {
		names := make([]string, len(v))
		for i, f := range v {
			names[i] = f.Check
		}
		_, err := fmt.Fprintf(w, "\n%d violation(s): %s\n", len(v), strings.Join(names, ", "))
		return err
	}
	_, err := fmt.Fprintln(w, "\nno violations")
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// ErrViolations is returned (wrapped) by callers that turn a failed report
// into an error.
var ErrViolations = errors.New("policy check found violations")
