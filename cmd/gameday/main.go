// Command gameday is a chaos / game-day harness for ML pipelines. See README.md.
package main

import (
	"os"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/cli"
)

func main() {
	// Orphans among the processes gameday starts (a workload's setsid
	// daemon) re-parent to gameday, which kills and reaps them. Done here
	// only: a library call must never change the process it runs in.
	_ = lifecycle.BecomeSubreaper()
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
