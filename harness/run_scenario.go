package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// teardownTimeout bounds disarming, bringing targets back, observing and
// stopping, which run on a context of their own so that Ctrl-C or a passed
// scenario timeout never skips them.
const teardownTimeout = 60 * time.Second

// scenarioRun is one scenario's live parts. Its fields are owned by the
// goroutine running the scenario; the proxies' and timers' callbacks only
// touch targets (safe for concurrent use), the workload (likewise) and
// restarts (under mu).
type scenarioRun struct {
	r      *runner
	sc     *scenarios.Scenario
	seed   int64
	label  string           // the console's name: the scenario's, with repeats its seed too
	dir    string           // <out>/<name>, with repeats <out>/<name>/seed-<seed>
	redact *redact.Redactor // the run's (runner.redactor)

	st    *Stack // nil until boot recorded the run
	wl    *lifecycle.Workload
	quiet bool // no more console lines (kept past the run)

	// evidence marks an evidence run: it only gathers waits for a
	// statistical verdict of the primary run, so it is never kept and
	// never runs evidence runs of its own.
	evidence bool
	// obs is what the run observed, once it has judged.
	obs *observe.Observations
}

func newScenarioRun(r *runner, sc *scenarios.Scenario, seed int64) *scenarioRun {
	return &scenarioRun{
		r: r, sc: sc, seed: seed,
		label:  sc.Name,
		dir:    filepath.Join(r.out, sc.Name),
		redact: r.redactor,
		wl:     &lifecycle.Workload{},
	}
}

// infraError marks a scenario that could not run: a target that did not
// start or died unasked (exit 3).
type infraError struct{ err error }

func (e *infraError) Error() string { return e.err.Error() }
func (e *infraError) Unwrap() error { return e.err }

func (s *scenarioRun) phase(p string) {
	if s.r.console != nil && !s.quiet {
		s.r.console.Phase(s.label, p)
	}
}

// execute runs the scenario from boot to teardown and returns its verdicts.
// It never returns with anything of the scenario still running.
func (s *scenarioRun) execute(ctx context.Context) reports.Scenario {
	sc := s.sc
	res := reports.Scenario{Name: sc.Name, File: s.r.display(sc.File), Seed: s.seed}
	start := s.r.now()
	timeout := sc.Timeout
	if timeout <= 0 {
		timeout = scenarios.DefaultTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		res.Error = fmt.Sprintf("create %s: %v", s.dir, err)
		return res
	}
	obsIn := observe.Input{Start: start}
	var artifacts *observe.Artifacts
	var artifactsErr error
	err := s.boot(sctx)
	booted := err == nil
	kept := false
	defer func() {
		if kept {
			return // the Keep callback owns the teardown now
		}
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
		defer tcancel()
		s.teardown(tctx)
	}()
	if err == nil {
		s.phase("run")
		obsIn.Runs = s.runWorkload(sctx)
		obsIn.End = s.r.now()
		if sctx.Err() != nil && ctx.Err() == nil {
			obsIn.TimedOut = true
		}
	}
	// Observing gets a context of its own: it runs after the scenario's
	// timeout or a Ctrl-C too.
	tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer tcancel()
	if err == nil {
		s.phase("observe")
		s.showFaults() // the proxies' counters, before Disarm drops them
		obsIn.TimerFaults = s.st.Disarm()
		s.showFaults()
		if e := s.st.BringBack(tctx); e != nil {
			err = &infraError{e}
		}
		if sc.Expect.Artifacts != nil {
			var ids []string
			for _, r := range obsIn.Runs {
				ids = append(ids, r.RunID)
			}
			artifacts, artifactsErr = listArtifacts(tctx, s.st, sc.Expect.Artifacts, ids)
		}
	}
	if s.st != nil {
		// Proxies flush their journals on Close.
		s.st.CloseProxies()
		journal, jerr := s.st.Journal()
		if jerr != nil && err == nil {
			err = jerr
		}
		obsIn.Journal = journal
		obsIn.Notifications = s.st.Notifications()
		writeJournal(s.redact, filepath.Join(s.dir, "journal.jsonl"), journal)
		copyTargetLogs(s.st, s.dir)
	}
	if obsIn.End.IsZero() {
		obsIn.End = s.r.now()
	}

	obs := observe.Observe(obsIn)
	s.obs = obs
	res.DurationMS = s.r.now().Sub(start).Milliseconds()
	res.Metrics = expect.Metrics(obs, artifacts)
	switch {
	case ctx.Err() != nil:
		res.Error = "interrupted before the scenario finished"
	case err != nil:
		res.Error = s.redact.String(err.Error())
	}
	// Judge what was observed whenever the workload got to run, also when
	// a target then died unasked. An interrupted run is not judged: it
	// ended because it was told to, so its verdicts would only count
	// that (outcome: killed) as failures; its Error says it all.
	if booted && ctx.Err() == nil {
		in := expect.Input{Expect: sc.Expect, Obs: obs, Artifacts: artifacts,
			ArtifactsErr: artifactsErr, Timeout: timeout, Faults: sc.Faults,
			WorkloadLog: s.r.display(filepath.Join(s.dir, "workload-run1-attempt0.log"))}
		res.Expectations = expect.Judge(in)
		if !s.evidence && expect.NeedsEvidence(res.Expectations) {
			s.gatherEvidence(ctx, in, res.Expectations)
		}
		orderVerdicts(res.Expectations, sc.ExpectOrder())
	}
	res.Passed = res.Error == ""
	for _, e := range res.Expectations {
		if !e.Passed {
			res.Passed = false
		}
	}
	s.annotate(&res, obsIn, obs)
	if s.r.opts.Keep != nil && !s.evidence && !res.Passed && booted && ctx.Err() == nil && s.r.claimKeep(sc.Name) {
		k, kerr := s.keep(tctx)
		if kerr == nil {
			kept = true
			s.r.opts.Keep(k)
		} else if s.r.console != nil {
			s.r.console.Printf("%s: --keep-on-failure: %v; tearing down", s.label, s.redact.String(kerr.Error()))
		}
	}
	return res
}

