package reports_test

import (
	"os"

	"github.com/gameday/gameday/reports"
)

func ExampleWriteText() {
	recovery := int64(1204)
	r := &reports.Result{Backend: "process", Scenarios: []reports.Scenario{
		{Name: "storage-503-single-transient", File: "scenarios/library/storage-503-single-transient.yaml", Seed: 42,
			Passed: true, DurationMS: 3412,
			Expectations: []reports.Expectation{{Name: "pages", Passed: true, Want: "0", Got: "0"}},
			Metrics:      reports.Metrics{Attempts: 2, Retries: 1, RecoveryTimeMS: &recovery, SuccessRate: 1}},
		{Name: "auth-401-fail-fast", File: "scenarios/library/auth-401-fail-fast.yaml", Seed: 7, DurationMS: 8950,
			Expectations: []reports.Expectation{{Name: "retries_after[0]", Want: "0", Got: "4",
				Message: "4 retries followed a 401"}},
			Metrics: reports.Metrics{Attempts: 5, Retries: 4, Pages: 1}},
	}}
	r.Summarize()
	_ = reports.WriteText(os.Stdout, r)
	// Output:
	// Failures:
	//   auth-401-fail-fast (seed 7)
	//     - retries_after[0]: want 0, got 4 — 4 retries followed a 401
	//
	// SCENARIO                      VERDICT  SEED  ATTEMPTS  RETRIES  PAGES  DUPLICATES  RECOVERY  DURATION
	// storage-503-single-transient  PASS     42    2         1        0      0           1.2s      3.4s
	// auth-401-fail-fast            FAIL     7     5         4        1      0           -         8.9s
	//
	// 2 scenarios: 1 passed, 1 failed
	//
	// Replay:
	//   gameday run --seed 7 scenarios/library/auth-401-fail-fast.yaml
}
