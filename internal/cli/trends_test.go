package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday/gameday/internal/cli"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/reports/history"
)

func TestTrendsPrintsPerScenarioAndPeriodAndWritesTrendsHTML(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "history.db")
	db, err := history.Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reports.ReadFile("../../reports/testdata/timeline-report.json")
	if err != nil {
		t.Fatal(err)
	}
	r.StartedAt = time.Now().Add(-time.Hour)
	if _, err := db.Append(context.Background(), r, history.Meta{}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runCLI(t, "trends", file, "--scenario", "*-page", "--since", "2026-01-01", "--out", filepath.Join(dir, "site"))
	if code != cli.ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "three-failures-page") || strings.Contains(out, "storage-503") ||
		!strings.Contains(out, "1 run of 1 scenario: 1 passed (100%)") {
		t.Errorf("stdout:\n%s", out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "site", "trends.html"))
	if err != nil || !strings.Contains(string(page), `aria-label="trend of three-failures-page"`) {
		t.Errorf("trends.html: %v", err)
	}

	code, out, _ = runCLI(t, "trends", file)
	if code != cli.ExitOK || !strings.Contains(out, "8 runs of 4 scenarios: 8 passed (100%)") {
		t.Errorf("exit %d, all runs, one row per seed:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "trends.html")); err != nil {
		t.Errorf("trends.html next to the file: %v", err)
	}
}

func TestTrendsRefusesACorruptFileInOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte(strings.Repeat("garbage\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"trends", bad}, {"trends", bad + ".missing"}, {"trends", bad, "--by", "month"}, {"trends", bad, "--since", "soon"}} {
		code, out, errOut := runCLI(t, args...)
		if code != cli.ExitBadInput || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "gameday: trends: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 and one line", args, code, out, errOut)
		}
	}
}
