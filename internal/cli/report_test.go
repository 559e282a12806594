package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

// fixtureReport is the report the reports package's golden files come from.
const fixtureReport = "../../reports/testdata/report.json"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../reports/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestReportRendersEachFormat(t *testing.T) {
	for _, tc := range []struct{ format, golden string }{
		{"md", "summary.golden.md"},
		{"junit", "junit.golden.xml"},
		{"text", "table.golden.txt"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "report", fixtureReport, "--format", tc.format)
			if code != cli.ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if want := golden(t, tc.golden); out != want {
				t.Errorf("--format %s differs from %s:\n%s", tc.format, tc.golden, out)
			}
		})
	}
}

func TestReportDefaultsToMarkdownAndWritesOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "summary.md")
	code, stdout, errOut := runCLI(t, "report", fixtureReport, "--out", out)
	if code != cli.ExitOK || stdout != "" || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != golden(t, "summary.golden.md") {
		t.Errorf("--out file differs from summary.golden.md:\n%s", got)
	}
}

func TestReportJSONRoundTrips(t *testing.T) {
	code, out, _ := runCLI(t, "report", fixtureReport, "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	path := filepath.Join(t.TempDir(), "again.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, again, _ := runCLI(t, "report", path, "--format", "json")
	if code != cli.ExitOK || again != out {
		t.Fatalf("exit %d; second rendering differs", code)
	}
	if !strings.Contains(out, `"expectations_failed": 3`) {
		t.Errorf("summary not recomputed: %s", out)
	}
}

func TestReportBadInputIsExit2NamingTheFile(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"format_version": 1, "scenarios": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	nullScenario := filepath.Join(dir, "report.json")
	if err := os.WriteFile(nullScenario, []byte(`{"format_version":1,"scenarios":[null]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	future := filepath.Join(dir, "future.json")
	if err := os.WriteFile(future, []byte(`{"format_version": 9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, "gameday: report: read " + filepath.Join(dir, "nope.json") + ": no such file or directory\n"},
		{"broken json", []string{"report", broken}, "gameday: report: " + broken + ": read report json: unexpected EOF\n"},
		{"null scenario", []string{"report", nullScenario, "--format", "text"}, "gameday: report: " + nullScenario + ": read report json: scenarios[0]: null\n"},
		{"future version", []string{"report", future}, "gameday: report: " + future + ": read report json: format_version 9 not supported (want 1..1)\n"},
		{"unknown format", []string{"report", fixtureReport, "--format", "pdf"}, "gameday: report: unknown --format \"pdf\" (want md, junit, json, text or html)\n"},
		{"no argument", []string{"report"}, "gameday: accepts 1 arg(s), received 0\n"},
		{"bad --out", []string{"report", fixtureReport, "--out", filepath.Join(dir, "no", "such", "x.md")}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != cli.ExitBadInput {
				t.Errorf("exit %d, want %d", code, cli.ExitBadInput)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q, want %q", errOut, tc.wantErr)
			}
		})
	}
}

// TestReportStripsControlCharacters: a report.json is data from elsewhere;
// what report prints to stdout must not drive the terminal.
func TestReportStripsControlCharacters(t *testing.T) {
	data, err := os.ReadFile(fixtureReport)
	if err != nil {
		t.Fatal(err)
	}
	hostile := strings.Replace(string(data), `"message": "`, `"message": "\u001b[2J\u001b]0;pwned\u0007\r\u009b31m`, 1)
	if hostile == string(data) {
		t.Fatal("the fixture has no message to poison")
	}
	p := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(p, []byte(hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "md", "junit", "json"} {
		code, out, errOut := runCLI(t, "report", p, "--format", format)
		if code != cli.ExitOK {
			t.Fatalf("--format %s: exit %d, stderr %q", format, code, errOut)
		}
		if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f }); i >= 0 {
			t.Errorf("--format %s printed control character %q at %d", format, out[i], i)
		}
		if format != "json" && !strings.Contains(out, "[2J") {
			t.Errorf("--format %s dropped the printable rest of the message", format)
		}
	}
}

func TestReportRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        "gameday: report: read " + fifo + ": is a FIFO, not a regular file\n",
		"/dev/zero": "gameday: report: read /dev/zero: is a character device, not a regular file\n",
		dir:         "gameday: report: read " + dir + ": is a directory, not a regular file\n",
	} {
		code, _, errOut := runCLI(t, "report", path)
		if code != cli.ExitBadInput || errOut != want {
			t.Errorf("%s: exit %d, stderr %q; want 2, %q", path, code, errOut, want)
		}
	}
}

func TestReportRendersHTMLWithTimelines(t *testing.T) {
	code, out, errOut := runCLI(t, "report", "../../reports/testdata/timeline-report.json", "--format", "html")
	if code != cli.ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, `<section id="s-three-failures-page"`) ||
		!strings.Contains(out, `aria-label="timeline"`) {
		t.Errorf("not the HTML report with its timelines:\n%.400s", out)
	}
}
