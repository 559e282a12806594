package history

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gameday/gameday/internal/svgplot"
	"github.com/gameday/gameday/reports"
)

// Period is how trends group runs: by UTC day or by ISO week (from Monday).
type Period string

// The periods of `gameday trends --by`.
const (
	ByDay  Period = "day"
	ByWeek Period = "week"
)

// Start returns the start of the period t falls in (UTC).
func (p Period) Start(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if p == ByWeek {
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	}
	return day
}

// Label names the period starting at start: "2026-12-03", or for a week
// "2026-W49".
func (p Period) Label(start time.Time) string {
	if p == ByWeek {
		y, w := start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	}
	return start.Format("2006-01-02")
}

// Trend is what one scenario's runs did in one period.
type Trend struct {
	Start time.Time
	Label string
	Runs  int
	// Passed counts the runs that passed; PassRate is Passed / Runs.
	Passed   int
	PassRate float64
	// Errored counts runs that hit an infrastructure error.
	Errored int
	// Flaky lists the expectations that held in some runs of the period
	// and failed in others.
	Flaky []string
	// Recovery is over the runs that recovered: P50 (the median) and P95
	// (nearest rank), as reports.RecoveryStats computes them; nil when
	// none recovered. GaveUp counts the runs that never recovered.
	Recovered            int
	RecoveryP50MS        *int64
	RecoveryP95MS        *int64
	GaveUp               int
	RetriesPerRun        float64
	Pages                int
	Policies, GitCommits int // distinct policy hashes and commits seen
}

// ScenarioTrends are a scenario's trends, oldest period first.
type ScenarioTrends struct {
	Scenario string
	Periods  []Trend
	// Runs counts every run of the scenario in the trends.
	Runs, Passed int
}

// Compute groups runs by scenario (sorted by name) and period.
func Compute(runs []Run, by Period) []ScenarioTrends {
	type key struct {
		scenario string
		start    time.Time
	}
	groups := map[key][]Run{}
	names := map[string]bool{}
	for _, r := range runs {
		k := key{r.Scenario, by.Start(r.StartedAt)}
		groups[k] = append(groups[k], r)
		names[r.Scenario] = true
	}
	var out []ScenarioTrends
	for _, name := range sortedKeys(names) {
		st := ScenarioTrends{Scenario: name}
		var starts []time.Time
		for k := range groups {
			if k.scenario == name {
				starts = append(starts, k.start)
			}
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
		for _, start := range starts {
			t := trendOf(groups[key{name, start}])
			t.Start, t.Label = start, by.Label(start)
			st.Periods = append(st.Periods, t)
			st.Runs += t.Runs
			st.Passed += t.Passed
		}
		out = append(out, st)
	}
	return out
}

func trendOf(runs []Run) Trend {
	t := Trend{Runs: len(runs)}
	held, failed := map[string]int{}, map[string]int{}
	policies, commits := map[string]bool{}, map[string]bool{}
	var times []int64
	retries := 0
	for _, r := range runs {
		if r.Passed {
			t.Passed++
		}
		if r.Verdict == "ERROR" {
			t.Errored++
		}
		for name, ok := range r.Expectations {
			if ok {
				held[name]++
			} else {
				failed[name]++
			}
		}
		switch {
		case r.RecoveryMS != nil:
			times = append(times, *r.RecoveryMS)
		case r.GaveUpMS != nil:
			t.GaveUp++
		}
		retries += r.Retries
		t.Pages += r.Pages
		policies[r.PolicySHA256] = true
		if r.GitCommit != "" {
			commits[r.GitCommit] = true
		}
	}
	if t.Runs > 0 {
		t.PassRate = float64(t.Passed) / float64(t.Runs)
		t.RetriesPerRun = float64(retries) / float64(t.Runs)
	}
	for name := range held {
		if failed[name] > 0 {
			t.Flaky = append(t.Flaky, name)
		}
	}
	slices.Sort(t.Flaky)
	if len(times) > 0 {
		slices.Sort(times)
		p50, p95 := reports.Median(times), reports.Percentile(times, 95)
		t.Recovered, t.RecoveryP50MS, t.RecoveryP95MS = len(times), &p50, &p95
	}
	t.Policies, t.GitCommits = len(policies), len(commits)
	return t
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var trendsHeader = []string{"SCENARIO", "PERIOD", "RUNS", "PASS RATE", "FLAKY", "RECOVERY P50", "RECOVERY P95", "GAVE UP", "RETRIES/RUN", "PAGES"}

// WriteText writes the trends as a table: per scenario and period its
// runs, pass rate, flaky expectations, recovery p50/p95, runs that gave
// up, retries per run and pages; then a line of totals.
func WriteText(w io.Writer, trends []ScenarioTrends) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(trendsHeader, "\t"))
	runs, passed := 0, 0
	for _, st := range trends {
		for _, t := range st.Periods {
			fmt.Fprintln(tw, strings.Join([]string{
				st.Scenario, t.Label, strconv.Itoa(t.Runs),
				fmt.Sprintf("%s (%d/%d)", svgplot.Percent(t.PassRate), t.Passed, t.Runs),
				flakyText(t.Flaky), msText(t.RecoveryP50MS), msText(t.RecoveryP95MS), strconv.Itoa(t.GaveUp),
				strconv.FormatFloat(t.RetriesPerRun, 'f', 1, 64), strconv.Itoa(t.Pages),
			}, "\t"))
		}
		runs += st.Runs
		passed += st.Passed
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write trends: %w", err)
	}
	rate := 0.0
	if runs > 0 {
		rate = float64(passed) / float64(runs)
	}
	if _, err := fmt.Fprintf(w, "\n%d %s of %d %s: %d passed (%s)\n", runs, plural(runs, "run", "runs"),
		len(trends), plural(len(trends), "scenario", "scenarios"), passed, svgplot.Percent(rate)); err != nil {
		return fmt.Errorf("write trends: %w", err)
	}
	return nil
}

func flakyText(names []string) string {
	if len(names) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", len(names), strings.Join(names, ", "))
}

func msText(v *int64) string {
	if v == nil {
		return "-"
	}
	return svgplot.MS(float64(*v))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ParseSince reads the --since of `gameday trends`: an age ("30d", "2w",
// "36h", any Go duration) counted back from now, or a date ("2026-11-01",
// UTC) or an RFC 3339 time. "" means all runs (the zero time).
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, unit := range []struct {
		suffix string
		d      time.Duration
	}{{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(s, unit.suffix); ok {
			if v, err := strconv.Atoi(n); err == nil && v >= 0 {
				return now.Add(-time.Duration(v) * unit.d), nil
			}
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want an age (30d, 2w, 36h) or a date (2026-11-01)", s)
}
