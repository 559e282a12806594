package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Metric descriptions of WriteMetrics. Every name starts with gameday_ and
// carries its unit (_seconds, _ratio, _timestamp_seconds); counts of one
// run are gauges, as a textfile describes the latest run.
var (
	mRunStart    = prometheus.NewDesc("gameday_run_start_timestamp_seconds", "When the gameday run started (Unix time).", nil, nil)
	mRunDuration = prometheus.NewDesc("gameday_run_duration_seconds", "Wall time of the whole gameday run.", nil, nil)
	mRunScen     = prometheus.NewDesc("gameday_run_scenarios", "Scenarios in the run, by result (passed, failed, errored; errored ones count as failed too).", []string{"result"}, nil)
	mRunExit     = prometheus.NewDesc("gameday_run_exit_code", "The exit code of gameday run: 0 passed, 1 an expectation failed, 3 infrastructure.", nil, nil)

	scenarioLabels = []string{"scenario"}
	mInfo          = prometheus.NewDesc("gameday_scenario_info", "Constant 1, labelled with the scenario's file, seed (the replay seed under --repeat), backend and policy hash.", []string{"scenario", "file", "seed", "backend", "policy_sha256"}, nil)
	mPassed        = prometheus.NewDesc("gameday_scenario_passed", "1 when every expectation held (in every run under --repeat), else 0.", scenarioLabels, nil)
	mErrored       = prometheus.NewDesc("gameday_scenario_errored", "1 when the scenario hit an infrastructure error, else 0.", scenarioLabels, nil)
	mRuns          = prometheus.NewDesc("gameday_scenario_runs", "Runs of the scenario (the --repeat count).", scenarioLabels, nil)
	mRunsPassed    = prometheus.NewDesc("gameday_scenario_runs_passed", "Runs of the scenario that passed.", scenarioLabels, nil)
	mDuration      = prometheus.NewDesc("gameday_scenario_duration_seconds", "Wall time of the scenario (the worst run under --repeat).", scenarioLabels, nil)
	mRecovery      = prometheus.NewDesc("gameday_scenario_recovery_seconds", "Time from the first injected fault to the end of the first successful run after it, over the runs that recovered; quantile 0 is the minimum, 1 the maximum.", scenarioLabels, nil)
	mGaveUp        = prometheus.NewDesc("gameday_scenario_gave_up_seconds", "When a fault was injected and nothing recovered: time from the first fault to the end of the last run (the worst run under --repeat).", scenarioLabels, nil)
	mGaveUpRuns    = prometheus.NewDesc("gameday_scenario_gave_up_runs", "Runs that were injected a fault and never recovered.", scenarioLabels, nil)
	mRequests      = prometheus.NewDesc("gameday_scenario_requests", "Requests through the fault proxies (the worst run under --repeat).", scenarioLabels, nil)
	mFaults        = prometheus.NewDesc("gameday_scenario_faults_injected", "Faults injected.", scenarioLabels, nil)
	mAttempts      = prometheus.NewDesc("gameday_scenario_attempts_max", "Attempts of the longest operation (retry chain).", scenarioLabels, nil)
	mRetries       = prometheus.NewDesc("gameday_scenario_retries", "Retries of all operations.", scenarioLabels, nil)
	mPages         = prometheus.NewDesc("gameday_scenario_pages", "Pages the alert receiver got.", scenarioLabels, nil)
	mAlerts        = prometheus.NewDesc("gameday_scenario_alerts", "Firing alerts the receiver got, by severity (pages included).", []string{"scenario", "severity"}, nil)
	mDuplicates    = prometheus.NewDesc("gameday_scenario_duplicate_artifacts", "Duplicate artifacts in the artifact bucket.", scenarioLabels, nil)
	mSuccess       = prometheus.NewDesc("gameday_scenario_success_ratio", "Successful scheduled runs of the workload / scheduled runs, 0..1 (the mean under --repeat).", scenarioLabels, nil)
	mExpectation   = prometheus.NewDesc("gameday_expectation_passed", "1 when the expectation held (in every run that judged it), else 0.", []string{"scenario", "expectation"}, nil)
	mHeld          = prometheus.NewDesc("gameday_expectation_held_ratio", "Share of the runs that judged the expectation in which it held, 0..1.", []string{"scenario", "expectation"}, nil)
)

