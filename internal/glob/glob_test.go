package glob_test

import (
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/glob"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, n string
		want bool
	}{
		{"model*.bin", "model.bin", true},
		{"model*.bin", "model-17.bin", true},
		{"model*.bin", "model.json", false},
		{"/features/*", "/features/day/part-0.bin", true},
		{"meta.json", "meta.json", true},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	} {
		if got := glob.Match(c.p, c.n); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.n, got, c.want)
		}
	}
	// Never exponential: a pathological pattern on a long name.
	if glob.Match(strings.Repeat("*a", 50)+"b", strings.Repeat("a", 10000)) {
		t.Error("matched")
	}
}

// TestValidateDecidesWhatMatches: a pattern either validates and means
// what its characters say, or is refused; model[0-9].bin, which another
// dialect would take as a class, is refused rather than silently never
// matching model7.bin.
func TestValidateDecidesWhatMatches(t *testing.T) {
	for _, p := range []string{"model[0-9].bin", "model?.bin", `a\*b`, ""} {
		if glob.Validate(p) == nil {
			t.Errorf("Validate(%q) accepted it", p)
		}
	}
	if err := glob.Validate("model[0-9].bin"); err == nil || !strings.Contains(err.Error(), `'['`) {
		t.Errorf("error %v should name '['", err)
	}
	for _, p := range []string{"model*.bin", "meta.json", "/v1/*/x"} {
		if err := glob.Validate(p); err != nil {
			t.Errorf("Validate(%q): %v", p, err)
		}
	}
}

// TestValidateNameTakesBracketsLiterally: over names, '[' and ']' are the
// brackets of a matrix combination's name, so a filter selects a
// combination by writing it; '?' and '\' stay refused.
func TestValidateNameTakesBracketsLiterally(t *testing.T) {
	for _, p := range []string{"upload[mode=standard,*]", "upload[*]", "*]", "ci"} {
		if err := glob.ValidateName(p); err != nil {
			t.Errorf("ValidateName(%q): %v", p, err)
		}
	}
	for _, p := range []string{"upload?", `upload\[`, ""} {
		if glob.ValidateName(p) == nil {
			t.Errorf("ValidateName(%q) accepted it", p)
		}
	}
	for _, c := range []struct {
		p, n string
		want bool
	}{
		{"upload[mode=standard,*]", "upload[mode=standard,fault=503]", true},
		{"upload[mode=standard,*]", "upload[mode=adaptive,fault=503]", false},
		{"upload[*]", "upload", false},
		{"upload[mode=standard,fault=503]", "upload[mode=standard,fault=503]", true},
		{"*[mode=legacy]", "other[mode=legacy]", true},
	} {
		if got := glob.Match(c.p, c.n); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.n, got, c.want)
		}
	}
}
