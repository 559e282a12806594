package reports

import (
	"errors"
	"fmt"
)

// Aggregate folds the runs of one scenario under --repeat N (one Scenario per
// seed, in seed order) into one Scenario with Repeats set and, per
// expectation, Held of Runs. The aggregate passes when every run passed.
//
// Every number of the aggregate is per run, never a sum over the runs, so a
// repeated scenario reads like a single run of it:
//   - requests, faults_injected, attempts, retries, pages, alerts (per
//     severity), duplicate_artifacts, recovery_time_ms, gave_up_after_ms and
//     duration_ms are the worst case: the largest value of any run
//     (recovery_time_ms is null only when no run recovered);
//   - repeats.recovery is the distribution of recovery time over the runs
//     (min, median, p95, max and the seed of the worst; see RecoveryStats);
//   - success_rate is the mean of the runs' success rates;
//   - seed (and replay) is the first failed seed, preferring a run that failed
//     a judged expectation over one that hit an infrastructure error, so the
//     replay command reproduces a failure; else the first seed.
//
// Expectations are matched by name. One missing from a run (an
// infrastructure error before the workload ran) was not judged in that run:
// the run's seed goes to NotJudgedSeeds and the run counts neither in Held
// nor in Runs, so it makes the expectation neither failed nor flaky; the
// run's error is the aggregate's Error. An expectation passes when it held
// in every run that judged it. Each expectation's got and message come from
// the first run it failed in, else from the first run that judged it.
func Aggregate(runs []Scenario) (Scenario, error) {
	if len(runs) == 0 {
		return Scenario{}, errors.New("aggregate repeats: no runs")
	}
	first := runs[0]
	for _, r := range runs[1:] {
		if r.Name != first.Name {
			return Scenario{}, fmt.Errorf("aggregate repeats: runs of %q and %q mixed", first.Name, r.Name)
		}
	}
	rep := &Repeats{Runs: len(runs)}
	out := Scenario{Name: first.Name, File: first.File, Passed: true, Repeats: rep, PolicySHA256: first.PolicySHA256}
	out.Metrics.Alerts = map[string]int{}

	// Expectation order: first appearance across runs.
	index := map[string]int{}
	var failedRun, judgedRun *Scenario
	var rateSum float64
	for i := range runs {
		r := &runs[i]
		rep.Seeds = append(rep.Seeds, r.Seed)
		ok := r.Passed && r.Error == ""
		if ok {
			rep.Passed++
		} else {
			out.Passed = false
			rep.FailedSeeds = append(rep.FailedSeeds, r.Seed)
			if failedRun == nil {
				failedRun = r
			}
			if judgedRun == nil && r.Error == "" {
				judgedRun = r
			}
		}
		if r.Error != "" && out.Error == "" {
			out.Error = fmt.Sprintf("seed %d: %s", r.Seed, r.Error)
		}
		out.DurationMS = max(out.DurationMS, r.DurationMS)
		worstMetrics(&out.Metrics, r.Metrics)
		rateSum += r.Metrics.SuccessRate
		for _, e := range r.Expectations {
			if _, seen := index[e.Name]; !seen {
				index[e.Name] = len(out.Expectations)
				out.Expectations = append(out.Expectations, Expectation{Name: e.Name, Want: e.Want})
			}
		}
	}
	out.Metrics.SuccessRate = rateSum / float64(len(runs))

	for i := range out.Expectations {
		agg := &out.Expectations[i]
		for _, r := range runs {
			e, found := find(r.Expectations, agg.Name)
			if !found {
				agg.NotJudgedSeeds = append(agg.NotJudgedSeeds, r.Seed)
				continue
			}
			agg.Runs++
			if e.Passed {
				agg.Held++
				if agg.Got == "" {
					agg.Got = e.Got
				}
				continue
			}
			agg.FailedSeeds = append(agg.FailedSeeds, r.Seed)
			if agg.Message == "" { // the first failure explains the expectation
				agg.Got, agg.Inconclusive = e.Got, e.Inconclusive
				agg.Message = fmt.Sprintf("seed %d: %s", r.Seed, e.Message)
			}
		}
		agg.Passed = agg.Held == agg.Runs
		agg.Inconclusive = agg.Inconclusive && !agg.Passed
	}

	pick := first
	switch {
	case judgedRun != nil:
		pick = *judgedRun
	case failedRun != nil:
		pick = *failedRun
	}
	out.Seed, out.Replay = pick.Seed, pick.Replay
	rep.Each = append([]Scenario(nil), runs...)
	rep.Recovery = RecoveryOf(runs)
	return out, nil
}

func find(es []Expectation, name string) (Expectation, bool) {
	for _, e := range es {
		if e.Name == name {
			return e, true
		}
	}
	return Expectation{}, false
}

// worstMetrics folds m into w, keeping the largest value of every counter
// and of the recovery time. SuccessRate is left to the caller (a mean).
func worstMetrics(w *Metrics, m Metrics) {
	w.Requests = max(w.Requests, m.Requests)
	w.FaultsInjected = max(w.FaultsInjected, m.FaultsInjected)
	w.Attempts = max(w.Attempts, m.Attempts)
	w.Retries = max(w.Retries, m.Retries)
	w.Pages = max(w.Pages, m.Pages)
	for sev, n := range m.Alerts {
		w.Alerts[sev] = max(w.Alerts[sev], n)
	}
	w.DuplicateArtifacts = max(w.DuplicateArtifacts, m.DuplicateArtifacts)
	if m.RecoveryTimeMS != nil && (w.RecoveryTimeMS == nil || *m.RecoveryTimeMS > *w.RecoveryTimeMS) {
		w.RecoveryTimeMS = ptr(*m.RecoveryTimeMS)
	}
	if m.GaveUpAfterMS != nil && (w.GaveUpAfterMS == nil || *m.GaveUpAfterMS > *w.GaveUpAfterMS) {
		w.GaveUpAfterMS = ptr(*m.GaveUpAfterMS)
	}
}