// metricsCollector turns a Result into Prometheus metrics.
type metricsCollector struct{ r *Result }

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if !r.StartedAt.IsZero() {
		gauge(mRunStart, float64(r.StartedAt.UnixMilli())/1000)
	}
	gauge(mRunDuration, float64(r.DurationMS)/1000)
	gauge(mRunScen, float64(r.Summary.Passed), "passed")
	gauge(mRunScen, float64(r.Summary.Failed), "failed")
	gauge(mRunScen, float64(r.Summary.Errored), "errored")
	gauge(mRunExit, float64(r.ExitCode()))
	for _, s := range r.Scenarios {
		name := s.Name
		m := s.Metrics
		gauge(mInfo, 1, name, s.File, fmt.Sprint(s.Seed), r.Backend, s.PolicySHA256)
		gauge(mPassed, boolValue(s.Passed && s.Error == ""), name)
		gauge(mErrored, boolValue(s.Error != ""), name)
		runs, passed := 1, boolInt(s.Passed && s.Error == "")
		if s.Repeats != nil {
			runs, passed = s.Repeats.Runs, s.Repeats.Passed
		}
		gauge(mRuns, float64(runs), name)
		gauge(mRunsPassed, float64(passed), name)
		gauge(mDuration, float64(s.DurationMS)/1000, name)
		recoveryMetrics(ch, s)
		gauge(mRequests, float64(m.Requests), name)
		gauge(mFaults, float64(m.FaultsInjected), name)
		gauge(mAttempts, float64(m.Attempts), name)
		gauge(mRetries, float64(m.Retries), name)
		gauge(mPages, float64(m.Pages), name)
		alerts := alertsBySeverity(m.Alerts)
		sevs := make([]string, 0, len(alerts))
		for sev := range alerts {
			sevs = append(sevs, sev)
		}
		slices.Sort(sevs)
		for _, sev := range sevs {
			gauge(mAlerts, float64(alerts[sev]), name, sev)
		}
		gauge(mDuplicates, float64(m.DuplicateArtifacts), name)
		gauge(mSuccess, m.SuccessRate, name)
		for _, e := range s.Expectations {
			if !e.judged() {
				continue
			}
			gauge(mExpectation, boolValue(e.Passed), name, e.Name)
			held := boolValue(e.Passed)
			if e.Runs > 0 {
				held = float64(e.Held) / float64(e.Runs)
			}
			gauge(mHeld, held, name, e.Name)
		}
	}
}

// recoveryMetrics writes the recovery time as a summary (count, sum and the
// quantiles 0, 0.5, 0.95 and 1 over the runs that recovered) and the
// gave-up time, when there are any.
func recoveryMetrics(ch chan<- prometheus.Metric, s Scenario) {
	var times []int64
	runs := []Scenario{s}
	if s.Repeats != nil && len(s.Repeats.Each) > 0 {
		runs = s.Repeats.Each
	}
	gaveUp := 0
	for _, r := range runs {
		if r.Metrics.RecoveryTimeMS != nil {
			times = append(times, *r.Metrics.RecoveryTimeMS)
		}
		if r.Metrics.GaveUpAfterMS != nil {
			gaveUp++
		}
	}
	if len(times) > 0 {
		slices.Sort(times)
		var sum int64
		for _, t := range times {
			sum += t
		}
		q := map[float64]float64{
			0:    float64(times[0]) / 1000,
			0.5:  float64(Median(times)) / 1000,
			0.95: float64(Percentile(times, 95)) / 1000,
			1:    float64(times[len(times)-1]) / 1000,
		}
		ch <- prometheus.MustNewConstSummary(mRecovery, uint64(len(times)), float64(sum)/1000, q, s.Name)
	}
	ch <- prometheus.MustNewConstMetric(mGaveUpRuns, prometheus.GaugeValue, float64(gaveUp), s.Name)
	if s.Metrics.GaveUpAfterMS != nil {
		ch <- prometheus.MustNewConstMetric(mGaveUp, prometheus.GaugeValue, float64(*s.Metrics.GaveUpAfterMS)/1000, s.Name)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// WriteMetrics writes the numbers of r in the Prometheus text exposition
// format (version 0.0.4), for node_exporter's textfile collector or a
// Pushgateway: per scenario whether it passed, its runs, duration,
// recovery time (a summary with the quantiles 0, 0.5, 0.95 and 1), the
// time until it gave up, requests, faults, attempts, retries, pages,
// alerts by severity, duplicates and success ratio, and per expectation
// whether it held. Every name starts with gameday_ and carries its unit.
// The metrics are built with the Prometheus client library (a registry of
// one collector) and encoded by its expfmt package.
func WriteMetrics(w io.Writer, r *Result) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(metricsCollector{r}); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	families, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}

// WriteMetricsFile writes the metrics of r to path atomically (a temporary
// file in the same folder, renamed over path), as node_exporter's textfile
// collector needs: it never sees half a file.
func WriteMetricsFile(path string, r *Result) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	werr := WriteMetrics(tmp, r)
	cerr := tmp.Close()
	switch {
	case werr != nil:
		return werr
	case cerr != nil:
		return fmt.Errorf("write metrics: %w", cerr)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
