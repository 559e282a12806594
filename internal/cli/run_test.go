package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

// TestRunBadInputExits2BeforeAnything: every kind of bad input is exit 2,
// reported before anything starts (no output folder appears).
func TestRunBadInputExits2BeforeAnything(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nprobabilty: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "bad-policy.yaml")
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte("retry: {max_attempts: lots}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := "name: bad-policy\ntargets: {api: {kind: stub}}\nworkload: {pipeline: reference, policy: p.yaml}\n"
	if err := os.WriteFile(badPolicy, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	noExec := filepath.Join(dir, "no-exec.yaml")
	if err := os.WriteFile(noExec, []byte("name: no-exec\ntargets: {api: {kind: stub}}\nworkload: {exec: [./missing.sh]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	matrix := filepath.Join("..", "..", "scenarios", "testdata", "good", "matrix.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--out", out, bad}, "bad.yaml:2:1"},
		{[]string{"run", "--out", out, badPolicy}, "p.yaml:1:23: retry.max_attempts"},
		{[]string{"run", "--out", out, noExec}, "no-exec.yaml:3:12: workload.exec: program \"./missing.sh\": no such file"},
		{[]string{"run", "--out", out, filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"run", "--out", out, "--backend", "nowhere", library}, "--backend"},
		{[]string{"run", "--out", out, "--parallel", "0", library}, "--parallel"},
		{[]string{"run", "--out", out, "--repeat", "0", library}, "--repeat"},
		{[]string{"run", "--out", out, "--repeat", "3", "--seed", "9223372036854775806", library}, "too large for --repeat 3"},
		{[]string{"run", "--out", out, "--filter", "no-such-scenario", library}, "no scenario matches"},
		{[]string{"run", "--out", out, library, library}, "also used by"},
		{[]string{"run", "--out", out, "--env", "NOPE", library}, "run: --env \"NOPE\": want NAME=VALUE"},
		{[]string{"run", "--out", out, "--env", "AWS_SECRET_ACCESS_KEY=x", library}, "AWS_SECRET_ACCESS_KEY is set by the harness"},
		{[]string{"run", "--out", out, "--env", "RETRY_MODE=x", matrix}, "RETRY_MODE is an axis of the matrix of matrix: choose a combination by name (--filter 'matrix[RETRY_MODE=...]') instead"},
		{[]string{"run", "--out", out, "--filter", "matrix[RETRY_MODE=none,*]", matrix}, "no scenario matches --filter matrix[RETRY_MODE=none,*]"},
		{[]string{"run", "--out", out, "--filter", "matrix?", matrix}, "run: --filter: glob \"matrix?\": '?' is not supported"},
		{[]string{"run"}, "arg"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("bad input created %s", out)
	}
}