// boot boots the scenario's stack (targets, seeding, proxies, receiver,
// faults armed), with the workload as the target of workload faults.
func (s *scenarioRun) boot(ctx context.Context) error {
	s.phase("boot")
	st, err := BootStack(ctx, s.sc, StackOptions{
		Backend:    s.r.opts.Backend,
		Seed:       s.seed,
		RunID:      s.r.runID(s.sc.Slug()),
		Ports:      s.r.ports,
		Now:        s.r.now,
		Redactor:   s.redact,
		Workload:   s.wl,
		OnPhase:    s.phase,
		OnTimer:    func(TimerEvent) { s.showFaults() },
		listenHook: s.r.listenHook,
	})
	s.st = st
	if st != nil && st.Backend != nil {
		s.r.noteBackend(st.Backend.Name())
	}
	if err != nil {
		return &infraError{err}
	}
	return nil
}

// showFaults shows the faults injected so far on the console.
func (s *scenarioRun) showFaults() {
	if s.r.console != nil && s.st != nil {
		s.r.console.Faults(s.label, s.st.InjectedSoFar())
	}
}

// runWorkload runs the scheduled runs with their restarts.
func (s *scenarioRun) runWorkload(ctx context.Context) []observe.RunRecord {
	sc, w := s.sc, s.sc.Workload
	runs := max(w.Runs, 1)
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = sc.Timeout
	}
	argv := w.Exec
	if w.Pipeline != "" {
		argv = []string{s.r.gamedayBin, "pipeline"}
	}
	env := s.workloadEnv()
	_ = os.MkdirAll(env.StateDir, 0o700)
	scenarioStart := s.r.now()
	var out []observe.RunRecord
	for n := 1; n <= runs && ctx.Err() == nil; n++ {
		env.RunID = sc.RunIDFor(s.seed, n)
		env.ScheduledAt = scenarioStart.Add(time.Duration(n-1) * w.Every)
		env.RunStartedAt = time.Time{}
		for attempt := 0; ctx.Err() == nil; attempt++ {
			s.phase(fmt.Sprintf("run %d/%d", n, runs) + attemptSuffix(attempt))
			s.st.SetRun(n, attempt)
			env.Attempt = attempt
			if env.RunStartedAt.IsZero() {
				env.RunStartedAt = s.r.now()
			}
			logName := fmt.Sprintf("workload-run%d-attempt%d.log", n, attempt)
			lf, err := os.Create(filepath.Join(s.dir, logName))
			var logw io.WriteCloser = nopWriteCloser{io.Discard}
			if err == nil {
				logw = s.redact.Writer(lf)
			}
			rec := s.wl.Run(ctx, lifecycle.Attempt{
				Argv:    argv,
				Dir:     filepath.Dir(sc.File),
				Env:     append(Environ(os.Environ(), env), s.st.Run.MarkerEnv(lifecycle.PartWorkload)),
				Timeout: timeout,
				Log:     logw,
				Run:     s.st.Run,
			}, s.r.now)
			logw.Close()
			if lf != nil {
				lf.Close()
			}
			rec.Run, rec.Attempt, rec.RunID = n, attempt, env.RunID
			out = append(out, rec)
			s.showFaults()
			if !rec.Crashed || attempt >= w.Restarts {
				break
			}
		}
	}
	return out
}

// workloadEnv is the scenario's part of a workload's environment: the
// stack's (proxies, the first MinIO target's credentials, the receiver)
// with the run's seed.
func (s *scenarioRun) workloadEnv() WorkloadEnv { return s.st.WorkloadEnv() }

