package explore

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// Resource is one kind of request the workload made to a target: a
// method on a path. Path is a glob in which every run id is replaced by
// *, so that it matches the same request in a run with another run id.
type Resource struct {
	Target string
	Method string
	Path   string
}

// Space is what schedules are drawn over, learnt from a fault-free
// calibration run (Learn).
type Space struct {
	// Resources are the requests the workload made, sorted.
	Resources []Resource
	// Writes are the requests that stored an object on a minio target
	// (candidates for "the worker dies right after a write").
	Writes []Resource
	// Restarts is the workload's restarts: a worker crash is drawn only
	// when a crashed run is restarted (without a restart it fails the run
	// whatever the policy does).
	Restarts int
	// AttemptTimeout is the policy's per-attempt timeout, when the
	// workload has a policy; a delay fault is drawn longer than it.
	AttemptTimeout time.Duration
	// RunTimeout is the workload's per-run timeout: no delay exceeds it.
	RunTimeout time.Duration
	// Duration is how long the calibration's workload ran, first start to
	// last end: the window drawn `after` times fall in.
	Duration time.Duration
}

// Learn reads the calibration run of sc (its report entry, with its
// timeline) into a Space. attemptTimeout is the workload policy's (0 when
// there is none).
func Learn(sc *scenarios.Scenario, run reports.Scenario, attemptTimeout time.Duration) Space {
	sp := Space{Restarts: sc.Workload.Restarts, AttemptTimeout: attemptTimeout, RunTimeout: sc.Workload.Timeout}
	tl := run.Timeline
	if tl == nil {
		return sp
	}
	var ids []string
	var first, last int64 = -1, -1
	for _, r := range tl.Runs {
		if r.RunID != "" {
			ids = append(ids, r.RunID)
		}
		if first < 0 || r.StartMS < first {
			first = r.StartMS
		}
		last = max(last, r.EndMS)
	}
	if first >= 0 && last > first {
		sp.Duration = time.Duration(last-first) * time.Millisecond
	}
	// Longer ids first, so that an id that contains another is replaced
	// whole.
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	general := func(path string) string {
		for _, id := range ids {
			path = strings.ReplaceAll(path, id, "*")
		}
		return path
	}
	seen := map[Resource]bool{}
	for _, r := range tl.Requests {
		res := Resource{Target: r.Target, Method: r.Method, Path: general(r.Path)}
		if !seen[res] && sc.Target(r.Target) != nil {
			seen[res] = true
			sp.Resources = append(sp.Resources, res)
		}
	}
	written := map[Resource]bool{}
	for _, a := range tl.Artifacts {
		res := Resource{Target: a.Target, Method: a.Method, Path: general(a.Path)}
		if t := sc.Target(a.Target); t != nil && t.Kind == scenarios.KindMinIO && !written[res] {
			written[res] = true
			sp.Writes = append(sp.Writes, res)
		}
	}
	byKey := func(a, b Resource) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	}
	slices.SortFunc(sp.Resources, byKey)
	slices.SortFunc(sp.Writes, byKey)
	return sp
}
