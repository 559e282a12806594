package compare

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gameday/gameday/reports"
)

// Defaults of the recovery regression rule.
const (
	DefaultTolerance = 0.20
	DefaultMinDelta  = 250 * time.Millisecond
)

// DefaultRule is the rule gameday compare applies unless told otherwise.
var DefaultRule = Rule{Tolerance: DefaultTolerance, MinDelta: DefaultMinDelta}

// Row is one scenario under both variants.
type Row struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Seeds are the seeds both variants ran with.
	Seeds []int64 `json:"seeds"`
	A     Side    `json:"a"`
	B     Side    `json:"b"`
	// Regressions are what B made worse; Improvements what it made better.
	Regressions  []Change `json:"regressions,omitempty"`
	Improvements []Change `json:"improvements,omitempty"`
}

// Side is one variant's numbers for a scenario. With repeats every count
// is the worst run's, and recovery is the median and p95 over the runs
// that recovered.
type Side struct {
	// Verdict is PASS, FAIL, FLAKY or ERROR; Held and Runs say how many
	// runs passed under --repeat.
	Verdict string `json:"verdict"`
	Passed  int    `json:"passed_runs"`
	Runs    int    `json:"runs"`
	Error   string `json:"error,omitempty"`

	Attempts   int   `json:"attempts"`
	Retries    int   `json:"retries"`
	Pages      int   `json:"pages"`
	Duplicates int   `json:"duplicates"`
	DurationMS int64 `json:"duration_ms"`
	// RecoveryMedianMS and RecoveryP95MS are nil when no run recovered;
	// Recovered and GaveUp count the runs that did and those that were
	// injected a fault and never recovered.
	RecoveryMedianMS *int64 `json:"recovery_median_ms"`
	RecoveryP95MS    *int64 `json:"recovery_p95_ms"`
	Recovered        int    `json:"recovered_runs"`
	GaveUp           int    `json:"gave_up_runs"`
	// Expectations are the scenario's verdicts under this variant.
	Expectations []Expectation `json:"expectations"`
	// Report is the variant's report.html, relative to the compare output.
	Report string `json:"report,omitempty"`
}

// Expectation is one verdict: whether it held in every run, in how many
// it did, and the first failing run's want and got.
type Expectation struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Held    int    `json:"held"`
	Runs    int    `json:"runs"`
	Want    string `json:"want"`
	Got     string `json:"got"`
	Message string `json:"message,omitempty"`
}

// Change is a regression or an improvement.
type Change struct {
	// Kind is "expectation" or "recovery".
	Kind string `json:"kind"`
	// Name is the expectation's name, or "recovery_median".
	Name string `json:"name"`
	// A and B are the values under each variant, as text.
	A string `json:"a"`
	B string `json:"b"`
	// Message says it in a sentence.
	Message string `json:"message"`
}

// Rule is what makes a recovery change count: B's median must differ from
// A's by more than Tolerance (a fraction of A's) and by more than
// MinDelta, so noise on a 40 ms recovery is no regression.
type Rule struct {
	Tolerance float64
	MinDelta  time.Duration
}

// Diff compares the results of the same scenarios under A and B, matched
// by name in A's order. A scenario missing from either side (an
// interrupted run) is left out.
func Diff(a, b *reports.Result, rule Rule) []Row {
	byName := map[string]reports.Scenario{}
	for _, s := range b.Scenarios {
		byName[s.Name] = s
	}
	var rows []Row
	for _, sa := range a.Scenarios {
		sb, ok := byName[sa.Name]
		if !ok {
			continue
		}
		r := Row{Name: sa.Name, File: sa.File, Seeds: seedsOf(sa), A: sideOf(sa), B: sideOf(sb)}
		if sa.Error == "" && sb.Error == "" {
			r.Regressions, r.Improvements = changes(r.A, r.B, rule)
		}
		rows = append(rows, r)
	}
	return rows
}

func seedsOf(s reports.Scenario) []int64 {
	if s.Repeats != nil {
		return s.Repeats.Seeds
	}
	return []int64{s.Seed}
}

