package strictyaml

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a file. Line and Col are 1-based; Line 0
// means the problem concerns the file as a whole.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Path is the path of the value concerned (see Doc), "" when unknown
	// or the whole document. It is not part of Error().
	Path string
}

// Error formats e as "file:line:col: msg", or "file: msg" when Line is 0.
// It is always one line: line breaks in the message are escaped.
func (e *Error) Error() string {
	msg := oneLine.Replace(e.Msg)
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, msg)
}

var oneLine = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`)

// Errors is every problem found in one or more files.
type Errors []*Error

// Error prints one line per error, sorted by file and position.
func (es Errors) Error() string {
	sorted := es.Sorted()
	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when es is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es.Sorted()
}

// Sorted returns a copy of es ordered by file, line, column and message,
// without exact duplicates.
func (es Errors) Sorted() Errors {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
		)
	})
	return slices.CompactFunc(out, func(a, b *Error) bool { return *a == *b })
}
