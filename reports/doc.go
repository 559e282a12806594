// Package reports holds the result model of a gameday run and its writers:
// report.json (WriteJSON, ReadJSON), junit.xml (WriteJUnit), summary.md
// (WriteMarkdown, AppendStepSummary), report.html (WriteHTML: a
// self-contained page with a Timeline per run), the Prometheus text format
// (WriteMetrics) and the console output of `gameday run` (Console). The
// history database and its trends are in the sub-package history.
//
// The runner fills a Result and hands it to the writers; reports never reaches
// back into the harness:
//
//	res := &reports.Result{Backend: "process", StartedAt: start}
//	res.Scenarios = append(res.Scenarios, sc) // one per scenario, or reports.Aggregate(runs) with --repeat
//	res.Summarize()
//	err := reports.WriteFiles(outDir, res) // report.json, junit.xml, summary.md, report.html
//
// # Repeats
//
// With --repeat N, Aggregate folds the N runs of a scenario into one
// Scenario whose numbers are per run, never summed: requests,
// faults_injected, attempts, retries, pages, alerts (per severity),
// duplicate_artifacts, recovery_time_ms and duration_ms are the worst run's
// (the maximum); success_rate is the mean over the runs; seed is the first
// failed seed (a judged failure before an infrastructure error), else the
// first seed. Each expectation says in how many runs it held (held/runs) and
// which seeds it failed; repeats.each keeps every single run.
//
// # Replay and fix
//
// A scenario that failed a judged expectation gets a replay command
// (`gameday run --seed N FILE`). A scenario that hit an infrastructure error
// (exit 3) gets its error and a fix instead (Scenario.Fix): replaying the seed
// would only hit the same broken environment.
//
// ReadJSON validates the structure of what it reads and names the JSON path
// of the first problem, e.g. "scenarios[0]: null".
package reports
