package strictyaml

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml/lexer"
)

// TestTokenNesting checks the exact check on its own: it must stop what
// the byte pre-scan stops, should the pre-scan ever misread a file.
func TestTokenNesting(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		deep bool
	}{
		{"x: " + strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting), true},
		{"x: " + strings.Repeat("[", MaxNesting-1) + strings.Repeat("]", MaxNesting-1), false},
		{"x:\n" + strings.Repeat("- ", MaxNesting+1) + "a\n", true},
		{"x:\n" + strings.Repeat("- ", MaxNesting-2) + "a\n", false},
		{"x: '" + strings.Repeat("[", 300) + "'\ny: |\n  " + strings.Repeat("- ", 300) + "\n", false},
	} {
		err := tokenNesting("d.yaml", lexer.Tokenize(tc.doc))
		if (err != nil) != tc.deep {
			t.Errorf("tokenNesting(%.40q...) = %v, want deep=%v", tc.doc, err, tc.deep)
		}
		if err != nil && err.Msg != nestingMsg {
			t.Errorf("message %q", err.Msg)
		}
	}
}
