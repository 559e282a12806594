package explore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// RunFunc runs scenarios end to end and judges them: harness.RunScenarios.
type RunFunc func(ctx context.Context, list []*scenarios.Scenario, opts harness.RunOptions) (*reports.Result, error)

// Options configure Run. Only Out and Run are required.
type Options struct {
	// Trials is the budget of random schedules; default 50.
	Trials int
	// Seed draws the schedules (trial n's from Seed and n alone). Runs
	// use the scenario file's seed, else this one.
	Seed int64
	// Parallel is how many trials (or shrink candidates) run at once;
	// default 1.
	Parallel int
	// Actions are the action kinds drawn (ParseActions); default
	// Transient.
	Actions []string
	// Property narrows the property to these expectations (names as
	// reports give them: outcome, alerts.info, requests[0]; a bare key
	// such as alerts or requests takes all of its entries). Empty: every
	// expectation of the scenario that holds without faults.
	Property []string
	// Override is applied to every run (a --policy, --env).
	Override scenarios.Override
	// Out receives explore-<name>-min.yaml, explore.json, and one folder
	// per run of the machinery under runs/.
	Out string
	// Backend, EvidenceRuns and GamedayBin are passed to every run (see
	// harness.RunOptions).
	Backend      string
	EvidenceRuns *int
	GamedayBin   string
	// Run runs the scenarios: harness.RunScenarios.
	Run RunFunc
	// Progress, when set, sees every step.
	Progress func(Event)
	// Now is the clock for durations; default time.Now.
	Now func() time.Time
}

// Result is an exploration's outcome, as explore.json records it.
type Result struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	// Seed drew the schedules; RunSeed is the seed every run used.
	Seed    int64 `json:"seed"`
	RunSeed int64 `json:"run_seed"`
	// Property are the expectations judged; Dropped those of the
	// scenario left out, with why.
	Property []string  `json:"property"`
	Dropped  []Dropped `json:"dropped,omitempty"`
	Actions  []string  `json:"actions"`
	// Budget is the trial budget; Trials the trials run.
	Budget  int   `json:"budget"`
	Trials  int   `json:"trials"`
	Flaky   []int `json:"flaky_trials,omitempty"`
	Errored []int `json:"errored_trials,omitempty"`
	// Found is set when a schedule broke the property twice.
	Found *Finding `json:"found,omitempty"`
	// DurationMS is the wall time of the whole exploration.
	DurationMS int64 `json:"duration_ms"`
}

// Dropped is an expectation left out of the property.
type Dropped struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Finding is the failing schedule found, and its shrunk form.
type Finding struct {
	// Trial is the trial that failed; Drawn its schedule.
	Trial int    `json:"trial"`
	Drawn string `json:"drawn"`
	// Faults is the minimal schedule, Failed the expectations it breaks
	// (named as in the written file).
	Faults []string `json:"faults"`
	Failed []string `json:"failed"`
	// Steps, Tried and Runs count the shrink's accepted steps, the
	// candidates it ran and all its runs.
	Steps int `json:"shrink_steps"`
	Tried int `json:"shrink_candidates"`
	Runs  int `json:"shrink_runs"`
	// File is the written scenario and Replay the command that replays it.
	File   string `json:"file"`
	Replay string `json:"replay"`
}

// InputError is a problem with what explore was asked to do that only
// the calibration run shows: a --property that names nothing or does not
// hold without faults, nothing to inject into. `gameday explore` exits 2.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// ErrInfrastructure marks a calibration run that hit an infrastructure
// error: nothing can be learnt from it. `gameday explore` exits 3.
var ErrInfrastructure = errors.New("infrastructure")

// ResultFile is the name of the summary Run writes into Out.
const ResultFile = "explore.json"

// MinFile is the name of the minimal failing scenario written for sc.
func MinFile(name string) string { return "explore-" + name + "-min.yaml" }