func sideOf(s reports.Scenario) Side {
	m := s.Metrics
	out := Side{Verdict: s.Verdict(), Runs: 1, Error: s.Error, Attempts: m.Attempts, Retries: m.Retries, Pages: m.Pages,
		Duplicates: m.DuplicateArtifacts, DurationMS: s.DurationMS}
	if s.Passed && s.Error == "" {
		out.Passed = 1
	}
	if st := s.RecoveryStats(); st != nil {
		out.Runs, out.Passed = s.Repeats.Runs, s.Repeats.Passed
		out.RecoveryMedianMS, out.RecoveryP95MS, out.Recovered, out.GaveUp = st.MedianMS, st.P95MS, st.Recovered, st.GaveUp
	} else if m.RecoveryTimeMS != nil {
		out.RecoveryMedianMS, out.RecoveryP95MS, out.Recovered = m.RecoveryTimeMS, m.RecoveryTimeMS, 1
	} else if m.GaveUpAfterMS != nil {
		out.GaveUp = 1
	}
	for _, e := range s.Expectations {
		x := Expectation{Name: e.Name, Passed: e.Passed, Held: e.Held, Runs: e.Runs, Want: e.Want, Got: e.Got,
			Message: strings.TrimPrefix(e.Message, e.Name+": ")}
		if x.Runs == 0 && len(e.NotJudgedSeeds) == 0 {
			x.Runs = 1
			if e.Passed {
				x.Held = 1
			}
		}
		out.Expectations = append(out.Expectations, x)
	}
	return out
}

// held reports an expectation that held in every run that judged it (and
// was judged at all).
func (e Expectation) held() bool { return e.Passed && e.Runs > 0 && e.Held == e.Runs }

// failed reports an expectation that failed in some run.
func (e Expectation) failed() bool { return e.Runs > 0 && e.Held < e.Runs }

// text says how the expectation went: held, failed, or held 3/5.
func (e Expectation) text() string {
	if e.Runs > 1 {
		return fmt.Sprintf("held %d/%d", e.Held, e.Runs)
	}
	if e.Passed {
		return "held"
	}
	return "failed"
}

// runs says in how many runs it held, under --repeat: " (5/5)".
func (e Expectation) runs() string {
	if e.Runs > 1 {
		return fmt.Sprintf(" (%d/%d)", e.Held, e.Runs)
	}
	return ""
}

// why is the failure's explanation: the judge's message, else want and got.
func (e Expectation) why() string {
	if e.Message != "" && !strings.HasPrefix(e.Message, "seed ") {
		return e.Message
	}
	return fmt.Sprintf("want %s, got %s", e.Want, e.Got)
}

// changes finds what B made worse and better than A.
func changes(a, b Side, rule Rule) (worse, better []Change) {
	bx := map[string]Expectation{}
	for _, e := range b.Expectations {
		bx[e.Name] = e
	}
	for _, ea := range a.Expectations {
		eb, ok := bx[ea.Name]
		if !ok {
			continue
		}
		switch {
		case ea.held() && eb.failed():
			worse = append(worse, Change{Kind: "expectation", Name: ea.Name, A: ea.text(), B: eb.text(),
				Message: fmt.Sprintf("%s held under A%s, fails under B%s: %s", ea.Name, ea.runs(), eb.runs(), eb.why())})
		case ea.failed() && eb.held():
			better = append(better, Change{Kind: "expectation", Name: ea.Name, A: ea.text(), B: eb.text(),
				Message: fmt.Sprintf("%s failed under A%s (%s), holds under B%s", ea.Name, ea.runs(), ea.why(), eb.runs())})
		}
	}
	ma, mb := a.RecoveryMedianMS, b.RecoveryMedianMS
	switch {
	case ma != nil && mb != nil:
		delta := *mb - *ma
		pct := math.Inf(1)
		if *ma > 0 {
			pct = float64(delta) / float64(*ma)
		}
		c := Change{Kind: "recovery", Name: "recovery_median", A: reports.FormatMS(*ma), B: reports.FormatMS(*mb)}
		minMS := rule.MinDelta.Milliseconds()
		switch {
		case delta > minMS && pct > rule.Tolerance:
			c.Message = fmt.Sprintf("recovery median grew from %s to %s (%s), past the %.0f%% tolerance", c.A, c.B, percent(pct), rule.Tolerance*100)
			worse = append(worse, c)
		case -delta > minMS && -float64(delta) > rule.Tolerance*float64(*mb):
			c.Message = fmt.Sprintf("recovery median fell from %s to %s (%s)", c.A, c.B, percent(pct))
			better = append(better, c)
		}
	case ma != nil && mb == nil:
		why := "no fault was injected under B"
		if b.GaveUp > 0 {
			why = "it gave up"
		}
		worse = append(worse, Change{Kind: "recovery", Name: "recovery_median", A: reports.FormatMS(*ma), B: "none",
			Message: fmt.Sprintf("recovered under A (median %s), never under B: %s", reports.FormatMS(*ma), why)})
	case ma == nil && mb != nil && a.GaveUp > 0:
		better = append(better, Change{Kind: "recovery", Name: "recovery_median", A: "none", B: reports.FormatMS(*mb),
			Message: fmt.Sprintf("never recovered under A, recovers under B (median %s)", reports.FormatMS(*mb))})
	}
	return worse, better
}

func percent(f float64) string {
	if math.IsInf(f, 0) {
		return "from 0"
	}
	return fmt.Sprintf("%+.0f%%", f*100)
}
