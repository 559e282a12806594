package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/internal/svgplot"
)

// HTMLFile is the self-contained HTML report WriteFiles writes.
const HTMLFile = "report.html"

//go:embed html.tmpl
var htmlSource string

//go:embed page.css
var pageCSS string

// PageCSS is the style sheet of gameday's HTML pages (report.html and
// trends.html), inlined into each.
func PageCSS() template.CSS { return template.CSS(pageCSS) }

var htmlTemplate = template.Must(template.Must(template.New("report").Funcs(template.FuncMap{"css": PageCSS}).Parse(htmlSource)).Parse(svgplot.DrawingTemplate))

// WriteHTML writes report.html: one self-contained page (inline CSS and
// SVG, no script, nothing fetched) with the table of scenarios, and per
// scenario its verdicts with their messages, its metrics, a timeline of
// what happened when (see Timeline), and under --repeat one row per seed
// with the distribution of recovery time and the timeline of every seed.
// A failed scenario shows its replay command and the end of its workload
// log. It is a pure function of r: every string comes from the Result,
// which the runner has redacted, and html/template escapes it.
func WriteHTML(w io.Writer, r *Result) error {
	if err := htmlTemplate.Execute(w, htmlPageOf(r)); err != nil {
		return fmt.Errorf("write report html: %w", err)
	}
	return nil
}

type htmlPage struct {
	Headline  string
	Failed    bool
	StartedAt string
	Backend   string
	Command   string
	Duration  string
	Header    []string
	Rows      []htmlRow
	Scenarios []htmlScenario
	Replays   []string
}

type htmlRow struct {
	Anchor, Verdict, VerdictClass string
	Cells                         []string
}

type htmlScenario struct {
	Anchor, Name, File, Description string
	Verdict, VerdictClass           string
	Seed                            int64
	Duration                        string
	Replay, Error, Fix              string
	Expectations                    []htmlExpectation
	Metrics                         []htmlMetric
	Log                             *LogTail
	Timeline                        *svgplot.Drawing
	Repeat                          *htmlRepeat
}

type htmlExpectation struct {
	Name, Verdict, VerdictClass, Want, Got, Held, Message string
}

type htmlMetric struct{ Name, Value string }

type htmlRepeat struct {
	Runs, Passed int
	Stats        string
	Quantiles    []htmlMetric
	Strip        *svgplot.Drawing
	Header       []string
	Seeds        []htmlSeed
}

type htmlSeed struct {
	Anchor                string
	Seed                  int64
	Verdict, VerdictClass string
	Cells                 []string
	Open                  bool
	Error                 string
	Failed                []htmlExpectation
	Timeline              *svgplot.Drawing
	Log                   *LogTail
	Replay                string
}

func htmlPageOf(r *Result) htmlPage {
	p := htmlPage{
		Headline:  headline(r),
		Failed:    r.Summary.Failed > 0,
		Backend:   r.Backend,
		Command:   r.Command,
		Duration:  formatMS(r.DurationMS),
		Header:    tableHeader,
		StartedAt: r.StartedAt.UTC().Format(time.RFC3339),
	}
	for _, s := range r.Scenarios {
		anchor := htmlAnchor(s.Name)
		verdict := s.Verdict()
		p.Rows = append(p.Rows, htmlRow{Anchor: anchor, Verdict: tableRow(s)[1], VerdictClass: verdictClass(verdict), Cells: tableRow(s)})
		p.Scenarios = append(p.Scenarios, htmlScenarioOf(s, anchor))
	}
	for _, s := range replayable(r.Failed()) {
		p.Replays = append(p.Replays, s.ReplayCommand())
	}
	return p
}

func htmlScenarioOf(s Scenario, anchor string) htmlScenario {
	v := s.Verdict()
	h := htmlScenario{
		Anchor: anchor, Name: s.Name, File: s.File, Seed: s.Seed,
		Verdict: v, VerdictClass: verdictClass(v), Duration: formatMS(s.DurationMS),
		Error: s.Error, Fix: s.Fix(),
		Log: s.WorkloadLog,
	}
	if !s.Passed && s.Replayable() {
		h.Replay = s.ReplayCommand()
	}
	for _, e := range s.Expectations {
		h.Expectations = append(h.Expectations, htmlExpectationOf(e))
	}
	h.Metrics = metricsList(s)
	if s.Timeline != nil {
		d := timelineSVG(s.Timeline, s.Metrics)
		h.Timeline = &d
	}
	if s.Repeats != nil && len(s.Repeats.Each) > 0 {
		h.Repeat = htmlRepeatOf(s, anchor)
	}
	return h
}

