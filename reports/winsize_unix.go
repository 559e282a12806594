//go:build unix

package reports

import "golang.org/x/sys/unix"

// drawable reports whether the terminal on fd has a size to draw live
// progress in. A pseudo-terminal nobody sized (0×0, as under `script`
// without a terminal, or some `docker run -t`) makes the progress library
// drop every line, so it gets plain lines instead.
func drawable(fd uintptr) bool {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	return err == nil && ws.Row > 0 && ws.Col > 0
}

// TerminalWidth returns the width in columns of the terminal w writes to,
// or 0 when w is not a terminal or has no size.
func TerminalWidth(w any) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
