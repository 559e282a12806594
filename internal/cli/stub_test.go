package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

func TestStubBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	misspelt := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(misspelt, []byte("routes:\n  - {path: /a, stauts: 201}\n  - {path: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("routes:\n  - {path: /a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A routes file's problems: one FILE:LINE:COL line each, as gameday
	// validate prints them, and nothing else (no source excerpt).
	code, _, stderr := runCLI(t, "stub", "--routes", misspelt)
	want := misspelt + `:2:16: routes[0]: unknown key "stauts" (did you mean "status"?)` + "\n" +
		misspelt + `:3:12: routes[1].path: "b" must start with /` + "\n"
	if code != cli.ExitBadInput || stderr != want {
		t.Errorf("misspelt key: exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stub"}, "--routes is required"},
		{[]string{"stub", "--routes", filepath.Join(dir, "missing.yaml")}, "missing.yaml: no such file or directory"},
		{[]string{"stub", "--routes", good, "--listen", "0.0.0.0:0"}, `--listen "0.0.0.0:0": host 0.0.0.0 is not a loopback address; only 127.0.0.0/8, ::1 and localhost are allowed`},
		{[]string{"stub", "--routes", good, "--listen", "[::]:0"}, "is not a loopback address"},
		{[]string{"stub", "--routes", good, "--listen", ":0"}, "every interface"},
		{[]string{"stub", "--routes", good, "--listen", "example.com:0"}, "is not a loopback address"},
		{[]string{"stub", "--routes", good, "--listen", "127.0.0.1"}, "--listen"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestListenHelpSaysLoopbackOnce(t *testing.T) {
	for _, cmd := range []string{"stub", "proxy"} {
		_, out, _ := runCLI(t, cmd, "--help")
		var line string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "--listen string") {
				line = l
			}
		}
		if !strings.Contains(line, "loopback") || strings.Count(line, "default") != 1 {
			t.Errorf("%s --listen help %q: want it to say loopback and give the default once", cmd, line)
		}
	}
}
