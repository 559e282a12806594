//go:build !unix

package reports

// drawable assumes a terminal has a size where it cannot be asked.
func drawable(uintptr) bool { return true }

// TerminalWidth returns 0 where a terminal cannot be asked for its size.
func TerminalWidth(any) int { return 0 }
