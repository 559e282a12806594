package reports

import (
	"errors"
	"fmt"
)

// Aggregate folds the runs of one scenario under --repeat N (one Scenario per
// seed, in seed order) into one Scenario with Repeats set and, per
// expectation, Held of Runs. The aggregate passes when every run passed. Its
// Seed and Replay are those of the first failed run (else the first run), so
// the replay command reproduces a failure. Metrics: counters are summed,
// Attempts and RecoveryTimeMS take the worst run, SuccessRate the mean.
// Expectations are matched by name; one missing from a run (e.g. after an
// infrastructure error) counts as not held in that run.
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
	out := Scenario{Name: first.Name, File: first.File, Passed: true, Repeats: rep}
	out.Metrics.Alerts = map[string]int{}

	// Expectation order: first appearance across runs.
	index := map[string]int{}
	var failedRun *Scenario
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
		}
		if r.Error != "" && out.Error == "" {
			out.Error = fmt.Sprintf("seed %d: %s", r.Seed, r.Error)
		}
		out.DurationMS += r.DurationMS
		addMetrics(&out.Metrics, r.Metrics)
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
		agg.Runs = len(runs)
		for _, r := range runs {
			e, found := find(r.Expectations, agg.Name)
			if found && e.Passed {
				agg.Held++
				if agg.Got == "" {
					agg.Got = e.Got
				}
				continue
			}
			agg.FailedSeeds = append(agg.FailedSeeds, r.Seed)
			if agg.Message == "" { // the first failure explains the expectation
				agg.Got, agg.Inconclusive = e.Got, e.Inconclusive
				agg.Message = e.Message
				if !found {
					agg.Message = "not judged"
				}
				agg.Message = fmt.Sprintf("seed %d: %s", r.Seed, agg.Message)
			}
		}
		agg.Passed = agg.Held == agg.Runs
		agg.Inconclusive = agg.Inconclusive && !agg.Passed
	}

	pick := first
	if failedRun != nil {
		pick = *failedRun
	}
	out.Seed, out.Replay = pick.Seed, pick.Replay
	rep.Each = append([]Scenario(nil), runs...)
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

func addMetrics(sum *Metrics, m Metrics) {
	sum.Requests += m.Requests
	sum.FaultsInjected += m.FaultsInjected
	sum.Attempts = max(sum.Attempts, m.Attempts)
	sum.Retries += m.Retries
	sum.Pages += m.Pages
	for sev, n := range m.Alerts {
		sum.Alerts[sev] += n
	}
	sum.DuplicateArtifacts += m.DuplicateArtifacts
	if m.RecoveryTimeMS != nil && (sum.RecoveryTimeMS == nil || *m.RecoveryTimeMS > *sum.RecoveryTimeMS) {
		v := *m.RecoveryTimeMS
		sum.RecoveryTimeMS = &v
	}
}
