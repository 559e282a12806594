package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// tableHeader names the columns shared by the console table and summary.md.
var tableHeader = []string{"scenario", "verdict", "seed", "attempts", "retries", "pages", "duplicates", "recovery", "duration"}

// tableRow renders one scenario as the cells of tableHeader.
func tableRow(s Scenario) []string {
	verdict := s.Verdict()
	if s.Repeats != nil {
		verdict += fmt.Sprintf(" %d/%d", s.Repeats.Passed, s.Repeats.Runs)
	}
	return []string{
		s.Name,
		verdict,
		strconv.FormatInt(s.Seed, 10),
		strconv.Itoa(s.Metrics.Attempts),
		strconv.Itoa(s.Metrics.Retries),
		strconv.Itoa(s.Metrics.Pages),
		strconv.Itoa(s.Metrics.DuplicateArtifacts),
		s.RecoveryText(),
		formatMS(s.DurationMS),
	}
}

// RecoveryText renders the scenario's recovery time for tables: the time
// ("1.2s"), "gave up after 3.4s" when a fault was injected and nothing
// recovered, "-" when nothing was injected. With repeats it is the median
// and the worst with the worst run's seed ("median 1.1s, worst 1.2s (seed
// 44)"), and how many runs gave up.
func (s Scenario) RecoveryText() string {
	st := s.RecoveryStats()
	if st == nil {
		return s.Metrics.RecoveryText()
	}
	switch {
	case st.Recovered > 0:
		text := fmt.Sprintf("median %s, worst %s (seed %d)", formatMS(*st.MedianMS), formatMS(*st.MaxMS), *st.WorstSeed)
		if st.GaveUp > 0 {
			text += fmt.Sprintf(", %d gave up", st.GaveUp)
		}
		return text
	case st.GaveUp > 0:
		return fmt.Sprintf("gave up after %s (worst, seed %d)", formatMS(*st.GaveUpMaxMS), *st.GaveUpWorstSeed)
	default:
		return "-"
	}
}

// RecoveryStats returns the distribution of recovery time over the runs of
// a repeated scenario: repeats.recovery, or computed from repeats.each for
// a report written before it existed; nil without repeats.
func (s Scenario) RecoveryStats() *RecoveryStats {
	switch {
	case s.Repeats == nil:
		return nil
	case s.Repeats.Recovery != nil:
		return s.Repeats.Recovery
	case len(s.Repeats.Each) > 0:
		return RecoveryOf(s.Repeats.Each)
	default:
		return nil
	}
}

// FormatMS renders milliseconds as the tables do: 850ms, 3.4s, 2m5s.
func FormatMS(ms int64) string { return formatMS(ms) }

