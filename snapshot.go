package gameday

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// Artifacts is a listing of every object version under a bucket prefix of
// a MinIO target, and the duplicates in it as the artifacts expectation
// counts them: for every key its versions beyond the first, plus, per run
// id and kinds glob, the matching keys beyond the first.
type Artifacts struct {
	// Target, Bucket, Prefix and Kinds say what was listed and how it was
	// counted.
	Target, Bucket, Prefix string
	Kinds                  []string
	// Keys and Versions count what was listed (delete markers aside).
	Keys, Versions int
	// Duplicates is the count; Details explains each duplicate.
	Duplicates int
	Details    []string
}

// spec is the artifacts expectation that lists a.
func (a *Artifacts) spec() *scenarios.ArtifactsExpect {
	return &scenarios.ArtifactsExpect{Target: a.Target, Bucket: a.Bucket, Prefix: a.Prefix, Kinds: a.Kinds}
}

// artifactsSpec is what Artifacts lists: the scenario's expect.artifacts,
// else the first bucket of the first MinIO target, whole; nil when there is
// no bucket to list.
func (s *Stack) artifactsSpec() *scenarios.ArtifactsExpect {
	if a := s.sc.Expect.Artifacts; a != nil {
		return a
	}
	if m := s.sc.FirstMinIO(); m != nil && len(m.Buckets) > 0 {
		return &scenarios.ArtifactsExpect{Target: m.Name, Bucket: m.Buckets[0]}
	}
	return nil
}

// Artifacts lists the artifact bucket now, straight from the target (not
// through its proxy, so the listing is neither faulted nor journaled): what
// the scenario's expect.artifacts names (target, bucket, prefix, kinds),
// else the first bucket of the first MinIO target. Keys are matched
// against kinds per the client environment's run id (GAMEDAY_RUN_ID).
func (s *Stack) Artifacts(ctx context.Context) (*Artifacts, error) {
	a := s.artifactsSpec()
	if a == nil {
		return nil, fmt.Errorf("%s: no bucket to list: the scenario has no expect.artifacts and no MinIO target with buckets", s.sc.Name)
	}
	got, err := s.st.ListArtifacts(ctx, a, []string{s.runID()})
	if err != nil {
		return nil, fmt.Errorf("list artifacts of %s: %w", s.sc.Name, err)
	}
	target := a.Target
	if target == "" {
		target = s.sc.FirstMinIO().Name
	}
	return &Artifacts{Target: target, Bucket: a.Bucket, Prefix: a.Prefix, Kinds: a.Kinds,
		Keys: got.Keys, Versions: got.Versions, Duplicates: got.Duplicates, Details: got.Details}, nil
}

// Snapshot is what a stack saw from its start until At: the journal, the
// alerts, the timer faults that fired and a listing of the artifact bucket.
// Matchers (package matchers) and Check judge it; a Snapshot made by hand
// with only a Journal judges what the journal alone tells.
type Snapshot struct {
	// Scenario and Seed say what ran.
	Scenario string
	Seed     int64
	// Start and At bound what was observed.
	Start, At     time.Time
	Journal       []Request
	Notifications []Notification
	TimerFaults   []FaultEvent
	// Artifacts is the artifact bucket's listing (see Stack.Artifacts);
	// nil when there was no bucket to list or the listing failed
	// (ArtifactsErr).
	Artifacts    *Artifacts
	ArtifactsErr error

	sc     *scenarios.Scenario // nil for a Snapshot made by hand
	faults []*scenarios.Fault
	listed *scenarios.ArtifactsExpect // what Artifacts lists, also when it failed
}

// Snapshot takes a snapshot of what the stack saw so far. The stack keeps
// running.
func (s *Stack) Snapshot(ctx context.Context) (*Snapshot, error) {
	journal, err := s.st.Journal()
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Scenario: s.sc.Name, Seed: s.seed, Start: s.start, Journal: journal,
		Notifications: s.st.Notifications(), TimerFaults: s.st.TimerFaults(), sc: s.sc, faults: s.sc.Faults}
	if snap.listed = s.artifactsSpec(); snap.listed != nil {
		snap.Artifacts, snap.ArtifactsErr = s.Artifacts(ctx)
	}
	snap.At = s.now()
	return snap, nil
}

// observed is what harness.Observed judges: the snapshot under expect.
func (n *Snapshot) observed(e scenarios.Expect) harness.Observed {
	sc := n.sc
	if sc == nil {
		sc = &scenarios.Scenario{Name: n.Scenario}
	}
	c := *sc
	c.Expect = e
	o := harness.Observed{Scenario: &c, Faults: n.faults, Seed: n.Seed, Start: n.Start, End: n.At,
		Journal: n.Journal, Notifications: n.Notifications, TimerFaults: n.TimerFaults}
	if e.Artifacts != nil {
		o.Artifacts, o.ArtifactsErr = n.artifactsFor(e.Artifacts)
	}
	return o
}

// artifactsFor is the snapshot's listing when it is the one a names.
func (n *Snapshot) artifactsFor(a *scenarios.ArtifactsExpect) (*observe.Artifacts, error) {
	got := n.Artifacts
	switch {
	case got == nil && n.ArtifactsErr != nil:
		return nil, n.ArtifactsErr
	case got == nil:
		return nil, errors.New("the snapshot holds no listing of the bucket")
	case (a.Target != "" && a.Target != got.Target) || a.Bucket != got.Bucket || a.Prefix != got.Prefix || !slices.Equal(a.Kinds, got.Kinds):
		return nil, fmt.Errorf("the snapshot listed %s/%s on %s, not this", got.Bucket, got.Prefix, got.Target)
	}
	return &observe.Artifacts{Keys: got.Keys, Versions: got.Versions, Duplicates: got.Duplicates, Details: got.Details}, nil
}

// Check judges the expectations of e (an expect block, as a scenario file
// writes it) over the snapshot, as Stack.Judge judges the scenario's own,
// and returns their verdicts with the CLI's names and messages, followed
// by faults_fired. An artifacts expectation is judged on the snapshot's
// listing, so it must name what Artifacts listed.
func (n *Snapshot) Check(e scenarios.Expect) []reports.Expectation {
	return n.observed(e).Judge().Expectations
}

// ArtifactsExpect is the artifacts expectation that names what the
// snapshot listed (or tried to), with duplicates compared as dup says
// (nil: ==0); nil when there was nothing to list.
func (n *Snapshot) ArtifactsExpect(dup *scenarios.Cmp) *scenarios.ArtifactsExpect {
	var a *scenarios.ArtifactsExpect
	switch {
	case n.Artifacts != nil:
		a = n.Artifacts.spec()
	case n.listed != nil:
		c := *n.listed
		a = &c
	default:
		return nil
	}
	a.Duplicates = dup
	return a
}
