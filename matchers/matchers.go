package matchers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/gameday/gameday"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// SnapshotTimeout bounds the snapshot a matcher takes of a *gameday.Stack
// (reading the journals and listing the artifact bucket).
const SnapshotTimeout = 30 * time.Second

// Matcher judges one expectation over a *gameday.Stack, a
// *gameday.Snapshot or a journal ([]gameday.Request). It is a
// types.GomegaMatcher; its failure message is the CLI's message for the
// verdict. A Matcher keeps the verdict of its last match, so use one per
// assertion.
type Matcher struct {
	// name is the verdict's name (pages, retries_after[0], ...).
	name string
	// what the expectation needs beyond the journal: "alerts" or
	// "artifacts"; "" for the wire alone.
	needs string
	// expect builds the expectation, for a target ("" = every target).
	expect func(n *gameday.Snapshot, target string) scenarios.Expect
	// targeted: the expectation takes a target (On).
	targeted bool
	target   string

	verdict reports.Expectation
}

var _ types.GomegaMatcher = (*Matcher)(nil)

// On narrows the matcher to the requests of one target, as an
// expectation's `target:` does. It panics for a matcher whose expectation
// takes no target (HaveNoPages, HaveNoDuplicateArtifacts, RecoverWithin).
func (m *Matcher) On(target string) *Matcher {
	if !m.targeted {
		panic(fmt.Sprintf("matchers: %s takes no target", m.name))
	}
	c := *m
	c.target = target
	return &c
}

// snapshot turns the actual value into a snapshot.
func (m *Matcher) snapshot(actual any) (*gameday.Snapshot, error) {
	switch a := actual.(type) {
	case *gameday.Stack:
		if a == nil {
			return nil, errors.New("a nil *gameday.Stack")
		}
		ctx, cancel := context.WithTimeout(context.Background(), SnapshotTimeout)
		defer cancel()
		return a.Snapshot(ctx)
	case *gameday.Snapshot:
		if a == nil {
			return nil, errors.New("a nil *gameday.Snapshot")
		}
		return a, nil
	case []gameday.Request:
		if m.needs != "" {
			return nil, fmt.Errorf("%s needs the %s a journal does not hold: match a *gameday.Stack or *gameday.Snapshot", m.name, m.needs)
		}
		return &gameday.Snapshot{Journal: a}, nil
	}
	return nil, fmt.Errorf("%s matches a *gameday.Stack, a *gameday.Snapshot or a []gameday.Request, not %T", m.name, actual)
}

// Match judges the expectation over actual. A verdict that could not be
// reached (inconclusive) is an error.
func (m *Matcher) Match(actual any) (bool, error) {
	n, err := m.snapshot(actual)
	if err != nil {
		return false, err
	}
	m.verdict = reports.Expectation{}
	e := m.expect(n, m.target)
	if m.needs == "artifacts" && e.Artifacts == nil {
		return false, fmt.Errorf("%s: the snapshot holds no listing of the bucket (the scenario has no MinIO target with a bucket)", m.name)
	}
	for _, v := range n.Check(e) {
		if v.Name == m.name {
			m.verdict = v
		}
	}
	if m.verdict.Name == "" {
		return false, fmt.Errorf("%s: not judged", m.name)
	}
	if m.verdict.Inconclusive {
		return false, errors.New(m.verdict.Message)
	}
	return m.verdict.Passed, nil
}

// FailureMessage is the CLI's message for the failed verdict, e.g.
// "pages: want ==0, got 1 (alertmanager sustained page)".
func (m *Matcher) FailureMessage(any) string { return m.verdict.Message }

// NegatedFailureMessage says that the verdict held when it should not
// have.
func (m *Matcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("%s: want it not to hold, but it did (want %s, got %s)", m.name, m.verdict.Want, m.verdict.Got)
}

func cmp(s string) scenarios.Cmp {
	c, err := scenarios.ParseCmp(s)
	if err != nil {
		panic(err) // every comparison here is built from numbers
	}
	return c
}

// HaveNoPages holds when no page reached the alert receiver (a firing
// Alertmanager alert of severity page or critical, or a PagerDuty trigger
// of severity critical or error): `pages: 0`.
func HaveNoPages() *Matcher {
	return &Matcher{name: "pages", needs: "alerts", expect: func(*gameday.Snapshot, string) scenarios.Expect {
		c := cmp("0")
		return scenarios.Expect{Pages: &c}
	}}
}

// FailFastOn holds when no request was retried after an answer with one of
// statuses: `retries_after: [{status: [...], max: 0}]`.
func FailFastOn(statuses ...int) *Matcher {
	return &Matcher{name: "retries_after[0]", targeted: true, expect: func(_ *gameday.Snapshot, target string) scenarios.Expect {
		return scenarios.Expect{RetriesAfter: []*scenarios.RetriesAfter{{Target: target,
			Status: scenarios.StatusList(statuses), Max: scenarios.AtMost{Cmp: cmp("<=0")}}}}
	}}
}

