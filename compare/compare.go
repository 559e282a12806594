package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// FormatVersion is the version of compare.json. It grows when a field
// changes meaning or goes away.
const FormatVersion = 1

// Files Run writes directly into Out.
const (
	JSONFile     = "compare.json"
	MarkdownFile = "compare.md"
)

// RunFunc runs scenarios end to end and judges them: harness.RunScenarios.
type RunFunc func(ctx context.Context, list []*scenarios.Scenario, opts harness.RunOptions) (*reports.Result, error)

// Options configure Run. Out and Run are required.
type Options struct {
	// A and B are the variants; B is judged against A.
	A, B Spec
	// Rule decides recovery regressions (DefaultRule is gameday
	// compare's default); the zero Rule counts any growth at all.
	Rule Rule
	// Repeat runs every scenario this many times per variant, with seeds
	// S..S+Repeat-1 under both; default 1.
	Repeat int
	// Seed, when set, is every scenario's seed (else the file's, else one
	// drawn once per scenario and used by both variants).
	Seed *int64
	// Parallel, Backend, EvidenceRuns and GamedayBin are passed to each
	// variant's run (see harness.RunOptions).
	Parallel     int
	Backend      string
	EvidenceRuns *int
	GamedayBin   string
	// Out receives compare.json, compare.md, and each variant's run
	// outputs in a/ and b/.
	Out string
	// Run runs the scenarios: harness.RunScenarios.
	Run RunFunc
	// Console, when set, is called before each variant's run with "A" or
	// "B" and returns the console that shows its progress; Run closes it.
	Console func(variant string) *reports.Console
	// Command is recorded in both variants' reports.
	Command string
	// Random draws the seeds of scenarios without one; default
	// crypto/rand. Now is the clock; default time.Now.
	Random func([]byte)
	Now    func() time.Time
}

// Comparison is what compare.json holds.
type Comparison struct {
	FormatVersion int       `json:"format_version"`
	StartedAt     time.Time `json:"started_at"`
	DurationMS    int64     `json:"duration_ms"`
	Command       string    `json:"command,omitempty"`
	A             Variant   `json:"a"`
	B             Variant   `json:"b"`
	Repeat        int       `json:"repeat"`
	Tolerance     float64   `json:"tolerance"`
	MinDeltaMS    int64     `json:"min_delta_ms"`
	Scenarios     []Row     `json:"scenarios"`
	// Summary counts the scenarios B regressed and improved, and those
	// that hit an infrastructure error under either variant.
	Summary Summary `json:"summary"`
}

// Variant is one side of the comparison.
type Variant struct {
	Spec  Spec   `json:"spec"`
	Label string `json:"label"`
	// Out is the variant's run outputs (report.json, report.html ...).
	Out        string `json:"out"`
	Passed     int    `json:"passed"`
	Failed     int    `json:"failed"`
	DurationMS int64  `json:"duration_ms"`
}

// Summary counts scenarios.
type Summary struct {
	Scenarios int `json:"scenarios"`
	Regressed int `json:"regressed"`
	Improved  int `json:"improved"`
	Errored   int `json:"errored"`
}

// Regressed reports whether B regressed any scenario.
func (c *Comparison) Regressed() bool { return c.Summary.Regressed > 0 }

// ExitCode is gameday compare's exit code: 3 when a scenario hit an
// infrastructure error under either variant, else 1 when B regressed one,
// else 0.
func (c *Comparison) ExitCode() int {
	switch {
	case c.Summary.Errored > 0:
		return 3
	case c.Regressed():
		return 1
	}
	return 0
}

// Run runs list under A, then under B, each scenario with the same seeds
// under both, compares the results (Diff) and writes compare.json and
// compare.md to Out. Each variant's outputs go to Out/a and Out/b. Both
// variants are checked before anything runs (a policy that does not load,
// a variable the harness owns): that error comes back with nothing run.
func Run(ctx context.Context, list []*scenarios.Scenario, o Options) (*Comparison, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Repeat = max(o.Repeat, 1)
	// One seed per scenario for both variants.
	var as, bs []*scenarios.Scenario
	for _, sc := range list {
		seed := sc.SeedFor(o.Seed, o.Random)
		for _, v := range []struct {
			spec Spec
			into *[]*scenarios.Scenario
		}{{o.A, &as}, {o.B, &bs}} {
			ov := v.spec.Override()
			ov.Seed = &seed
			vs, err := sc.With(ov)
			if err != nil {
				return nil, &SpecError{Err: err}
			}
			*v.into = append(*v.into, vs)
		}
	}
	c := &Comparison{FormatVersion: FormatVersion, StartedAt: o.Now().UTC(), Command: o.Command, Repeat: o.Repeat,
		Tolerance: o.Rule.Tolerance, MinDeltaMS: o.Rule.MinDelta.Milliseconds()}
	var results [2]*reports.Result
	for i, v := range []struct {
		name string
		spec Spec
		list []*scenarios.Scenario
		into *Variant
	}{{"A", o.A, as, &c.A}, {"B", o.B, bs, &c.B}} {
		dir := filepath.Join(o.Out, map[string]string{"A": "a", "B": "b"}[v.name])
		*v.into = Variant{Spec: v.spec, Label: v.spec.String(), Out: dir}
		opts := harness.RunOptions{Backend: o.Backend, Out: dir, Parallel: o.Parallel, Repeat: o.Repeat,
			EvidenceRuns: o.EvidenceRuns, GamedayBin: o.GamedayBin, Command: o.Command}
		if o.Console != nil {
			opts.Console = o.Console(v.name)
		}
		start := o.Now()
		res, err := o.Run(ctx, v.list, opts)
		if opts.Console != nil {
			opts.Console.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v.name, err)
		}
		res.Summarize()
		v.into.Passed, v.into.Failed = res.Summary.Passed, res.Summary.Failed
		v.into.DurationMS = o.Now().Sub(start).Milliseconds()
		results[i] = res
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	c.Scenarios = Diff(results[0], results[1], o.Rule)
	for i := range c.Scenarios {
		r := &c.Scenarios[i]
		r.A.Report = filepath.Join("a", reports.HTMLFile)
		r.B.Report = filepath.Join("b", reports.HTMLFile)
		c.Summary.Scenarios++
		if len(r.Regressions) > 0 {
			c.Summary.Regressed++
		}
		if len(r.Improvements) > 0 {
			c.Summary.Improved++
		}
		if r.A.Error != "" || r.B.Error != "" {
			c.Summary.Errored++
		}
	}
	c.DurationMS = o.Now().Sub(c.StartedAt).Milliseconds()
	return c, WriteFiles(o.Out, c)
}

// SpecError is a variant that cannot apply to a scenario (a policy that
// does not load, a variable the harness owns): bad input.
type SpecError struct{ Err error }

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// WriteFiles writes compare.json and compare.md into dir.
func WriteFiles(dir string, c *Comparison) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", JSONFile, err)
	}
	f, err := os.Create(filepath.Join(dir, MarkdownFile))
	if err != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	werr := WriteMarkdown(f, c)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, werr)
	}
	return nil
}

// ReadFile reads a compare.json.
func ReadFile(path string) (*Comparison, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Comparison
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}
