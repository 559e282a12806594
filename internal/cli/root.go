// Package cli implements the gameday command line. Main runs it in-process so
// that tests can call every command without building the binary.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes of gameday, as DESIGN.md fixes them.
const (
	ExitOK       = 0 // every expectation held
	ExitFailed   = 1 // an expectation (or a check) failed
	ExitBadInput = 2 // invalid scenario/policy file or bad flags
	ExitInfra    = 3 // a target could not be started or died unasked
)

// ExitError carries the exit code a command wants, with the error to print.
// A nil Err means "exit with Code, print nothing more".
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// badInput wraps err as an exit-2 error.
func badInput(err error) error { return &ExitError{Code: ExitBadInput, Err: err} }

// infra wraps err as an exit-3 error.
func infra(err error) error { return &ExitError{Code: ExitInfra, Err: err} }

// failed wraps err as an exit-1 error; a nil err exits 1 silently.
func failed(err error) error { return &ExitError{Code: ExitFailed, Err: err} }

// Main runs gameday with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "gameday:", ee.Err)
		}
		return ee.Code
	}
	// Errors cobra itself raises (unknown command or flag, wrong arg count)
	// are bad input.
	fmt.Fprintln(stderr, "gameday:", err)
	return ExitBadInput
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "gameday",
		Short:         "Chaos / game-day harness: inject HTTP faults into real object storage and APIs, and judge the pipeline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		// Commands are added here, one constructor per file (newXxxCmd).
		newReportCmd(),
		newStubCmd(),
		newUpCmd(),
		newCleanCmd(),
		newPolicyCmd(),
		newProxyCmd(),
		newRunCmd(),
		newTrendsCmd(),
		newValidateCmd(),
		newListCmd(),
		newSchemaCmd(),
		newPipelineCmd(),
		newMergeCmd(),
		newExportCmd(),
		newCompareCmd(),
		newExploreCmd(),
	)
	return root
}
