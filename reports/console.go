package reports

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gameday/gameday/internal/redact"
)

// ConsoleOptions configure a Console. The zero value prints plain lines
// without colour, which is what CI logs want; DetectConsole picks live
// progress and colour for an interactive terminal.
type ConsoleOptions struct {
	// Live redraws one progress line per scenario in place (with escape
	// codes). When false, each scenario gets one plain line with its
	// verdict; its phase lines are printed too when it did not pass, or
	// for every scenario with Verbose.
	Live bool
	// Verbose prints every phase change as it happens in plain mode.
	Verbose bool
	// Color colours phases and verdicts.
	Color bool
	// Now is the clock for elapsed times; nil means time.Now.
	Now func() time.Time
	// RefreshRate is how often live lines are redrawn; 0 means 150ms.
	RefreshRate time.Duration
	// Redactor masks secrets in everything the console writes, live frames
	// included; nil means a fresh one, which Console.Redactor returns so
	// that the run adds its secrets to it.
	Redactor *redact.Redactor
}

// DetectConsole returns the options for writing to w: live progress and
// colour when w is a terminal, unless CI is set (CI=true) or TERM is "dumb";
// NO_COLOR turns colour off. A terminal without a size (0×0) gets coloured
// plain lines, as live lines cannot be drawn on it. getenv is os.Getenv in
// production.
func DetectConsole(w io.Writer, getenv func(string) string) ConsoleOptions {
	watched := Interactive(w, getenv)
	live := watched
	if f, ok := w.(interface{ Fd() uintptr }); ok && live {
		live = drawable(f.Fd())
	}
	return ConsoleOptions{Live: live, Color: watched && getenv("NO_COLOR") == ""}
}

// Interactive reports whether w is a terminal that a person watches: a TTY,
// with CI unset (or "false"/"0") and TERM not "dumb".
func Interactive(w io.Writer, getenv func(string) string) bool {
	switch strings.ToLower(getenv("CI")) {
	case "", "false", "0":
	default:
		return false
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Console shows the progress of a run: per scenario its phase, the faults
// injected so far and the elapsed time, then the verdict; and at the end the
// table of results. Its methods are safe for concurrent use, as scenarios run
// in parallel. Close (or Table) must be called when the run ends.
type Console struct {
	w    *redact.Writer // every byte the console writes goes through it
	opts ConsoleOptions

	pass, fail, phase, dim *color.Color

	mu        sync.Mutex // guards scenarios, order, closed and plain writes
	scenarios map[string]*scenarioLine
	closed    bool
	progress  *mpb.Progress // live mode only
}

// scenarioLine is the state of one scenario's line. Its own mutex lets the
// live renderer read it without taking the Console's.
type scenarioLine struct {
	mu      sync.Mutex
	start   time.Time
	end     time.Time // zero while running
	phase   string
	faults  int
	done    bool
	verdict string // PASS, FAIL or ERROR once done
	bar     *mpb.Bar
	// phases are the plain phase lines held back until the verdict shows
	// whether they are wanted (plain mode without Verbose).
	phases []string
}

// NewConsole returns a Console writing to w.
func NewConsole(w io.Writer, opts ConsoleOptions) *Console {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshRate <= 0 {
		opts.RefreshRate = 150 * time.Millisecond
	}
	if opts.Redactor == nil {
		opts.Redactor = redact.New()
	}
	c := &Console{
		w:         opts.Redactor.Writer(w),
		opts:      opts,
		pass:      color.New(color.FgGreen, color.Bold),
		fail:      color.New(color.FgRed, color.Bold),
		phase:     color.New(color.FgCyan),
		dim:       color.New(color.Faint),
		scenarios: map[string]*scenarioLine{},
	}
	for _, col := range []*color.Color{c.pass, c.fail, c.phase, c.dim} {
		if opts.Color {
			col.EnableColor()
		} else {
			col.DisableColor()
		}
	}
	if opts.Live {
		c.progress = mpb.New(mpb.WithOutput(c.w), mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithRefreshRate(opts.RefreshRate), mpb.WithWidth(100))
	}
	return c
}

// Redactor returns the Redactor the console masks secrets with: the one
// given in ConsoleOptions, else its own. Secrets added to it later are
// masked from then on.
func (c *Console) Redactor() *redact.Redactor { return c.opts.Redactor }

// line returns the scenario's state, creating it (and its live bar) on first
// use; the caller holds c.mu.
func (c *Console) line(scenario string) *scenarioLine {
	st, ok := c.scenarios[scenario]
	if ok {
		return st
	}
	st = &scenarioLine{start: c.opts.Now(), phase: "starting"}
	c.scenarios[scenario] = st
	if c.progress != nil && !c.closed {
		st.bar = c.progress.New(0,
			mpb.SpinnerStyle().PositionLeft(),
			mpb.BarWidth(1),
			mpb.BarFillerClearOnComplete(),
			mpb.BarFillerClearOnAbort(),
			mpb.PrependDecorators(
				// Meta colours after the width is measured, so columns align.
				decor.Meta(decor.Any(func(decor.Statistics) string { return status(st) }, decor.WC{W: 5, C: decor.DindentRight | decor.DextraSpace}), c.colorVerdict),
				decor.Name(scenario, decor.WC{C: decor.DSyncSpaceR}),
				decor.Meta(decor.Any(func(decor.Statistics) string { return phaseText(st) }, decor.WC{C: decor.DSyncSpaceR}), func(s string) string { return c.phase.Sprint(s) }),
			),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string { return c.counts(st) }, decor.WC{C: decor.DSyncSpace}),
			),
		)
	}
	return st
}

