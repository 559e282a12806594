// Package glob is gameday's one glob dialect, used wherever a pattern is
// written: fault match paths, artifact kinds, --filter. In it '*' matches
// any run of characters, '/' included, and every other character matches
// itself, '[' and ']' included. Patterns are checked before use, so that
// one that validates never means something else than it seems:
//
//   - Validate, for patterns over paths and keys (fault match paths,
//     artifact kinds), refuses '?', '[', ']' and '\\', which other dialects
//     give a meaning: model[0-9].bin would otherwise silently never match
//     model7.bin.
//   - ValidateName, for patterns over scenario names and tags (--filter,
//     trends --scenario), refuses '?' and '\\' only: a matrix combination is
//     named name[VAR=value,...], so there '[' and ']' are the literal
//     brackets of that name.
//
// For example:
//
//	if err := glob.Validate("model*.bin"); err != nil { ... }
//	glob.Match("model*.bin", "model-17.bin") // true
//	glob.Match("/features/*", "/features/day/part-0.bin") // true
//	glob.Match("upload[mode=standard,*]", "upload[mode=standard,fault=503]") // true
package glob

import (
	"errors"
	"fmt"
	"strings"
)

// reserved are the characters other glob dialects treat as special;
// reservedInNames are those of them a name never holds.
const (
	reserved        = `?[]\`
	reservedInNames = `?\`
)

// Validate reports whether pattern is a glob of this dialect over paths or
// keys: not empty, and free of '?', '[', ']' and '\'.
func Validate(pattern string) error {
	return validate(pattern, reserved, "only * is special: it matches any run of characters, / included")
}

// ValidateName reports whether pattern is a glob of this dialect over
// scenario names and tags: not empty, and free of '?' and '\'. '[' and ']'
// stand for themselves, the brackets of a matrix combination's name.
func ValidateName(pattern string) error {
	return validate(pattern, reservedInNames, "only * is special: it matches any run of characters; [ and ] stand for themselves, as in name[VAR=value,*]")
}

func validate(pattern, refused, why string) error {
	if pattern == "" {
		return errors.New("empty glob")
	}
	if i := strings.IndexAny(pattern, refused); i >= 0 {
		return fmt.Errorf("glob %q: %q is not supported (%s)", pattern, pattern[i], why)
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