// Run explores sc: a fault-free calibration run learns the Space and
// which expectations hold without faults (the property); trials draw
// schedules until one breaks the property twice; that schedule is shrunk
// and written to Out as a scenario that replays the failure. Trials and
// shrinking stop when ctx is cancelled.
func Run(ctx context.Context, sc *scenarios.Scenario, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Trials <= 0 {
		o.Trials = 50
	}
	if len(o.Actions) == 0 {
		o.Actions = slices.Clone(Transient)
	}
	x := &explorer{sc: sc, o: o, start: o.Now()}
	if seed, ok := sc.FixedSeed(nil); ok {
		x.runSeed = seed
	} else {
		x.runSeed = o.Seed
	}
	res := &Result{Scenario: sc.Name, File: sc.Given(), Seed: o.Seed, RunSeed: x.runSeed, Actions: o.Actions, Budget: o.Trials}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}

	space, err := x.calibrate(ctx, res)
	if err != nil {
		return res, err
	}
	kinds := Applicable(o.Actions, space)
	if len(kinds) == 0 {
		return res, &InputError{Msg: fmt.Sprintf("%s: none of the actions %s applies: %s", sc.Name, strings.Join(o.Actions, ", "), emptyWhy(space))}
	}

	sr, err := Search(ctx, x.check("t"), SearchOptions{Trials: o.Trials, Parallel: o.Parallel, Progress: o.Progress,
		Draw: func(n int) []*scenarios.Fault { return Draw(TrialRand(o.Seed, n), space, kinds) }})
	res.Trials, res.Flaky, res.Errored = sr.Ran, sr.Flaky, sr.Errored
	if err != nil || sr.Found == nil {
		return res, x.finish(res, err)
	}
	progress(o.Progress, true, "shrinking trial %d's schedule (%d %s)", sr.Trial, len(sr.Found.Faults), plural(len(sr.Found.Faults), "fault", "faults"))
	sh, err := Shrink(ctx, x.check("s"), sr.Found, ShrinkOptions{Kinds: kinds, Space: space, Parallel: o.Parallel, Progress: o.Progress})
	if err != nil && sh == nil {
		return res, x.finish(res, err)
	}
	// Cancelled while shrinking: the schedule reached so far is still a
	// confirmed failure, and worth writing.
	f, werr := x.write(sh, sr, res)
	res.Found = f
	if werr != nil {
		return res, x.finish(res, werr)
	}
	return res, x.finish(res, err)
}

// explorer is one Run.
type explorer struct {
	sc      *scenarios.Scenario
	o       Options
	runSeed int64
	start   time.Time
	calls   int
	// property decides whether an expectation name is in the property.
	property func(name string) bool
}

// finish writes explore.json and returns err.
func (x *explorer) finish(res *Result, err error) error {
	res.DurationMS = x.o.Now().Sub(x.start).Milliseconds()
	data, jerr := json.MarshalIndent(res, "", "  ")
	if jerr == nil {
		jerr = os.WriteFile(filepath.Join(x.o.Out, ResultFile), append(data, '\n'), 0o644)
	}
	if err == nil && jerr != nil {
		return fmt.Errorf("write %s: %w", ResultFile, jerr)
	}
	return err
}

// run runs list through the caller's runner, into its own folder under
// Out/runs.
func (x *explorer) run(ctx context.Context, label string, list []*scenarios.Scenario) (*reports.Result, error) {
	x.calls++
	seed := x.runSeed
	return x.o.Run(ctx, list, harness.RunOptions{
		Backend: x.o.Backend, Seed: &seed, Parallel: x.o.Parallel, EvidenceRuns: x.o.EvidenceRuns,
		GamedayBin: x.o.GamedayBin,
		Out:        filepath.Join(x.o.Out, "runs", fmt.Sprintf("%03d-%s", x.calls, label)),
		Command:    "gameday explore " + x.sc.Given(),
	})
}

// variant is sc with faults (and the caller's override), named name.
func (x *explorer) variant(name string, faults []*scenarios.Fault) (*scenarios.Scenario, error) {
	o := x.o.Override
	o.Faults, o.Name, o.Seed = faults, name, &x.runSeed
	if faults == nil {
		o.Faults = []*scenarios.Fault{}
	}
	return x.sc.With(o)
}

// calibrate runs sc without faults once: what the workload touched is the
// Space, and what held is the property.
func (x *explorer) calibrate(ctx context.Context, res *Result) (Space, error) {
	progress(x.o.Progress, false, "calibration: %s without faults", x.sc.Name)
	v, err := x.variant(x.sc.Name, nil)
	if err != nil {
		return Space{}, &InputError{Msg: err.Error()}
	}
	out, err := x.run(ctx, "calibration", []*scenarios.Scenario{v})
	if err != nil {
		return Space{}, err
	}
	if len(out.Scenarios) == 0 {
		return Space{}, fmt.Errorf("calibration of %s: %w", x.sc.Name, ctx.Err())
	}
	cal := out.Scenarios[0]
	if cal.Error != "" {
		return Space{}, fmt.Errorf("calibration of %s: %w: %s", x.sc.Name, ErrInfrastructure, cal.Error)
	}
	if err := x.chooseProperty(cal, res); err != nil {
		return Space{}, err
	}
	var attempt time.Duration
	if v.Workload.Policy != "" {
		if p, err := policies.Load(v.Workload.Policy); err == nil {
			attempt = p.Retry.AttemptTimeout
		}
	}
	sp := Learn(v, cal, attempt)
	progress(x.o.Progress, true, "calibration: the property (%s) holds without faults; the workload made %d kinds of request (%s) in %s",
		strings.Join(res.Property, ", "), len(sp.Resources), resources(sp), reports.FormatMS(cal.DurationMS))
	return sp, nil
}

