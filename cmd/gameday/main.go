// Command gameday is a chaos / game-day harness for ML pipelines. See README.md.
package main

import (
	"os"

	"github.com/gameday/gameday/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
