package history

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/internal/svgplot"
	"github.com/gameday/gameday/reports"
)

// TrendsFile is the page WriteHTML's caller writes: trends.html.
const TrendsFile = "trends.html"

// Info describes what a trends page was computed from.
type Info struct {
	File      string    // the history file
	Since     time.Time // zero: all runs
	By        Period
	Scenario  string // the --scenario glob, if any
	Generated time.Time
}

const trendsSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>gameday trends: {{.Headline}}</title>
<style>{{css}}</style>
</head>
<body>
<header>
<h1>gameday trends</h1>
<p class="headline">{{.Headline}}</p>
<p class="meta">history <code>{{.File}}</code> · {{.Window}} · by {{.By}}{{with .Scenario}} · scenarios <code>{{.}}</code>{{end}} · generated {{.Generated}}</p>
</header>
<main>
<table class="summary">
<thead><tr><th>scenario</th><th>runs</th><th>pass rate</th><th>last period</th><th>recovery p50 (last)</th><th>recovery p95 (last)</th></tr></thead>
<tbody>
{{range .Scenarios}}<tr><td><a href="#{{.Anchor}}">{{.Name}}</a></td><td>{{.Runs}}</td><td>{{.PassRate}}</td><td>{{.Last}}</td><td>{{.LastP50}}</td><td>{{.LastP95}}</td></tr>
{{else}}<tr><td colspan="6">no runs recorded in this window</td></tr>
{{end}}</tbody>
</table>
{{range .Scenarios}}
<section id="{{.Anchor}}" class="scenario">
<h2>{{.Name}}</h2>
<p class="meta">{{.Runs}} runs, {{.PassRate}} passed</p>
<div class="timeline">{{template "svg" .Chart}}</div>
<details class="seed"><summary>{{len .Rows}} periods</summary>
<table class="seeds">
<thead><tr><th>period</th><th>runs</th><th>pass rate</th><th>flaky expectations</th><th>recovery p50</th><th>recovery p95</th><th>gave up</th><th>retries/run</th><th>pages</th><th>policies</th><th>commits</th></tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</details>
</section>
{{end}}
<section class="legend-box"><div class="legend">
<span><svg viewBox="0 0 14 10"><line x1="1" y1="5" x2="13" y2="5" class="line-pass"/></svg>pass rate</span>
<span><svg viewBox="0 0 14 10"><line x1="1" y1="5" x2="13" y2="5" class="line-p50"/></svg>recovery p50</span>
<span><svg viewBox="0 0 14 10"><line x1="1" y1="5" x2="13" y2="5" class="line-p95"/></svg>recovery p95</span>
</div>
<p>Recovery is over the runs that recovered (median; p95 by nearest rank). A run that never recovered counts under "gave up". A flaky expectation held in some runs of the period and failed in others.</p></section>
</main>
<footer>written by gameday trends · a single file: no scripts, nothing fetched</footer>
</body>
</html>
`

var trendsTemplate = template.Must(template.Must(template.New("trends").
	Funcs(template.FuncMap{"css": reports.PageCSS}).Parse(trendsSource)).Parse(svgplot.DrawingTemplate))

type trendsPage struct {
	Headline, File, Window, Scenario, Generated string
	By                                          Period
	Scenarios                                   []trendsScenario
}

type trendsScenario struct {
	Anchor, Name, PassRate, Last, LastP50, LastP95 string
	Runs                                           int
	Chart                                          svgplot.Drawing
	Rows                                           [][]string
}

// WriteHTML writes trends.html: one self-contained page (inline CSS and
// SVG, no script, nothing fetched) with, per scenario, a line chart of its
// pass rate and recovery p50/p95 per period and the table of periods. The
// scenarios come worst first: lowest pass rate, then by name.
func WriteHTML(w io.Writer, trends []ScenarioTrends, info Info) error {
	trends = slices.Clone(trends)
	sort.SliceStable(trends, func(i, j int) bool {
		return float64(trends[i].Passed)*float64(max(trends[j].Runs, 1)) < float64(trends[j].Passed)*float64(max(trends[i].Runs, 1))
	})
	runs, passed := 0, 0
	for _, st := range trends {
		runs += st.Runs
		passed += st.Passed
	}
	page := trendsPage{
		Headline:  fmt.Sprintf("%d runs of %d scenarios, %s passed", runs, len(trends), rate(passed, runs)),
		File:      info.File,
		Window:    "all runs",
		Scenario:  info.Scenario,
		By:        info.By,
		Generated: info.Generated.UTC().Format(time.RFC3339),
	}
	if !info.Since.IsZero() {
		page.Window = "since " + info.Since.UTC().Format(time.RFC3339)
	}
	for _, st := range trends {
		ts := trendsScenario{Anchor: "t-" + anchorName(st.Scenario), Name: st.Scenario, Runs: st.Runs,
			PassRate: rate(st.Passed, st.Runs), Chart: trendChart(st)}
		if n := len(st.Periods); n > 0 {
			last := st.Periods[n-1]
			ts.Last = fmt.Sprintf("%s: %s of %d", last.Label, svgplot.Percent(last.PassRate), last.Runs)
			ts.LastP50, ts.LastP95 = msText(last.RecoveryP50MS), msText(last.RecoveryP95MS)
		}
		for _, t := range st.Periods {
			ts.Rows = append(ts.Rows, []string{t.Label, strconv.Itoa(t.Runs),
				fmt.Sprintf("%s (%d/%d)", svgplot.Percent(t.PassRate), t.Passed, t.Runs),
				flakyText(t.Flaky), msText(t.RecoveryP50MS), msText(t.RecoveryP95MS), strconv.Itoa(t.GaveUp),
				strconv.FormatFloat(t.RetriesPerRun, 'f', 1, 64), strconv.Itoa(t.Pages),
				strconv.Itoa(t.Policies), strconv.Itoa(t.GitCommits)})
		}
		page.Scenarios = append(page.Scenarios, ts)
	}
	if err := trendsTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("write trends html: %w", err)
	}
	return nil
}

func rate(passed, runs int) string {
	if runs == 0 {
		return "-"
	}
	return svgplot.Percent(float64(passed) / float64(runs))
}

func anchorName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// trendChart draws a scenario's periods: the pass rate on top (0..100%),
// recovery p50 and p95 below, periods evenly spaced along x.
func trendChart(st ScenarioTrends) svgplot.Drawing {
	const w, left, right = 1000.0, 150.0, 30.0
	const passTop, passH, recTop, recH = 14.0, 80.0, 120.0, 120.0
	n := len(st.Periods)
	x := func(i int) float64 {
		if n == 1 {
			return (left + w - right) / 2
		}
		return svgplot.Linear(0, float64(n-1), left+10, w-right-10).At(float64(i))
	}
	pass := svgplot.Linear(0, 1, passTop+passH, passTop)
	hi := 1.0
	for _, t := range st.Periods {
		if t.RecoveryP95MS != nil {
			hi = max(hi, float64(*t.RecoveryP95MS))
		}
	}
	hi *= 1.1
	rec := svgplot.Linear(0, hi, recTop+recH, recTop)

	var els []svgplot.El
	els = append(els,
		svgplot.Rect(left, passTop, w-left-right, passH, "lane alt", "", ""),
		svgplot.Rect(left, recTop, w-left-right, recH, "lane alt", "", ""),
		svgplot.Text(8, passTop+12, "pass rate", "start", "lane-label"),
		svgplot.Text(8, recTop+12, "recovery", "start", "lane-label"),
		svgplot.Text(8, recTop+26, "p50 / p95", "start", "lane-sub"))
	for _, v := range []float64{0, 0.5, 1} {
		y := pass.At(v)
		els = append(els, svgplot.Line(left, y, w-right, y, "grid", ""), svgplot.Text(left-6, y+4, svgplot.Percent(v), "end", "tick"))
	}
	step := svgplot.Step(0, hi, 4)
	for _, v := range svgplot.Ticks(0, hi, 4) {
		y := rec.At(v)
		els = append(els, svgplot.Line(left, y, w-right, y, "grid", ""), svgplot.Text(left-6, y+4, svgplot.TickMS(v, step), "end", "tick"))
	}
	every := max(1, n/12) // at most about 12 period labels
	for i, t := range st.Periods {
		if i%every == 0 || i == n-1 {
			els = append(els, svgplot.Text(x(i), recTop+recH+16, t.Label, "middle", "tick"))
		}
	}
	var passPts, p50Pts, p95Pts []point
	for i, t := range st.Periods {
		passPts = append(passPts, point{x(i), pass.At(t.PassRate), fmt.Sprintf("%s: passed %s (%d of %d runs)", t.Label, svgplot.Percent(t.PassRate), t.Passed, t.Runs), true})
		p50Pts = append(p50Pts, recPoint(x(i), rec, t.RecoveryP50MS, t.Label+": recovery p50 ", t))
		p95Pts = append(p95Pts, recPoint(x(i), rec, t.RecoveryP95MS, t.Label+": recovery p95 ", t))
	}
	recovered, gaveUp := 0, 0
	for _, t := range st.Periods {
		recovered += t.Recovered
		gaveUp += t.GaveUp
	}
	switch {
	case recovered == 0 && gaveUp > 0:
		els = append(els, svgplot.Text(left+12, recTop+recH/2, fmt.Sprintf("no run recovered: %d of %d gave up", gaveUp, st.Runs), "start", "none"))
	case recovered == 0:
		els = append(els, svgplot.Text(left+12, recTop+recH/2, "no fault injected: nothing to recover from", "start", "none"))
	}
	els = append(els, polyline(passPts, "line-pass", "pt-pass", "pass-rate")...)
	els = append(els, polyline(p95Pts, "line-p95", "pt-p95", "recovery-p95")...)
	els = append(els, polyline(p50Pts, "line-p50", "pt-p50", "recovery-p50")...)
	return svgplot.Drawing{W: svgplot.Num(w), H: svgplot.Num(recTop + recH + 26), Label: "trend of " + st.Scenario, Els: els}
}

type point struct {
	x, y  float64
	title string
	ok    bool
}

func recPoint(x float64, s svgplot.Scale, v *int64, title string, t Trend) point {
	if v == nil {
		return point{}
	}
	return point{x, s.At(float64(*v)), fmt.Sprintf("%s%s over %d recovered runs (%d gave up)", title, svgplot.MS(float64(*v)), t.Recovered, t.GaveUp), true}
}

// polyline draws the points as a line, broken where a point is missing,
// with a dot (and its tooltip) at each.
func polyline(pts []point, lineClass, dotClass, data string) []svgplot.El {
	var els []svgplot.El
	var d strings.Builder
	pen := false
	for _, p := range pts {
		if !p.ok {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&d, "%s%s %s", cmd, svgplot.Num(p.x), svgplot.Num(p.y))
		pen = true
	}
	if d.Len() > 0 {
		els = append(els, svgplot.Path(d.String(), lineClass, "", ""))
	}
	for _, p := range pts {
		if p.ok {
			els = append(els, svgplot.Circle(p.x, p.y, 4, dotClass, p.title, data))
		}
	}
	return els
}
