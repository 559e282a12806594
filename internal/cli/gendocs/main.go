// Command gendocs writes gameday's CLI reference: Markdown pages to
// docs/cli (or the first argument) and, with a second argument, man pages
// there; without the second it also renders the generated blocks of
// docs/scenarios.md. make docs and make man run it.
package main

import (
	"fmt"
	"os"

	"github.com/gameday/gameday/internal/cli"
)

func main() {
	md, man := "docs/cli", ""
	if len(os.Args) > 1 {
		md = os.Args[1]
	}
	if len(os.Args) > 2 {
		man = os.Args[2]
	}
	if err := cli.GenerateDocs(md, man); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if man == "" {
		if _, err := cli.UpdateEnvTable("docs/scenarios.md"); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
}
