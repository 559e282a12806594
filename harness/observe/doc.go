// Package observe turns what the harness saw from the outside of a workload
// into Observations: the proxies' request journal (operations, attempts,
// retries, the gaps between attempts and the answer before each retry), a
// listing of every object version in the artifact bucket (duplicates), the
// alert receiver's notifications (pages and alerts by severity), and the
// runner's records of each run (exit, crash, timing, recovery).
//
// Nothing is taken from the workload's own logs, so the observations hold for
// a pipeline written in any language:
//
//	obs := observe.Observe(observe.Input{Journal: entries, Runs: runs, Notifications: notes})
//	for _, op := range obs.Operations { fmt.Println(op, len(op.Retries)) }
package observe
