// Package explore searches for the fault schedule that breaks a scenario:
// the scenario's own expectations are the property, its faults are
// replaced by schedules drawn at random from what a fault-free calibration
// run showed the workload touching, and the first schedule that breaks the
// property (twice: a flaky failure does not count) is shrunk to the
// smallest schedule that still breaks it — property-based testing, with
// its shrinking, applied to retry and idempotency policies.
//
// Every run goes through the caller's runner (harness.RunScenarios), so
// explore adds no way of running a scenario of its own:
//
//	res, err := explore.Run(ctx, sc, explore.Options{
//		Trials: 50, Seed: 42, Parallel: 2, Out: "gameday-out/x",
//		Run:    harness.RunScenarios,
//	})
//	// res.Found: the minimal schedule, written to res.File
//
// The pieces are usable alone: Learn reads a calibration run into a Space,
// Draw draws a schedule over it, Search runs trials until one fails
// reproducibly, and Shrink reduces a failing schedule; Search and Shrink
// take any Check, which is how their specs test them on synthetic
// properties without starting a process.
package explore
