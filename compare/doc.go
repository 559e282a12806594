// Package compare runs the same scenarios under two variants — a policy
// file and/or workload environment each — with identical seeds, and
// reports what B changes: per scenario the verdicts, attempts, retries,
// recovery median and p95, pages, duplicates and duration of both, and
// the regressions (an expectation that held under A and fails under B, or
// a recovery median that grew past a tolerance).
//
//	a, _ := compare.ParseSpec([]string{"policy=policies/ci.yaml"})
//	b, _ := compare.ParseSpec([]string{"policy=policies/examples/ci-no-jitter.yaml"})
//	c, err := compare.Run(ctx, list, compare.Options{A: a, B: b, Out: out, Run: harness.RunScenarios})
//	// c.Regressed(): gameday compare exits 1
//
// Both variants go through the caller's runner (harness.RunScenarios),
// one run each; Diff compares two results without running anything.
package compare