func status(st *scenarioLine) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.done {
		return ""
	}
	return st.verdict
}

func phaseText(st *scenarioLine) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return "done"
	}
	return st.phase
}

// colorVerdict colours a (possibly padded) verdict word.
func (c *Console) colorVerdict(s string) string {
	switch strings.TrimSpace(s) {
	case "PASS":
		return c.pass.Sprint(s)
	case "FAIL", "ERROR":
		return c.fail.Sprint(s)
	default:
		return s
	}
}

func (c *Console) counts(st *scenarioLine) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	end := st.end
	if end.IsZero() {
		end = c.opts.Now()
	}
	return fmt.Sprintf("faults %d  %s", st.faults, formatElapsed(end.Sub(st.start)))
}

func formatElapsed(d time.Duration) string {
	return formatMS(d.Milliseconds())
}

// Phase records that scenario entered phase (e.g. "boot", "run 1/3",
// "observe"). The first call for a scenario starts its clock. In plain mode
// the phase line is held back until the verdict, and printed before it only
// when the scenario failed (or at once with Verbose).
func (c *Console) Phase(scenario, phase string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.line(scenario)
	st.mu.Lock()
	st.phase = phase
	faults, elapsed := st.faults, c.opts.Now().Sub(st.start)
	live := st.bar != nil && !c.closed
	st.mu.Unlock()
	if live {
		return
	}
	line := fmt.Sprintf("%s: %s (faults %d, %s)\n", scenario, c.phase.Sprint(phase), faults, formatElapsed(elapsed))
	if c.opts.Verbose || c.closed {
		c.plainf("%s", line)
		return
	}
	st.mu.Lock()
	st.phases = append(st.phases, line)
	st.mu.Unlock()
}

// Faults records that n faults have been injected into scenario so far (a
// total, not an increment). Plain output shows it with the next phase line.
func (c *Console) Faults(scenario string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.line(scenario)
	st.mu.Lock()
	st.faults = n
	st.mu.Unlock()
}

// Done records the scenario's verdict, PASS or FAIL, and stops its clock.
func (c *Console) Done(scenario string, passed bool) {
	verdict := "PASS"
	if !passed {
		verdict = "FAIL"
	}
	c.done(scenario, verdict)
}

// DoneResult records the verdict of a finished run, res: PASS, FAIL, or
// ERROR for an infrastructure error, and stops its clock.
func (c *Console) DoneResult(scenario string, res Scenario) {
	verdict := "PASS"
	switch {
	case res.Error != "":
		verdict = "ERROR"
	case !res.Passed:
		verdict = "FAIL"
	}
	c.done(scenario, verdict)
}

// DoneAs ends the line of a run that is not judged on its own (an
// evidence run) with a word of the caller's instead of a verdict.
func (c *Console) DoneAs(scenario, word string) { c.done(scenario, word) }

func (c *Console) done(scenario, verdict string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.line(scenario)
	st.mu.Lock()
	if st.done {
		st.mu.Unlock()
		return
	}
	st.done, st.verdict, st.end = true, verdict, c.opts.Now()
	faults, elapsed, bar, phases := st.faults, st.end.Sub(st.start), st.bar, st.phases
	st.phases = nil
	st.mu.Unlock()
	if bar != nil && !c.closed {
		bar.SetTotal(-1, true)
		return
	}
	if verdict == "FAIL" || verdict == "ERROR" {
		for _, l := range phases {
			c.plainf("%s", l)
		}
	}
	c.plainf("%s: %s (faults %d, %s)\n", scenario, c.colorVerdict(verdict), faults, formatElapsed(elapsed))
}

// Printf writes a message line (e.g. the seed of a run) above the live
// progress, or as a plain line.
func (c *Console) Printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	if c.progress != nil && !c.closed {
		// Write queues the line above the bars; it fails only once the
		// progress has shut down, which c.closed rules out.
		_, _ = c.progress.Write([]byte(msg))
		return
	}
	c.plainf("%s", msg)
}

// plainf writes directly to the output; the caller holds c.mu. Console
// output is best effort: a broken terminal must not fail the run.
func (c *Console) plainf(format string, args ...any) {
	_, _ = fmt.Fprintf(c.w, format, args...)
}

// Close ends live progress: scenarios still running are shown as they
// stand, and the last frame is drawn. It is safe to call more than once.
func (c *Console) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	var bars []*mpb.Bar
	for _, st := range c.scenarios {
		st.mu.Lock()
		if st.bar != nil && !st.done {
			bars = append(bars, st.bar)
		}
		st.mu.Unlock()
	}
	p := c.progress
	c.mu.Unlock()
	for _, b := range bars {
		b.Abort(false)
	}
	if p != nil {
		p.Wait()
	}
	_ = c.w.Flush()
}

// Table closes the live progress and writes the final report: failed
// expectations, the table of scenarios (the columns of summary.md), the
// totals and the replay commands. It calls r.Summarize.
func (c *Console) Table(r *Result) error {
	c.Close()
	r.Summarize()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := WriteText(c.w, r); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