// formatMS renders milliseconds compactly: 850ms, 3.4s, 2m5s.
func formatMS(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return d.String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// RecoveryText renders a recovery time for tables: the time, "gave up after
// D" when a fault was injected and nothing recovered, else "-".
func (m Metrics) RecoveryText() string {
	switch {
	case m.RecoveryTimeMS != nil:
		return formatMS(*m.RecoveryTimeMS)
	case m.GaveUpAfterMS != nil:
		return "gave up after " + formatMS(*m.GaveUpAfterMS)
	default:
		return "-"
	}
}

// headline says in one line how the run went.
func headline(r *Result) string {
	s := r.Summary
	line := fmt.Sprintf("%d %s: %d passed, %d failed", s.Scenarios, plural(s.Scenarios, "scenario"), s.Passed, s.Failed)
	if s.Errored > 0 {
		line += fmt.Sprintf(" (%d with %s)", s.Errored, plural(s.Errored, "an infrastructure error", "infrastructure errors"))
	}
	if s.Flaky > 0 {
		line += fmt.Sprintf(", %d flaky %s", s.Flaky, plural(s.Flaky, "expectation"))
	}
	return line
}

// failureLines explains a failed scenario: its infrastructure error and each
// failed expectation, one line each.
func failureLines(s Scenario) []string {
	var out []string
	if s.Error != "" {
		out = append(out, "error: "+s.Error, "fix: "+s.Fix())
	}
	for _, e := range s.Expectations {
		if !e.Passed {
			out = append(out, expectationLine(e))
		}
	}
	return out
}

// expectationLine renders a failed expectation: name, want, got, message,
// and with repeats how often it held.
func expectationLine(e Expectation) string {
	var b strings.Builder
	seed, msg, full := splitMessage(e)
	b.WriteString(e.Name)
	if seed != "" {
		b.WriteString(" (" + seed + ")")
	}
	if full {
		b.WriteString(": " + msg)
		if tagInconclusive(e, msg) {
			b.WriteString(" (inconclusive)")
		}
	} else {
		fmt.Fprintf(&b, ": want %s, got %s", e.Want, e.Got)
		if tagInconclusive(e, msg) {
			b.WriteString(" (inconclusive)")
		}
		if msg != "" {
			b.WriteString(" — " + msg)
		}
	}
	if e.Runs > 0 {
		fmt.Fprintf(&b, " [held %d/%d", e.Held, e.Runs)
		if len(e.FailedSeeds) > 0 {
			b.WriteString("; failed seeds " + joinSeeds(e.FailedSeeds))
		}
		if len(e.NotJudgedSeeds) > 0 {
			b.WriteString("; not judged in seeds " + joinSeeds(e.NotJudgedSeeds))
		}
		b.WriteString("]")
	}
	return b.String()
}

// splitMessage takes an expectation's message apart for rendering after its
// name: seed is "seed N" when the message names the run it comes from
// (--repeat), msg the rest without a restated "NAME: " prefix, and full
// says that msg restates want and got itself ("want ..., got ..."), so the
// line shows msg instead of the bare want and got.
func splitMessage(e Expectation) (seed, msg string, full bool) {
	msg = e.Message
	if rest, ok := strings.CutPrefix(msg, "seed "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.ParseInt(n, 10, 64); err == nil {
				seed, msg = "seed "+n, tail
			}
		}
	}
	msg, restated := strings.CutPrefix(msg, e.Name+": ")
	return seed, msg, restated && strings.HasPrefix(msg, "want ")
}

func joinSeeds(seeds []int64) string {
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the plain-text report the console ends with: the failed
// expectations (and, for an infrastructure error, the error and its fix),
// the table of scenarios, the headline, and the replay commands of scenarios
// that failed a judged expectation; an infrastructure error gets no replay.
// It writes no escape codes.
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	if failed := r.Failed(); len(failed) > 0 {
		ew.printf("Failures:\n")
		for _, s := range failed {
			ew.printf("  %s (seed %d)\n", s.Name, s.Seed)
			for _, l := range failureLines(s) {
				ew.printf("    - %s\n", l)
			}
		}
		ew.printf("\n")
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(tableHeader, "\t")))
	for _, s := range r.Scenarios {
		fmt.Fprintln(tw, strings.Join(tableRow(s), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	ew.printf("\n%s\n", headline(r))
	if failed := replayable(r.Failed()); len(failed) > 0 {
		ew.printf("\nReplay:\n")
		for _, s := range failed {
			ew.printf("  %s\n", s.ReplayCommand())
		}
	}
	if ew.err != nil {
		return fmt.Errorf("write table: %w", ew.err)
	}
	return nil
}

// errWriter keeps the first write error so formatting code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

// plural returns one when n is 1, else many (default: one + "s").
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return one
	}
	if len(many) > 0 {
		return many[0]
	}
	return one + "s"
}

// tagInconclusive says whether a failed expectation's line needs the
// "(inconclusive)" tag: it does unless got or the message already says so.
func tagInconclusive(e Expectation, msg string) bool {
	return e.Inconclusive && !strings.Contains(e.Got, "inconclusive") && !strings.HasPrefix(msg, "inconclusive")
}
