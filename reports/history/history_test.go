package history_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/reports/history"
)

// TestMain lets the test binary act as an appending process: with
// HISTORY_APPEND=FILE it appends HISTORY_RUNS runs (HISTORY_FAIL of them
// failing) to FILE, one gameday run each, and exits.
func TestMain(m *testing.M) {
	if path := os.Getenv("HISTORY_APPEND"); path != "" {
		os.Exit(appendRuns(path))
	}
	os.Exit(m.Run())
}

func appendRuns(path string) int {
	runs, _ := strconv.Atoi(os.Getenv("HISTORY_RUNS"))
	fail, _ := strconv.Atoi(os.Getenv("HISTORY_FAIL"))
	for i := range runs {
		db, err := history.Open(context.Background(), path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		r := result(int64(i), i >= runs-fail, time.Now())
		if _, err := db.Append(context.Background(), r, history.Meta{GitCommit: "abc"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := db.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func ms(v int64) *int64 { return &v }

// result is one gameday run of scenario "storage-503" with seed.
func result(seed int64, fail bool, at time.Time) *reports.Result {
	sc := reports.Scenario{Name: "storage-503", File: "s.yaml", Seed: seed, Passed: !fail, DurationMS: 900,
		PolicySHA256: "p1",
		Expectations: []reports.Expectation{{Name: "pages", Passed: true, Want: "0", Got: "0"}, {Name: "recovery_time", Passed: !fail, Want: "<=5s", Got: "x"}},
		Metrics:      reports.Metrics{Retries: 1, RecoveryTimeMS: ms(100 + seed*10), Alerts: map[string]int{}}}
	if fail {
		sc.Metrics.RecoveryTimeMS, sc.Metrics.GaveUpAfterMS = nil, ms(3000)
		sc.Metrics.Pages = 1
	}
	r := &reports.Result{StartedAt: at, Backend: "process", Command: "gameday run s.yaml", Scenarios: []reports.Scenario{sc}}
	r.Summarize()
	return r
}

func TestConcurrentAppendsFromTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]bytes.Buffer, 2)
	for p := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "HISTORY_APPEND="+path, "HISTORY_RUNS=5", "HISTORY_FAIL="+strconv.Itoa(p))
			cmd.Stdout, cmd.Stderr = &outs[p], &outs[p]
			errs[p] = cmd.Run()
		})
	}
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v: %s", p, err, outs[p].String())
		}
	}
	db, err := history.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(context.Background(), history.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 10 {
		t.Fatalf("%d runs, want 10", len(runs))
	}
	trends := history.Compute(runs, history.ByDay)
	if len(trends) != 1 || trends[0].Runs != 10 || trends[0].Passed != 9 {
		t.Fatalf("trends: %+v", trends)
	}
	var text bytes.Buffer
	if err := history.WriteText(&text, trends); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "10 runs of 1 scenario: 9 passed (90%)") {
		t.Errorf("text:\n%s", text.String())
	}
}

func TestCorruptAndForeignFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.db")
	good := filepath.Join(dir, "good.db")
	db, err := history.Open(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(context.Background(), result(1, false, time.Now()), history.Meta{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, _ := os.ReadFile(good)
	if err := os.WriteFile(truncated, b[:50], 0o644); err != nil {
		t.Fatal(err)
	}
	scrambled := filepath.Join(dir, "scrambled.db")
	s := append([]byte(nil), b...)
	for i := 100; i < len(s); i++ {
		s[i] ^= 0x5a
	}
	if err := os.WriteFile(scrambled, s, 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	fdb, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fdb.Exec("CREATE TABLE customers (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	fdb.Close()

	for _, tc := range []struct{ path, want string }{
		{garbage, "not an SQLite database"},
		{truncated, "not an SQLite database"},
		{scrambled, "corrupt"},
		{foreign, "another program (tables customers)"},
	} {
		before, _ := os.ReadFile(tc.path)
		_, err := history.Open(context.Background(), tc.path)
		if !errors.Is(err, history.ErrNotHistory) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with ErrNotHistory and %q", filepath.Base(tc.path), err, tc.want)
		}
		after, _ := os.ReadFile(tc.path)
		if !bytes.Equal(before, after) {
			t.Errorf("%s: the refused file was changed", filepath.Base(tc.path))
		}
	}
}

func TestTrendsByDayAndWeek(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := history.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mon := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC) // a Monday
	for i, day := range []int{0, 0, 1, 7, 8} {
		if _, err := db.Append(context.Background(), result(int64(i), i == 1, mon.AddDate(0, 0, day)), history.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.Runs(context.Background(), history.Query{})
	if err != nil {
		t.Fatal(err)
	}
	days := history.Compute(runs, history.ByDay)[0].Periods
	if len(days) != 4 || days[0].Label != "2026-11-30" || days[0].Runs != 2 || days[0].Passed != 1 {
		t.Fatalf("days: %+v", days)
	}
	if got := days[0].Flaky; len(got) != 1 || got[0] != "recovery_time" {
		t.Errorf("flaky on the first day: %v", got)
	}
	if days[0].RecoveryP50MS == nil || *days[0].RecoveryP50MS != 100 || days[0].GaveUp != 1 || days[0].Pages != 1 {
		t.Errorf("first day: %+v", days[0])
	}
	weeks := history.Compute(runs, history.ByWeek)[0].Periods
	if len(weeks) != 2 || weeks[0].Label != "2026-W49" || weeks[0].Runs != 3 || weeks[1].Runs != 2 {
		t.Fatalf("weeks: %+v", weeks)
	}
	since, err := db.Runs(context.Background(), history.Query{Since: mon.AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if len(since) != 2 {
		t.Errorf("since a week later: %d runs, want 2", len(since))
	}
	none, err := db.Runs(context.Background(), history.Query{Scenario: "other"})
	if err != nil || len(none) != 0 {
		t.Errorf("another scenario: %d runs, %v", len(none), err)
	}
	var page bytes.Buffer
	if err := history.WriteHTML(&page, history.Compute(runs, history.ByDay), history.Info{File: path, By: history.ByDay, Generated: mon}); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") || strings.Contains(html, "<script") {
		t.Error("trends.html is not self-contained")
	}
	if n := strings.Count(html, `data-kind="pass-rate"`); n != 4 {
		t.Errorf("%d pass-rate points, want 4", n)
	}
}

func TestRepeatedRunsAreOneRowPerSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := history.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var each []reports.Scenario
	for seed := range int64(5) {
		each = append(each, result(seed, seed == 2, time.Now()).Scenarios[0])
	}
	agg, err := reports.Aggregate(each)
	if err != nil {
		t.Fatal(err)
	}
	r := &reports.Result{StartedAt: time.Now(), Repeat: 5, Scenarios: []reports.Scenario{agg}}
	n, err := db.Append(context.Background(), r, history.Meta{})
	if err != nil || n != 5 {
		t.Fatalf("appended %d, %v", n, err)
	}
	runs, _ := db.Runs(context.Background(), history.Query{})
	if len(runs) != 5 || runs[2].Passed || runs[2].Seed != 2 || runs[2].GaveUpMS == nil || runs[0].PolicySHA256 != "p1" {
		t.Fatalf("runs: %+v", runs)
	}
}
