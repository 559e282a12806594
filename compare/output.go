package compare

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gameday/gameday/reports"
)

// columns are the table's columns, shared by the console and compare.md.
var columns = []string{"scenario", "verdict", "attempts", "retries", "recovery p50", "recovery p95", "pages", "duplicates", "duration"}

// column is the column a regressed expectation shows in, besides the
// verdict: pages in pages, attempts_per_operation in attempts ...
func column(c Change) string {
	switch {
	case c.Kind == "recovery" || c.Name == "recovery_time":
		return "recovery p50"
	case c.Name == "pages" || c.Name == "alerts.page":
		return "pages"
	case c.Name == "attempts_per_operation":
		return "attempts"
	case strings.HasPrefix(c.Name, "retries_after"):
		return "retries"
	case c.Name == "artifacts":
		return "duplicates"
	case c.Name == "duration" || c.Name == "timeout":
		return "duration"
	}
	return "verdict"
}

// cell is one table cell: the value when A and B agree, "A → B" when
// they do not.
type cell struct {
	a, b      string
	regressed bool
}

func (r Row) cells() []cell {
	verdict := func(s Side) string {
		if s.Runs > 1 {
			return fmt.Sprintf("%s %d/%d", s.Verdict, s.Passed, s.Runs)
		}
		return s.Verdict
	}
	rec := func(ms *int64, s Side) string {
		switch {
		case ms != nil:
			return reports.FormatMS(*ms)
		case s.GaveUp > 0:
			return "gave up"
		}
		return "-"
	}
	itoa := strconv.Itoa
	cs := []cell{
		{a: r.Name, b: r.Name},
		{a: verdict(r.A), b: verdict(r.B)},
		{a: itoa(r.A.Attempts), b: itoa(r.B.Attempts)},
		{a: itoa(r.A.Retries), b: itoa(r.B.Retries)},
		{a: rec(r.A.RecoveryMedianMS, r.A), b: rec(r.B.RecoveryMedianMS, r.B)},
		{a: rec(r.A.RecoveryP95MS, r.A), b: rec(r.B.RecoveryP95MS, r.B)},
		{a: itoa(r.A.Pages), b: itoa(r.B.Pages)},
		{a: itoa(r.A.Duplicates), b: itoa(r.B.Duplicates)},
		{a: reports.FormatMS(r.A.DurationMS), b: reports.FormatMS(r.B.DurationMS)},
	}
	for _, c := range r.Regressions {
		cs[1].regressed = cs[1].regressed || c.Kind == "expectation"
		for i, name := range columns {
			if name == column(c) {
				cs[i].regressed = true
			}
		}
	}
	return cs
}

func (c cell) text(mark func(string) string) string {
	b := c.b
	if c.regressed {
		b = mark(b)
	}
	if c.a == c.b && !c.regressed {
		return c.a
	}
	return c.a + " → " + b
}

// headline says how B compares in one line.
func (c *Comparison) headline() string {
	s := c.Summary
	line := fmt.Sprintf("B regresses %d of %d %s", s.Regressed, s.Scenarios, plural(s.Scenarios, "scenario", "scenarios"))
	if s.Regressed == 0 {
		line = fmt.Sprintf("no regression in %d %s", s.Scenarios, plural(s.Scenarios, "scenario", "scenarios"))
	}
	if s.Improved > 0 {
		line += fmt.Sprintf(", improves %d", s.Improved)
	}
	if s.Errored > 0 {
		line += fmt.Sprintf(" (%d with an infrastructure error)", s.Errored)
	}
	return line
}

// runs says how the variants ran, in one line.
func (c *Comparison) runs() string {
	n := "1 run"
	if c.Repeat > 1 {
		n = fmt.Sprintf("%d runs (seeds S..S+%d)", c.Repeat, c.Repeat-1)
	}
	return fmt.Sprintf("same seeds under A and B, %s per scenario and variant; a recovery regression needs the median to grow by more than %.0f%% and %s",
		n, c.Tolerance*100, reports.FormatMS(c.MinDeltaMS))
}

// WriteText writes the console table: one row per scenario (regressed
// cells marked "!"), then the regressions and improvements, the variants
// and the headline. It writes no escape codes.
func WriteText(w io.Writer, c *Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
	for _, r := range c.Scenarios {
		cs := r.cells()
		parts := make([]string, len(cs))
		for i, x := range cs {
			parts[i] = x.text(func(s string) string { return s + " !" })
		}
		fmt.Fprintln(tw, strings.Join(parts, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, sec := range []struct {
		title string
		of    func(Row) []Change
	}{{"Regressions (B against A)", func(r Row) []Change { return r.Regressions }}, {"Improvements", func(r Row) []Change { return r.Improvements }}} {
		first := true
		for _, r := range c.Scenarios {
			for _, ch := range sec.of(r) {
				if first {
					fmt.Fprintf(w, "\n%s:\n", sec.title)
					first = false
				}
				fmt.Fprintf(w, "  %s: %s\n", r.Name, ch.Message)
			}
		}
	}
	for _, r := range c.Scenarios {
		for _, s := range []struct {
			v    string
			side Side
		}{{"A", r.A}, {"B", r.B}} {
			if s.side.Error != "" {
				fmt.Fprintf(w, "\n%s under %s: error: %s\n", r.Name, s.v, s.side.Error)
			}
		}
	}
	fmt.Fprintf(w, "\nA: %s (%s)\nB: %s (%s)\n", c.A.Label, c.A.Out, c.B.Label, c.B.Out)
	_, err := fmt.Fprintf(w, "%s; %s\n", c.headline(), c.runs())
	return err
}

// WriteMarkdown writes compare.md, ready to paste as a pull request
// comment: the headline, the variants, the table with regressed cells in
// bold and marked, and the regressions and improvements as lists.
func WriteMarkdown(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### gameday compare: %s\n\n", c.headline())
	fmt.Fprintf(&b, "**A** `%s` · **B** `%s`  \n%s.\n\n", c.A.Label, c.B.Label, c.runs())
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(columns)) + "\n")
	for _, r := range c.Scenarios {
		cs := r.cells()
		parts := make([]string, len(cs))
		for i, x := range cs {
			parts[i] = mdEscape(x.text(func(s string) string { return "**" + s + "** ⚠️" }))
		}
		parts[0] = "`" + r.Name + "`"
		b.WriteString("| " + strings.Join(parts, " | ") + " |\n")
	}
	for _, sec := range []struct {
		title string
		of    func(Row) []Change
	}{{"Regressions", func(r Row) []Change { return r.Regressions }}, {"Improvements", func(r Row) []Change { return r.Improvements }}} {
		first := true
		for _, r := range c.Scenarios {
			for _, ch := range sec.of(r) {
				if first {
					fmt.Fprintf(&b, "\n**%s**\n\n", sec.title)
					first = false
				}
				msg := ch.Message
				if ch.Kind == "expectation" {
					msg = "`" + ch.Name + "`" + strings.TrimPrefix(msg, ch.Name)
				}
				fmt.Fprintf(&b, "- `%s`: %s\n", r.Name, msg)
			}
		}
	}
	for _, r := range c.Scenarios {
		for _, s := range []struct {
			v    string
			side Side
		}{{"A", r.A}, {"B", r.B}} {
			if s.side.Error != "" {
				fmt.Fprintf(&b, "\n`%s` under %s: infrastructure error: %s\n", r.Name, s.v, s.side.Error)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
