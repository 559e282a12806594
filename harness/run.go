package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// RunOptions configure RunScenarios. Only Out is required.
type RunOptions struct {
	// Backend is auto, docker or process; default auto.
	Backend string
	// Seed, when set, overrides every scenario's seed.
	Seed *int64
	// Out receives report.json, junit.xml, summary.md and one folder per
	// scenario (journal, workload and target logs).
	Out string
	// Parallel is how many scenarios run at once; default 1. With Repeat,
	// every repeat counts as a scenario of its own.
	Parallel int
	// Repeat runs every scenario this many times, with the seeds S, S+1, ...
	// S+Repeat-1 where S is its seed (Seed, else the file's, else random),
	// and folds each scenario's runs into one entry with
	// reports.Aggregate (per expectation: held in how many runs; every
	// number is the worst run's, success_rate the mean). Each run
	// writes its outputs to <out>/<name>/seed-<seed>. Default 1: one run,
	// outputs in <out>/<name>.
	Repeat int
	// Keep, when set, turns on --keep-on-failure: the first run of each
	// scenario that fails after its targets booted is not torn down. Its
	// faults are disarmed, fresh fault-free proxies listen on the addresses
	// the workload used, its alert receiver stays up, and an env file is
	// written; Keep receives it (from the scenario's goroutine) and must
	// Close it. Runs ended by cancelling ctx are never kept.
	Keep func(*Kept)
	// EvidenceRuns, when set, overrides every scenario's evidence_runs:
	// how many extra runs, each on a fresh stack with a derived seed, may
	// gather waits for an inconclusive backoff verdict (0: none).
	EvidenceRuns *int
	// GamedayBin runs `gameday pipeline` for `pipeline: reference`; default
	// GamedayBinary().
	GamedayBin string
	// Console shows progress; nil shows none. The run adds every secret it
	// generates to the Console's Redactor (see Redactor) as soon as it
	// exists.
	Console *reports.Console
	// Command is recorded in the report.
	Command string
	// Only, when set, runs just the scenario × seed pairs it holds for
	// (`--shard`: see Pairs and package shard); the others are left out of
	// the run and of the report, as if they had not been given. A scenario
	// with no pair left is not in the report at all.
	Only func(name string, seed int64) bool
	// Shard, when set, is recorded in the report (which part of a sharded
	// run this is), so that merging can tell a missing shard.
	Shard *reports.Shard
	// Display turns a scenario's absolute path into the form shown in
	// reports; default: relative to the working directory when inside it.
	Display func(path string) string
	// Now is the clock; default time.Now. Random draws seeds and run ids;
	// default crypto/rand.
	Now    func() time.Time
	Random func([]byte)
}

// runner is one RunScenarios call.
type runner struct {
	opts       RunOptions
	out        string
	ports      *lifecycle.Ports
	console    *reports.Console
	gamedayBin string
	now        func() time.Time
	random     func([]byte)
	listenHook func(port int) // see runScenarios
	// redactor is the run's single redaction point: every credential the
	// run generates is added to it as soon as it exists, and every output
	// passes through it before it is encoded or shown: the Result (field
	// by field, in redacted, before the console, Aggregate, the writers or
	// the caller see it), the console (which writes through it), the
	// journals (per field) and the logs (streamed). It is the Console's
	// when there is one.
	redactor *redact.Redactor

	mu      sync.Mutex
	backend string
	kept    map[string]bool // scenario names with a kept run
}

// RunScenarios runs every scenario (already loaded and validated) from boot
// to teardown, at most opts.Parallel at once, judges them, and writes the
// outputs to opts.Out. The result lists the scenarios in the order given.
// Cancelling ctx (Ctrl-C) tears everything down and still writes a partial
// report; scenarios not yet started are left out, the interrupted ones carry
// an Error and no verdict. The Result (and every output) has the
// credentials the run generated masked. The returned error is about writing the outputs only; the exit
// code follows from the Result (Result.ExitCode).
func RunScenarios(ctx context.Context, list []*scenarios.Scenario, opts RunOptions) (*reports.Result, error) {
	return runScenarios(ctx, list, opts, nil)
}

