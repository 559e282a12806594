// Package lifecycle starts and stops the processes and containers a run
// needs, and finds them again after the harness was killed: MinIO servers
// and stub APIs started through a Backend (child processes or Docker
// containers) on ports taken from a Ports allocator, the workload's process
// groups (Workload), the run records under StateHome, and Clean, which
// removes what a killed run left behind (`gameday clean`).
//
//	run, _ := lifecycle.NewRun("my-run", time.Now())
//	defer run.Close()
//	b, _ := lifecycle.NewBackend(ctx, lifecycle.BackendAuto, lifecycle.Options{Run: run})
//	t, _ := b.Start(ctx, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
//	defer t.Stop(ctx)
//	_ = lifecycle.SeedMinIO(ctx, t, []string{"models"}, nil, 42)
//	_ = t.Crash(ctx)   // SIGKILL; the address stays reserved
//	_ = t.Restart(ctx) // same address, same data
//
// Every process it starts carries MarkerEnv, so it and its descendants are
// found by run, also after they left their process group.
package lifecycle
