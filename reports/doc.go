// Package reports holds the result model of a gameday run and its writers:
// report.json (WriteJSON, ReadJSON), junit.xml (WriteJUnit), summary.md
// (WriteMarkdown, AppendStepSummary) and the console output of `gameday run`
// (Console).
//
// The runner fills a Result and hands it to the writers; reports never reaches
// back into the harness:
//
//	res := &reports.Result{Backend: "process", StartedAt: start}
//	res.Scenarios = append(res.Scenarios, sc) // one per scenario, or reports.Aggregate(runs) with --repeat
//	res.Summarize()
//	err := reports.WriteFiles(outDir, res) // report.json, junit.xml, summary.md
package reports