// HaveAtMostAttemptsPerOperation holds when no operation (a retry chain on
// one resource) took more than n attempts: `attempts_per_operation: {max: n}`.
func HaveAtMostAttemptsPerOperation(n int) *Matcher {
	return &Matcher{name: "attempts_per_operation", targeted: true, expect: func(_ *gameday.Snapshot, target string) scenarios.Expect {
		return scenarios.Expect{AttemptsPerOperation: &scenarios.TargetCmp{Target: target, Cmp: cmp(fmt.Sprintf("<=%d", n))}}
	}}
}

// HaveJitteredBackoff holds when the waits between retries are jittered
// (full, equal or decorrelated jitter), and fails for deterministic ones:
// `backoff: {jitter: true}`. Too few waits to tell is an error.
func HaveJitteredBackoff() *Matcher {
	return &Matcher{name: "backoff.jitter", targeted: true, expect: func(_ *gameday.Snapshot, target string) scenarios.Expect {
		yes := true
		return scenarios.Expect{Backoff: &scenarios.BackoffExpect{Target: target, Jitter: &yes}}
	}}
}

// HaveGrowingBackoff holds when the waits between retries grow
// (exponential backoff), and fails for a fixed delay:
// `backoff: {growing: true}`. Too few waits to tell is an error.
func HaveGrowingBackoff() *Matcher {
	return &Matcher{name: "backoff.growing", targeted: true, expect: func(_ *gameday.Snapshot, target string) scenarios.Expect {
		yes := true
		return scenarios.Expect{Backoff: &scenarios.BackoffExpect{Target: target, Growing: &yes}}
	}}
}

// HonorRetryAfter holds when no retry came sooner than the Retry-After the
// answer before it announced (allowing 50 ms): `retry_after_honored: true`.
// No answer with Retry-After is an error.
func HonorRetryAfter() *Matcher {
	return &Matcher{name: "retry_after_honored", targeted: true, expect: func(_ *gameday.Snapshot, target string) scenarios.Expect {
		return scenarios.Expect{RetryAfterHonored: &scenarios.RetryAfterHonored{Target: target, Honored: true}}
	}}
}

// HaveNoDuplicateArtifacts holds when the artifact bucket (see
// gameday.Stack.Artifacts: the scenario's expect.artifacts, else the first
// bucket of the first MinIO target) holds no duplicate: no key with a
// second version, no second key of a kind per run:
// `artifacts: {..., duplicates: 0}`.
func HaveNoDuplicateArtifacts() *Matcher {
	return &Matcher{name: "artifacts", needs: "artifacts", expect: func(n *gameday.Snapshot, _ string) scenarios.Expect {
		zero := cmp("0")
		return scenarios.Expect{Artifacts: n.ArtifactsExpect(&zero)}
	}}
}

// RecoverWithin holds when every operation a fault hit got a 2xx within d
// of the first fault injected on it (the longest per-operation recovery,
// as a game day measures it): `recovery_time: "<=d"`. An operation that
// never recovered, or no fault at all, fails it.
func RecoverWithin(d time.Duration) *Matcher {
	return &Matcher{name: "recovery_time", expect: func(*gameday.Snapshot, string) scenarios.Expect {
		c := cmp("<=" + d.String())
		return scenarios.Expect{RecoveryTime: &c}
	}}
}

// HavePassed holds for a scenario's result (gameday.Stack.Judge's
// reports.Scenario, or a pointer to one) whose every verdict held and that
// hit no error; it fails with the failed verdicts' messages, one per line.
func HavePassed() types.GomegaMatcher { return &passed{} }

type passed struct{ res reports.Scenario }

func (p *passed) Match(actual any) (bool, error) {
	switch a := actual.(type) {
	case reports.Scenario:
		p.res = a
	case *reports.Scenario:
		if a == nil {
			return false, errors.New("HavePassed: a nil *reports.Scenario")
		}
		p.res = *a
	default:
		return false, fmt.Errorf("HavePassed matches a reports.Scenario (gameday.Stack.Judge's result), not %T", actual)
	}
	return p.res.Passed, nil
}

func (p *passed) FailureMessage(any) string {
	var lines []string
	if p.res.Error != "" {
		lines = append(lines, p.res.Name+": "+p.res.Error)
	}
	for _, e := range p.res.Expectations {
		if !e.Passed {
			lines = append(lines, e.Message)
		}
	}
	if len(lines) == 0 {
		lines = append(lines, p.res.Name+": did not pass")
	}
	return strings.Join(lines, "\n")
}

func (p *passed) NegatedFailureMessage(any) string {
	return p.res.Name + ": every expectation held"
}