func htmlExpectationOf(e Expectation) htmlExpectation {
	he := htmlExpectation{Name: e.Name, Want: e.Want, Got: e.Got, Message: e.Message, Verdict: "PASS", VerdictClass: "pass"}
	if !e.Passed {
		he.Verdict, he.VerdictClass = "FAIL", "fail"
		if e.Inconclusive {
			he.Verdict = "FAIL (inconclusive)"
		}
	}
	if e.Runs > 0 || len(e.NotJudgedSeeds) > 0 {
		he.Held = fmt.Sprintf("%d/%d", e.Held, e.Runs)
		if len(e.FailedSeeds) > 0 {
			he.Held += "; failed seeds " + joinSeeds(e.FailedSeeds)
		}
		if len(e.NotJudgedSeeds) > 0 {
			he.Held += "; not judged in seeds " + joinSeeds(e.NotJudgedSeeds)
		}
	}
	return he
}

func metricsList(s Scenario) []htmlMetric {
	m := s.Metrics
	alerts := alertsBySeverity(m.Alerts)
	out := []htmlMetric{
		{"requests", strconv.Itoa(m.Requests)},
		{"faults injected", strconv.Itoa(m.FaultsInjected)},
		{"attempts (longest operation)", strconv.Itoa(m.Attempts)},
		{"retries", strconv.Itoa(m.Retries)},
		{"pages", strconv.Itoa(m.Pages)},
		{"alerts", fmt.Sprintf("info %d, warning %d, page %d", alerts["info"], alerts["warning"], alerts["page"])},
		{"duplicate artifacts", strconv.Itoa(m.DuplicateArtifacts)},
		{"recovery", s.RecoveryText()},
		{"success rate", strconv.FormatFloat(m.SuccessRate*100, 'f', -1, 64) + "%"},
		{"duration", formatMS(s.DurationMS)},
	}
	if s.Repeats != nil {
		out[len(out)-1].Name = "duration (worst run)"
	}
	return out
}

func htmlRepeatOf(s Scenario, anchor string) *htmlRepeat {
	rep := s.Repeats
	st := s.RecoveryStats()
	hr := &htmlRepeat{Runs: rep.Runs, Passed: rep.Passed, Header: seedHeader}
	if st != nil {
		hr.Stats = st.Text()
		if st.Recovered > 0 {
			hr.Quantiles = []htmlMetric{
				{"min", formatMS(*st.MinMS)}, {"median", formatMS(*st.MedianMS)},
				{"p95", formatMS(*st.P95MS)}, {"max", fmt.Sprintf("%s (seed %d)", formatMS(*st.MaxMS), *st.WorstSeed)},
			}
		}
		if st.Recovered+st.GaveUp > 0 && len(rep.Each) > 0 {
			d := stripSVG(rep.Each, st)
			hr.Strip = &d
		}
	}
	// The seed whose timeline is open: the one the scenario's seed points
	// at (the first failure), else the worst recovery.
	open := s.Seed
	if s.Passed && st != nil && st.WorstSeed != nil {
		open = *st.WorstSeed
	}
	for _, run := range rep.Each {
		v := run.Verdict()
		sd := htmlSeed{
			Anchor: fmt.Sprintf("%s-seed-%d", anchor, run.Seed), Seed: run.Seed,
			Verdict: v, VerdictClass: verdictClass(v), Open: run.Seed == open,
			Error: run.Error, Log: run.WorkloadLog,
			Cells: []string{run.Metrics.RecoveryText(), strconv.Itoa(run.Metrics.Attempts), strconv.Itoa(run.Metrics.Retries),
				strconv.Itoa(run.Metrics.Pages), strconv.Itoa(run.Metrics.DuplicateArtifacts), formatMS(run.DurationMS)},
		}
		if !run.Passed && run.Replayable() {
			sd.Replay = run.ReplayCommand()
		}
		for _, e := range run.Expectations {
			if !e.Passed {
				sd.Failed = append(sd.Failed, htmlExpectationOf(e))
			}
		}
		if run.Timeline != nil {
			d := timelineSVG(run.Timeline, run.Metrics)
			sd.Timeline = &d
		}
		hr.Seeds = append(hr.Seeds, sd)
	}
	return hr
}

func verdictClass(v string) string {
	switch v {
	case "PASS":
		return "pass"
	case "FLAKY":
		return "flaky"
	default:
		return "fail"
	}
}

var notAnchor = regexp.MustCompile(`[^a-z0-9-]+`)

// htmlAnchor is the fragment id of a scenario's section.
func htmlAnchor(name string) string {
	return "s-" + strings.Trim(notAnchor.ReplaceAllString(strings.ToLower(name), "-"), "-")
}
