package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// filterFlag is --filter: repeatable, and each value a comma-separated
// list of name or tag globs, as pflag's string slices are, except that a
// comma inside [ ] belongs to a matrix combination's name
// (upload[RETRY_MODE=standard,policy=ci]) and does not split. The globs
// are validated by the command (glob.ValidateName), so that a bad one is
// bad input like any other.
type filterFlag struct{ globs *[]string }

// addFilterFlag defines --filter on fs, appending to globs.
func addFilterFlag(fs *pflag.FlagSet, globs *[]string, usage string) {
	fs.Var(filterFlag{globs}, "filter", usage)
}

func (f filterFlag) Set(s string) error {
	depth, start := 0, 0
	var parts []string
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, s[start:])
	*f.globs = append(*f.globs, parts...)
	return nil
}

func (f filterFlag) String() string {
	if f.globs == nil {
		return ""
	}
	return strings.Join(*f.globs, ",")
}

func (f filterFlag) Type() string { return "strings" }
