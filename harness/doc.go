// Package harness boots the real things a scenario runs against and tears
// them down again: MinIO servers and stub APIs started through a Backend
// (child processes or Docker containers), the alert receiver, the workload
// environment, and the records `gameday clean` uses to remove what a killed
// run left behind.
//
//	b, _ := harness.NewBackend(ctx, harness.BackendAuto, harness.Options{Run: run})
//	t, _ := b.Start(ctx, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
//	defer t.Stop(ctx)
//	_ = harness.SeedMinIO(ctx, t, spec, 42)
//	_ = t.Crash(ctx)   // SIGKILL; the port stays reserved
//	_ = t.Restart(ctx) // same address, same data
package harness
