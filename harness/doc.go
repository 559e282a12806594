// Package harness boots the real things a scenario runs against and tears
// them down again: targets started through package lifecycle (MinIO
// servers and stub APIs as child processes or Docker containers), fault
// proxies in front of them, the alert receiver (package receiver), timer
// faults, and the workload environment and redaction.
//
// BootStack does all of it for a loaded scenario (targets, seeding, proxies
// with the faults armed, receiver, timers); `gameday run` runs a workload
// against one, `gameday up` holds one, and so does the Go API (package
// gameday at the module root). A FaultSwitch arms and disarms a running
// stack's faults by name; Observed judges a stack that ran no workload of
// the harness's own.
package harness
