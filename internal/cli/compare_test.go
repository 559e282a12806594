package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

// TestCompareAndExploreBadInputExit2BeforeAnything: bad flags, SPECs and
// variants are exit 2, one line, and nothing runs (no output folder).
func TestCompareAndExploreBadInputExit2BeforeAnything(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	one := filepath.Join(library, "storage-503-single-transient.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--out", out, library}, "--b is required"},
		{[]string{"compare", "--out", out, "--b", "policy", library}, `"policy": want policy=FILE or env:NAME=VALUE`},
		{[]string{"compare", "--out", out, "--b", "policy=a.yaml", "--b", "policy=b.yaml", library}, "policy is given twice"},
		{[]string{"compare", "--out", out, "--b", "env:1X=y", one}, `invalid environment variable name "1X"`},
		{[]string{"compare", "--out", out, "--b", "policy=missing.yaml", one}, "policy missing.yaml"},
		{[]string{"compare", "--out", out, "--b", "env:A=1", "--tolerance", "-5%", library}, "--tolerance"},
		{[]string{"compare", "--out", out, "--b", "env:A=1", "--min-delta", "-1s", library}, "--min-delta"},
		{[]string{"compare", "--out", out, "--b", "env:A=1", "--repeat", "0", library}, "--repeat"},
		{[]string{"explore", "--out", out, "--trials", "0", one}, "--trials"},
		{[]string{"explore", "--out", out, "--actions", "503,teapot", one}, `unknown action "teapot"`},
		{[]string{"explore", "--out", out, "--env", "NOEQUALS", one}, "--env"},
		{[]string{"explore", "--out", out, "--policy", "missing.yaml", one}, "policy missing.yaml"},
		{[]string{"explore", "--out", out, library}, "holds 10 scenarios; explore takes one scenario file"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q in one line", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("bad input created %s", out)
	}
}
