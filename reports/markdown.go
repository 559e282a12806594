package reports

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// WriteMarkdown writes summary.md: a headline, a table of scenarios with
// their verdicts and main metrics, for scenarios run under --repeat their
// recovery distribution (min, median, p95, max) and one row per seed, each failed scenario's failed expectations
// and replay command (an infrastructure error gets the error and its fix
// instead), and it ends with the replay commands of all scenarios that failed
// a judged expectation.
func WriteMarkdown(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	mark := "✅"
	if r.Summary.Failed > 0 {
		mark = "❌"
	}
	ew.printf("## gameday: %s %s\n\n", mark, headline(r))
	ew.printf("| %s |\n", strings.Join(tableHeader, " | "))
	ew.printf("|%s\n", strings.Repeat(" --- |", len(tableHeader)))
	for _, s := range r.Scenarios {
		cells := tableRow(s)
		for i := range cells {
			cells[i] = mdCell(cells[i])
		}
		cells[1] = verdictIcon(s) + " " + cells[1]
		ew.printf("| %s |\n", strings.Join(cells, " | "))
	}
	writeSeedRows(ew, r)

	failed := r.Failed()
	if len(failed) > 0 {
		ew.printf("\n### Failures\n")
		for _, s := range failed {
			ew.printf("\n#### %s (seed %d)\n\n", mdText(s.Name), s.Seed)
			if s.Error != "" {
				ew.printf("- **infrastructure error**: %s\n", mdText(s.Error))
				ew.printf("- **fix**: %s\n", mdText(s.Fix()))
			}
			for _, e := range s.Expectations {
				if !e.Passed {
					ew.printf("- %s\n", mdExpectation(e))
				}
			}
			if s.Replayable() {
				ew.printf("\nReplay: %s\n", mdCode(s.ReplayCommand()))
			}
		}
		if rs := replayable(failed); len(rs) > 0 {
			ew.printf("\n### Replay\n\n```sh\n")
			for _, s := range rs {
				ew.printf("%s\n", s.ReplayCommand())
			}
			ew.printf("```\n")
		}
	}
	if ew.err != nil {
		return fmt.Errorf("write summary markdown: %w", ew.err)
	}
	return nil
}

// seedHeader names the columns of the per-seed rows of a repeated scenario.
var seedHeader = []string{"seed", "verdict", "recovery", "attempts", "retries", "pages", "duplicates", "duration"}

// writeSeedRows writes, for every scenario that ran under --repeat, its
// recovery distribution (min, median, p95, max) and one row per seed.
func writeSeedRows(ew *errWriter, r *Result) {
	first := true
	for _, s := range r.Scenarios {
		st := s.RecoveryStats()
		if st == nil {
			continue
		}
		if first {
			ew.printf("\n### Recovery time across seeds\n")
			first = false
		}
		ew.printf("\n#### %s: %d runs, %d passed\n\n", mdText(s.Name), s.Repeats.Runs, s.Repeats.Passed)
		if st.Recovered > 0 {
			ew.printf("Recovery time over the %d %s that recovered: **min %s · median %s · p95 %s · max %s** (seed %d).",
				st.Recovered, plural(st.Recovered, "run"), formatMS(*st.MinMS), formatMS(*st.MedianMS),
				formatMS(*st.P95MS), formatMS(*st.MaxMS), *st.WorstSeed)
		} else {
			ew.printf("No run recovered.")
		}
		if st.GaveUp > 0 {
			ew.printf(" %d %s gave up, the longest after %s (seed %d).", st.GaveUp, plural(st.GaveUp, "run"),
				formatMS(*st.GaveUpMaxMS), *st.GaveUpWorstSeed)
		}
		ew.printf("\n\n| %s |\n|%s\n", strings.Join(seedHeader, " | "), strings.Repeat(" --- |", len(seedHeader)))
		for _, run := range s.Repeats.Each {
			cells := []string{
				strconv.FormatInt(run.Seed, 10),
				verdictIcon(run) + " " + run.Verdict(),
				run.Metrics.RecoveryText(),
				strconv.Itoa(run.Metrics.Attempts),
				strconv.Itoa(run.Metrics.Retries),
				strconv.Itoa(run.Metrics.Pages),
				strconv.Itoa(run.Metrics.DuplicateArtifacts),
				formatMS(run.DurationMS),
			}
			for i := range cells {
				cells[i] = mdCell(cells[i])
			}
			ew.printf("| %s |\n", strings.Join(cells, " | "))
		}
	}
}

func verdictIcon(s Scenario) string {
	switch s.Verdict() {
	case "PASS":
		return "✅"
	case "FLAKY":
		return "⚠️"
	default:
		return "❌"
	}
}

func mdExpectation(e Expectation) string {
	var b strings.Builder
	seed, msg, full := splitMessage(e)
	b.WriteString(mdCode(e.Name))
	if seed != "" {
		b.WriteString(" (" + seed + ")")
	}
	if full {
		b.WriteString(": " + mdText(msg))
		if tagInconclusive(e, msg) {
			b.WriteString(" (inconclusive)")
		}
	} else {
		fmt.Fprintf(&b, ": want %s, got %s", mdCode(e.Want), mdCode(e.Got))
		if tagInconclusive(e, msg) {
			b.WriteString(" (inconclusive)")
		}
		if msg != "" {
			b.WriteString(" — " + mdText(msg))
		}
	}
	if e.Runs > 0 {
		fmt.Fprintf(&b, " (held %d/%d", e.Held, e.Runs)
		if len(e.FailedSeeds) > 0 {
			b.WriteString("; failed seeds " + joinSeeds(e.FailedSeeds))
		}
		if len(e.NotJudgedSeeds) > 0 {
			b.WriteString("; not judged in seeds " + joinSeeds(e.NotJudgedSeeds))
		}
		b.WriteString(")")
	}
	return b.String()
}

// mdCode renders s as an inline code span, whatever backticks it holds.
func mdCode(s string) string {
	if s == "" {
		return "` `"
	}
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdText escapes characters that would start markup in running text and
// keeps it on one line.
func mdText(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "|", `\|`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// mdCell escapes a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// AppendStepSummary appends the Markdown summary to the file named by
// $GITHUB_STEP_SUMMARY (getenv is os.Getenv in production). It does nothing
// when the variable is unset or empty.
func AppendStepSummary(r *Result, getenv func(string) string) error {
	path := getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append step summary: %w", err)
	}
	werr := WriteMarkdown(f, r)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("append step summary %s: %w", path, werr)
	}
	if cerr != nil {
		return fmt.Errorf("append step summary: %w", cerr)
	}
	return nil
}