// chooseProperty picks the property from the calibration's verdicts.
func (x *explorer) chooseProperty(cal reports.Scenario, res *Result) error {
	var names []string
	verdict := map[string]reports.Expectation{}
	for _, e := range cal.Expectations {
		if e.Name == "faults_fired" {
			continue
		}
		names = append(names, e.Name)
		verdict[e.Name] = e
	}
	asked := func(name string) bool {
		return len(x.o.Property) == 0 || slices.ContainsFunc(x.o.Property, func(p string) bool { return named(p, name) })
	}
	for _, p := range x.o.Property {
		if !slices.ContainsFunc(names, func(n string) bool { return named(p, n) }) {
			return &InputError{Msg: fmt.Sprintf("--property %s: %s has no such expectation (it has %s)", p, x.sc.Given(), strings.Join(names, ", "))}
		}
	}
	var keep []string
	for _, n := range names {
		e := verdict[n]
		switch {
		case !asked(n):
			res.Dropped = append(res.Dropped, Dropped{Name: n, Why: "not in --property"})
		case !e.Passed && len(x.o.Property) > 0:
			return &InputError{Msg: fmt.Sprintf("--property %s: %s does not hold without faults (want %s, got %s): nothing to explore", n, x.sc.Name, e.Want, e.Got)}
		case !e.Passed:
			res.Dropped = append(res.Dropped, Dropped{Name: n, Why: fmt.Sprintf("fails without faults (want %s, got %s): it describes the file's own faults", e.Want, e.Got)})
		default:
			keep = append(keep, n)
		}
	}
	if len(keep) == 0 {
		return &InputError{Msg: fmt.Sprintf("%s: no expectation holds without faults, so there is no property to explore", x.sc.Name)}
	}
	res.Property = keep
	x.property = func(n string) bool { return slices.Contains(keep, n) }
	for _, d := range res.Dropped {
		if len(x.o.Property) == 0 {
			progress(x.o.Progress, true, "property: %s left out: %s", d.Name, d.Why)
		}
	}
	return nil
}

// named reports whether the --property entry p names the expectation
// name: outcome names outcome, alerts names alerts.info, requests names
// requests[1].
func named(p, name string) bool {
	return name == p || strings.HasPrefix(name, p+".") || strings.HasPrefix(name, p+"[")
}

// check runs schedules as variants named <name>-<prefix><k>.
func (x *explorer) check(prefix string) Check {
	n := 0
	return func(ctx context.Context, schedules [][]*scenarios.Fault) ([]Verdict, error) {
		list := make([]*scenarios.Scenario, len(schedules))
		first := n + 1
		for i, s := range schedules {
			n++
			v, err := x.variant(fmt.Sprintf("%s-%s%d", x.sc.Name, prefix, n), s)
			if err != nil {
				return nil, fmt.Errorf("internal error: a drawn schedule is not a valid scenario: %w", err)
			}
			list[i] = v
		}
		label := fmt.Sprintf("%s%d", prefix, first)
		if n > first {
			label += fmt.Sprintf("-%d", n)
		}
		out, err := x.run(ctx, label, list)
		if err != nil {
			return nil, err
		}
		byName := map[string]reports.Scenario{}
		for _, s := range out.Scenarios {
			byName[s.Name] = s
		}
		vs := make([]Verdict, len(list))
		for i, v := range list {
			s, ok := byName[v.Name]
			if !ok {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				vs[i] = Verdict{Error: "not run"}
				continue
			}
			vs[i] = x.verdict(s)
		}
		return vs, nil
	}
}

// verdict reads a run's report entry.
func (x *explorer) verdict(s reports.Scenario) Verdict {
	if s.Error != "" {
		return Verdict{Error: s.Error}
	}
	v := Verdict{Fired: map[string]int{}}
	for _, e := range s.Expectations {
		if !e.Passed && x.property(e.Name) {
			v.Failed = append(v.Failed, e.Name)
		}
	}
	if tl := s.Timeline; tl != nil {
		for _, r := range tl.Requests {
			if r.Fault != "" {
				v.Fired[r.Fault]++
			}
		}
		for _, f := range tl.Faults {
			v.Fired[f.Name]++
		}
	}
	return v
}