func attemptSuffix(a int) string {
	if a == 0 {
		return ""
	}
	return fmt.Sprintf(" restart %d", a)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// listArtifacts lists every object version under the artifact prefix of a
// (the first MinIO target when a names none) and counts the duplicates
// against the runs' ids.
func listArtifacts(ctx context.Context, st *Stack, a *scenarios.ArtifactsExpect, runIDs []string) (*observe.Artifacts, error) {
	name := a.Target
	if name == "" {
		if m := st.Scenario.FirstMinIO(); m != nil {
			name = m.Name
		}
	}
	tg, ok := st.Targets[name]
	if !ok {
		return nil, fmt.Errorf("no minio target %q", name)
	}
	cl, err := lifecycle.MinIOClient(tg.Addr(), tg.Credentials())
	if err != nil {
		return nil, err
	}
	var versions []observe.ObjectVersion
	for o := range cl.ListObjects(ctx, a.Bucket, minio.ListObjectsOptions{Prefix: a.Prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", a.Bucket, a.Prefix, o.Err)
		}
		versions = append(versions, observe.ObjectVersion{Key: o.Key, VersionID: o.VersionID, IsDeleteMarker: o.IsDeleteMarker, LastModified: o.LastModified, ETag: o.ETag})
	}
	d := observe.Duplicates(versions, runIDs, a.Kinds)
	return &d, nil
}

// writeJournal writes a scenario's journal to path, each entry redacted
// field by field before it is encoded (masking encoded JSON could cut into
// an escape and break it).
func writeJournal(rd *redact.Redactor, path string, entries []observe.Request) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	for _, e := range entries {
		rd.Value(&e) // e is a copy; Entry holds no reference
		b, err := jsonLine(e)
		if err == nil {
			_, _ = w.Write(b)
		}
	}
}

// copyTargetLogs copies each target's log, redacted, to dir as
// target-<name>.log.
func copyTargetLogs(st *Stack, dir string) {
	for _, name := range st.Order {
		tg := st.Targets[name]
		src, err := os.Open(tg.LogPath())
		if err != nil {
			continue
		}
		dst, err := os.Create(filepath.Join(dir, "target-"+name+".log"))
		if err != nil {
			src.Close()
			continue
		}
		w := st.Redactor.Writer(dst)
		_, _ = io.Copy(w, src)
		w.Close()
		dst.Close()
		src.Close()
	}
}

// teardown stops everything the scenario started: the workload's group,
// then the stack. It is idempotent.
func (s *scenarioRun) teardown(ctx context.Context) {
	s.phase("teardown")
	if s.st != nil {
		s.st.Disarm()
	}
	s.wl.KillGroup()
	if s.st != nil {
		_ = s.st.Close(ctx)
	}
}

func jsonLine(e observe.Request) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// gatherEvidence runs the scenario again, each time on a fresh stack with a
// derived seed, while a statistical verdict in vs (backoff.jitter,
// backoff.growing) is inconclusive and the evidence budget lasts, and
// replaces those verdicts in vs with the ones judged on the pooled waits.
// Every other verdict stays the primary run's. An evidence run that hit an
// infrastructure error is left out of the pool, and the verdict says so.
func (s *scenarioRun) gatherEvidence(ctx context.Context, in expect.Input, vs []reports.Expectation) {
	budget := s.sc.Evidence()
	if s.r.opts.EvidenceRuns != nil {
		budget = *s.r.opts.EvidenceRuns
	}
	for k := 1; k <= budget && ctx.Err() == nil && expect.NeedsEvidence(vs); k++ {
		ev := newScenarioRun(s.r, s.sc, EvidenceSeed(s.seed, k))
		ev.evidence = true
		ev.label = fmt.Sprintf("%s [evidence %d/%d]", s.label, k, budget)
		ev.dir = filepath.Join(s.dir, fmt.Sprintf("evidence-%d", k))
		out := ev.execute(ctx)
		if s.r.console != nil {
			s.r.console.DoneAs(ev.label, "EVIDENCE")
		}
		if out.Error != "" || ev.obs == nil {
			in.EvidenceDropped++
			if s.r.console != nil {
				s.r.console.Printf("%s: dropped from the evidence pool: %s", ev.label, out.Error)
			}
		} else {
			in.Evidence = append(in.Evidence, ev.obs)
		}
		for _, v := range expect.Judge(in) {
			if !expect.IsStatistical(v.Name) {
				continue
			}
			for i := range vs {
				if vs[i].Name == v.Name {
					vs[i] = v
				}
			}
		}
	}
}

// EvidenceSeed derives the seed of the k-th evidence run (k = 1..) of a run
// with seed: seed·1000+k, so that it never collides with --repeat's seeds
// S, S+1, ...; seeds too large for that wrap around.
func EvidenceSeed(seed int64, k int) int64 {
	return seed*1000 + int64(k)
}
