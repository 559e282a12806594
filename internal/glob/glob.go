// Package glob is gameday's one glob dialect, used wherever a pattern is
// written: fault match paths, artifact kinds, --filter. In it '*' matches
// any run of characters, '/' included, and every other character matches
// itself. The characters other dialects give a meaning ('?', '[', ']',
// '\\') are refused by Validate, so a pattern that validates never means
// something else than it seems.
//
//	if err := glob.Validate("model*.bin"); err != nil { ... }
//	glob.Match("model*.bin", "model-17.bin") // true
//	glob.Match("/features/*", "/features/day/part-0.bin") // true
package glob

import (
	"errors"
	"fmt"
	"strings"
)

// reserved are the characters other glob dialects treat as special.
const reserved = `?[]\`

// Validate reports whether pattern is a glob of this dialect: not empty,
// and free of '?', '[', ']' and '\'.
func Validate(pattern string) error {
	if pattern == "" {
		return errors.New("empty glob")
	}
	if i := strings.IndexAny(pattern, reserved); i >= 0 {
		return fmt.Errorf("glob %q: %q is not supported (only * is special: it matches any run of characters, / included)", pattern, pattern[i])
	}
	return nil
}

// Match reports whether name matches pattern. It is linear in practice
// (backtracking to the last star only), never exponential.
func Match(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
