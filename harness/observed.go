package harness

import (
	"context"
	"time"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// Observed is what a stack saw that ran no workload of the harness's own:
// a game day's (gameday up, where people drive the clients), or one a Go
// test drives with its own code. Judge judges it the one way both need.
type Observed struct {
	Scenario *scenarios.Scenario
	// Faults are those that could have fired (the scenario's, and a faults
	// file's), for faults_fired.
	Faults []*scenarios.Fault
	Seed   int64
	// Start and End bound what was observed.
	Start, End    time.Time
	Journal       []observe.Request
	Notifications []observe.Notification
	TimerFaults   []observe.FaultEvent
	// Artifacts is the listing of the artifact bucket; nil when it was not
	// listed, ArtifactsErr saying why.
	Artifacts    *observe.Artifacts
	ArtifactsErr error
	// Err, when set, is an infrastructure problem (a target that died
	// unasked, a journal that could not be read): the scenario's Error.
	Err error
}

// Judge returns the scenario's entry of report.json for what o saw: its
// metrics, with the longest per-operation recovery as recovery time, and
// the verdicts of its expect block in file order, outcome and duration
// reported as not judged (there is no workload run to judge) and no
// timeout (it ended when people said so).
func (o Observed) Judge() reports.Scenario {
	sc := o.Scenario
	obs := observe.Observe(observe.Input{Journal: o.Journal, TimerFaults: o.TimerFaults,
		Notifications: o.Notifications, Start: o.Start, End: o.End})
	res := reports.Scenario{Name: sc.Name, File: sc.Given(), Seed: o.Seed, DurationMS: o.End.Sub(o.Start).Milliseconds()}
	res.Metrics = expect.Metrics(obs, o.Artifacts)
	if d, ok := expect.OperationRecovery(obs); ok {
		ms := d.Milliseconds()
		res.Metrics.RecoveryTimeMS = &ms
	}
	res.Expectations = expect.Judge(expect.Input{Expect: sc.Expect, Obs: obs, Faults: o.Faults, GameDay: true,
		Artifacts: o.Artifacts, ArtifactsErr: o.ArtifactsErr})
	orderVerdicts(res.Expectations, sc.ExpectOrder())
	if o.Err != nil {
		res.Error = o.Err.Error()
	}
	res.Passed = res.Error == ""
	for _, e := range res.Expectations {
		res.Passed = res.Passed && e.Passed
	}
	return res
}

// ListArtifacts lists every object version under the artifact prefix of a
// (its target, else the first MinIO target) straight from the target, past
// the proxy and its journal, and counts the duplicates against the runs'
// ids and a's kinds.
func (s *Stack) ListArtifacts(ctx context.Context, a *scenarios.ArtifactsExpect, runIDs []string) (*observe.Artifacts, error) {
	return listArtifacts(ctx, s, a, runIDs)
}
