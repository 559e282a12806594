package strictyaml_test

import (
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/strictyaml"
)

// FuzzDecode: any bytes decode without panicking, and every error is one
// positioned line naming the file.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"name: x\nitems: [{status: 1, probability: 0.5}]\n",
		"name: &a x\nenv: {A: *a}\nfree: {a: [1, b, null]}\n",
		"name: x\n\tcount: 1\n",
		"", "~", "- a\n", "name: [x\n", "a: 1\n---\nb: 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c config
		_, errs := strictyaml.Decode("f.yaml", data, &c)
		for _, line := range strings.Split(errs.Error(), "\n") {
			if len(errs) > 0 && !strings.HasPrefix(line, "f.yaml") {
				t.Fatalf("line does not name the file: %q", line)
			}
			if strings.Contains(line, "internal error") {
				t.Fatalf("internal error: %s", line)
			}
		}
	})
}
