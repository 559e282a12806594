// Package harness boots the real things a scenario runs against and tears
// them down again: MinIO servers and stub APIs started through a Backend
// (child processes or Docker containers), fault proxies in front of them,
// the alert receiver (package receiver), timer faults, the workload
// environment and redaction, and the run records `gameday clean` uses to
// remove what a killed run left behind.
//
//	run, _ := harness.NewRun("my-run", time.Now())
//	defer run.Close()
//	b, _ := harness.NewBackend(ctx, harness.BackendAuto, harness.Options{Run: run})
//	t, _ := b.Start(ctx, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
//	defer t.Stop(ctx)
//	_ = harness.SeedMinIO(ctx, t, []string{"models"}, nil, 42)
//	_ = t.Crash(ctx)   // SIGKILL; the address stays reserved
//	_ = t.Restart(ctx) // same address, same data
//
// BootStack does all of it for a loaded scenario (targets, seeding, proxies
// with the faults armed, receiver, timers); `gameday run` runs a workload
// against one, `gameday up` holds one, and so does the Go API (package
// gameday at the module root). A FaultSwitch arms and disarms a running
// stack's faults by name; Observed judges a stack that ran no workload of
// the harness's own.
package harness