// runScenarios is RunScenarios; listenHook, when set, sees every port
// allocated for a proxy or the alert receiver before it is listened on
// (tests put a foreign server there).
func runScenarios(ctx context.Context, list []*scenarios.Scenario, opts RunOptions, listenHook func(port int)) (*reports.Result, error) {
	r := &runner{opts: opts, out: opts.Out, ports: lifecycle.NewPorts(), console: opts.Console, now: opts.Now, random: opts.Random,
		listenHook: listenHook}
	if r.now == nil {
		r.now = time.Now
	}
	r.redactor = redact.New()
	if r.console != nil {
		r.redactor = r.console.Redactor()
	}
	if r.random == nil {
		r.random = func(b []byte) { _, _ = rand.Read(b) }
	}
	if r.opts.Backend == "" {
		r.opts.Backend = lifecycle.BackendAuto
	}
	if r.opts.Parallel < 1 {
		r.opts.Parallel = 1
	}
	r.gamedayBin = opts.GamedayBin
	if r.gamedayBin == "" {
		r.gamedayBin, _ = lifecycle.GamedayBinary()
	}
	if err := os.MkdirAll(r.out, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	started := r.now()
	res := &reports.Result{StartedAt: started.UTC(), Command: opts.Command, Shard: opts.Shard}

	repeat := max(r.opts.Repeat, 1)
	if repeat > 1 {
		res.Repeat = repeat
	}
	// results[i][k] is the k-th repeat of list[i]; nil when it never ran
	// (interrupted before it started).
	results := make([][]*reports.Scenario, len(list))
	sem := make(chan struct{}, r.opts.Parallel)
	var wg sync.WaitGroup
schedule:
	for i, sc := range list {
		results[i] = make([]*reports.Scenario, repeat)
		base := r.seedFor(sc)
		for k := range repeat {
			seed := base + int64(k)
			if r.opts.Only != nil && !r.opts.Only(sc.Name, seed) {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break schedule
			}
			label, dir := sc.Name, filepath.Join(r.out, sc.Name)
			if repeat > 1 {
				label = fmt.Sprintf("%s [seed %d]", sc.Name, seed)
				dir = filepath.Join(dir, fmt.Sprintf("seed-%d", seed))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				defer func() {
					// execute's own defers have torn the scenario down; keep
					// the other scenarios and the report going.
					if p := recover(); p != nil {
						results[i][k] = r.redacted(reports.Scenario{Name: sc.Name, File: r.display(sc.File), Seed: seed,
							Error: fmt.Sprintf("internal error: %v", p)})
					}
				}()
				s := newScenarioRun(r, sc, seed)
				s.label, s.dir = label, dir
				out := r.redacted(s.execute(ctx))
				results[i][k] = out
				if r.console != nil {
					r.console.DoneResult(label, *out)
				}
			}()
		}
	}
	wg.Wait()
	// Orphans that dropped the marker but were adopted by a subreaper
	// harness can be told from other scenarios' only now.
	_ = lifecycle.SweepAdopted(context.WithoutCancel(ctx))
	for _, runs := range results {
		var done []reports.Scenario
		for _, s := range runs {
			if s != nil {
				done = append(done, *s)
			}
		}
		switch {
		case len(done) == 0:
		case repeat == 1:
			res.Scenarios = append(res.Scenarios, done[0])
		default:
			agg, err := reports.Aggregate(done)
			if err != nil {
				return nil, err
			}
			res.Scenarios = append(res.Scenarios, agg)
		}
	}
	res.Backend = r.backendName()
	res.DurationMS = r.now().Sub(started).Milliseconds()
	res.Summarize()
	// Again with every secret of every scenario: one scenario's output may
	// carry another's.
	r.redactor.Value(res)
	if err := reports.WriteFiles(r.out, res); err != nil {
		return res, fmt.Errorf("write report: %w", err)
	}
	return res, nil
}

// redacted returns sc with every string field redacted, before anything
// shows or aggregates it.
func (r *runner) redacted(sc reports.Scenario) *reports.Scenario {
	r.redactor.Value(&sc)
	return &sc
}

func (r *runner) seedFor(sc *scenarios.Scenario) int64 {
	return sc.SeedFor(r.opts.Seed, r.random)
}

func (r *runner) runID(name string) string {
	var b [3]byte
	r.random(b[:])
	return r.now().UTC().Format("20060102T150405") + "-" + name + "-" + hex.EncodeToString(b[:])
}

// claimKeep reports whether a failed run of the named scenario may be kept
// up: only the first one of each scenario is.
func (r *runner) claimKeep(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kept[name] {
		return false
	}
	if r.kept == nil {
		r.kept = map[string]bool{}
	}
	r.kept[name] = true
	return true
}

func (r *runner) display(path string) string {
	if r.opts.Display != nil {
		return r.opts.Display(path)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

func (r *runner) noteBackend(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend == "" {
		r.backend = name
	}
}

func (r *runner) backendName() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend == "" {
		return r.opts.Backend
	}
	return r.backend
}

// DefaultOut is the default output folder of `gameday run`:
// gameday-out/<UTC timestamp>.
func DefaultOut(now time.Time) string {
	return filepath.Join("gameday-out", now.UTC().Format("20060102T150405Z"))
}
