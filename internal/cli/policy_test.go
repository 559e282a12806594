package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

func TestPolicyCheckExitCodes(t *testing.T) {
	for _, tc := range []struct {
		file string
		code int
		want string
	}{
		{"../../policies/default.yaml", cli.ExitOK, "no violations"},
		{"../../policies/ci.yaml", cli.ExitOK, "no violations"},
		{"../../policies/examples/retries-401.yaml", cli.ExitFailed, "1 violation(s): permanent"},
		{"../../policies/examples/no-jitter-no-overall-timeout.yaml", cli.ExitFailed, "2 violation(s): jitter, overall_timeout"},
		{"../../policies/examples/pages-on-first-failure.yaml", cli.ExitFailed, "1 violation(s): paging"},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			code, out, errOut := runCLI(t, "policy", "check", tc.file)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want %d; output:\n%s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestPolicyCheckFlags(t *testing.T) {
	code, out, _ := runCLI(t, "policy", "check", "../../policies/ci.yaml", "--sla", "10s", "--client-retries", "10")
	if code != cli.ExitFailed || !strings.Contains(out, "sla, nested_retries") || !strings.Contains(out, "50") {
		t.Errorf("exit %d; output:\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "policy", "check", "../../policies/ci.yaml", "--sla", "1m"); code != cli.ExitOK {
		t.Errorf("ci.yaml within a 1m SLA: exit %d, want 0", code)
	}
}

func TestPolicyCheckInvalidFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("retry: {max_attempts: 0}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "policy", "check", bad)
	if code != cli.ExitBadInput || !strings.Contains(errOut, "bad.yaml:1:") {
		t.Errorf("exit %d, stderr %q; want 2 with a positioned error", code, errOut)
	}
	if code, _, _ := runCLI(t, "policy", "check", filepath.Join(t.TempDir(), "missing.yaml")); code != cli.ExitBadInput {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

func TestPolicySimulateIsDeterministic(t *testing.T) {
	_, a, _ := runCLI(t, "policy", "simulate", "--seed", "3", "--trials", "3")
	code, b, _ := runCLI(t, "policy", "simulate", "--seed", "3", "--trials", "3")
	if code != cli.ExitOK || a != b || !strings.Contains(a, "calls decorrelated") {
		t.Errorf("exit %d; outputs differ or lack the table:\n%s\n%s", code, a, b)
	}
}

func TestPolicyFlagsAreBounded(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"policy", "check", "../../policies/ci.yaml", "--client-retries", "9223372036854775807"}, "gameday: policy check: --client-retries 9223372036854775807: want 0 to 1000\n"},
		{[]string{"policy", "check", "../../policies/ci.yaml", "--client-retries", "-1"}, "gameday: policy check: --client-retries -1: want 0 to 1000\n"},
		{[]string{"policy", "simulate", "--trials", "100000000"}, "gameday: policy simulate: --trials 100000000: want 1 to 100000\n"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || errOut != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", tc.args, code, errOut, tc.want)
		}
	}
}