// write writes the shrunk schedule as a scenario: its faults, insisting
// on those that fired in both confirming runs, and the property as its
// expect block.
func (x *explorer) write(sh *ShrinkResult, sr *SearchResult, res *Result) (*Finding, error) {
	faults := clone(sh.Faults)
	for _, f := range faults {
		fired := sh.Verdicts[0].Fired[f.Name] > 0 && sh.Verdicts[1].Fired[f.Name] > 0
		switch {
		case !fired:
			f.Optional = ptr(true)
		case f.Skip != nil || f.Until != nil:
			f.Optional = ptr(false)
		default:
			f.Optional = nil
		}
	}
	name := strings.TrimSuffix(MinFile(x.sc.Name), ".yaml")
	v, err := x.variant(name, faults)
	if err != nil {
		return nil, fmt.Errorf("internal error: the shrunk schedule is not a valid scenario: %w", err)
	}
	c := *v
	var renamed map[string]string
	c.Expect, renamed = v.Expect.Only(x.property)
	c.Description = fmt.Sprintf("The smallest fault schedule gameday explore found that breaks %s.", x.sc.Name)
	c.Tags = append(slices.Clone(v.Tags), "explore")
	failed := make([]string, len(sh.Failed))
	for i, n := range sh.Failed {
		failed[i] = n
		if r, ok := renamed[n]; ok {
			failed[i] = r
		}
	}
	file := filepath.Join(x.o.Out, MinFile(x.sc.Name))
	var flags []string
	if x.o.Backend != "" && x.o.Backend != lifecycle.BackendAuto {
		flags = append(flags, "--backend", x.o.Backend)
	}
	if x.o.EvidenceRuns != nil {
		flags = append(flags, "--evidence-runs", fmt.Sprint(*x.o.EvidenceRuns))
	}
	replay := reports.ReplayCommandFlags(flags, file)
	f := &Finding{Trial: sr.Trial, Drawn: Describe(sr.Found.Faults), Failed: failed, Steps: sh.Steps, Tried: sh.Tried, Runs: sh.Runs,
		File: file, Replay: replay}
	for _, fl := range faults {
		f.Faults = append(f.Faults, Describe([]*scenarios.Fault{fl}))
	}
	body, err := c.MarshalYAML()
	if err != nil {
		return f, err
	}
	header := x.header(res, f, len(sr.Found.Faults), len(faults))
	if err := os.WriteFile(file, append([]byte(header), body...), 0o644); err != nil {
		return f, fmt.Errorf("write %s: %w", file, err)
	}
	back, err := scenarios.LoadFile(file)
	if err != nil {
		return f, fmt.Errorf("internal error: the written scenario does not load: %w", err)
	}
	if len(back.Faults) != len(faults) {
		return f, fmt.Errorf("internal error: %s holds %d faults, not %d", file, len(back.Faults), len(faults))
	}
	progress(x.o.Progress, true, "written: %s", file)
	return f, nil
}

// header is the comment the written scenario starts with.
func (x *explorer) header(res *Result, f *Finding, drawn, kept int) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, "# "+format+"\n", args...) }
	line("Written by gameday explore: the smallest fault schedule it found that breaks")
	line("%s (property: %s).", x.sc.Given(), strings.Join(res.Property, ", "))
	line("Fails: %s.", strings.Join(f.Failed, ", "))
	line("Found: trial %d of %d (explore --seed %d; every run uses seed %d); actions: %s.", f.Trial, res.Budget, res.Seed, res.RunSeed, strings.Join(res.Actions, ", "))
	line("Shrunk: %d %s to %d in %d steps (%d candidates, %d runs); every step failed twice.", drawn, plural(drawn, "fault", "faults"), kept, f.Steps, f.Tried, f.Runs)
	if o := x.o.Override; o.Policy != "" || len(o.Env) > 0 {
		var parts []string
		if o.Policy != "" {
			parts = append(parts, "--policy "+o.Policy)
		}
		for _, k := range slices.Sorted(maps.Keys(o.Env)) {
			parts = append(parts, "--env "+k+"="+o.Env[k])
		}
		line("Explored with %s (kept below).", strings.Join(parts, " "))
	}
	line("Replay: %s", f.Replay)
	return b.String() + "\n"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func resources(sp Space) string {
	seen := map[string]int{}
	var order []string
	for _, r := range sp.Resources {
		if seen[r.Target] == 0 {
			order = append(order, r.Target)
		}
		seen[r.Target]++
	}
	parts := make([]string, len(order))
	for i, t := range order {
		parts[i] = fmt.Sprintf("%s ×%d", t, seen[t])
	}
	return strings.Join(parts, ", ")
}

func emptyWhy(sp Space) string {
	if len(sp.Resources) == 0 {
		return "the workload made no request through a proxy in the calibration run"
	}
	return "a worker crash needs a write to a minio target and workload.restarts > 0"
}
