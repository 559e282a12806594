package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/harness/receiver"
	"github.com/gameday/gameday/injectors"
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
	label  string // the console's name: the scenario's, with repeats its seed too
	dir    string // <out>/<name>, with repeats <out>/<name>/seed-<seed>
	run    *Run
	redact *redact.Redactor // the run's (runner.redactor)

	targets map[string]Target
	order   []string // target names, file order
	proxies map[string]*injectors.Proxy
	wl      *workload

	rc       *receiver.Receiver
	timers   *Timers
	journals []*os.File
	ports    []int        // proxy and receiver ports, released at teardown
	fired    atomic.Int64 // timer faults fired (crash or pause), for the console
	proxied  atomic.Int64 // most proxy faults counted so far (Disarm drops the counters)

	mu       sync.Mutex
	restarts sync.WaitGroup
	stopping chan struct{} // closed at disarm: pending restarts happen at once
	stopOnce sync.Once
	told     map[string]bool // targets a fault crashed
	quiet    bool            // no more console lines (kept past the run)

	// evidence marks an evidence run: it only gathers waits for a
	// statistical verdict of the primary run, so it is never kept and
	// never runs evidence runs of its own.
	evidence bool
	// obs is what the run observed, once it has judged.
	obs *observe.Observations
	// timerLog is what the fault timers did, kept at disarm for the
	// timeline.
	timerLog []TimerEvent
}

func newScenarioRun(r *runner, sc *scenarios.Scenario, seed int64) *scenarioRun {
	return &scenarioRun{
		r: r, sc: sc, seed: seed,
		label:    sc.Name,
		dir:      filepath.Join(r.out, sc.Name),
		redact:   r.redactor,
		targets:  map[string]Target{},
		proxies:  map[string]*injectors.Proxy{},
		wl:       &workload{},
		stopping: make(chan struct{}),
		told:     map[string]bool{},
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
		obsIn.TimerFaults = s.disarm(tctx)
		s.showFaults()
		if e := s.bringBack(tctx); e != nil {
			err = e
		}
		if sc.Expect.Artifacts != nil {
			artifacts, artifactsErr = s.listArtifacts(tctx, sc.Expect.Artifacts, obsIn.Runs)
		}
	}
	// Proxies flush their journals on Close.
	s.closeProxies()
	journal, jerr := s.readJournal()
	if jerr != nil && err == nil {
		err = jerr
	}
	obsIn.Journal = journal
	if s.rc != nil {
		obsIn.Notifications = notifications(s.rc.Notifications())
	}
	if obsIn.End.IsZero() {
		obsIn.End = s.r.now()
	}
	s.writeJournal(journal)
	s.copyTargetLogs()

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

// boot starts the backend, the targets (seeded), the proxies and arms the
// faults.
func (s *scenarioRun) boot(ctx context.Context) error {
	sc := s.sc
	s.phase("boot")
	run, err := NewRun(s.r.runID(sc.Name), s.r.now())
	if err != nil {
		return &infraError{fmt.Errorf("start run: %w", err)}
	}
	s.run = run
	backend, err := NewBackend(ctx, s.r.opts.Backend, Options{Run: run, Ports: s.r.ports})
	if err != nil {
		return &infraError{fmt.Errorf("backend %s: %w", s.r.opts.Backend, err)}
	}
	s.r.noteBackend(backend.Name())
	err = s.onFreshPort(func(port int) error {
		rc, err := receiver.Start(ctx, receiver.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
		if err == nil {
			s.rc = rc
		}
		return err
	})
	if err != nil {
		return &infraError{fmt.Errorf("alert receiver: %w", err)}
	}
	for _, t := range sc.Targets {
		tg, err := backend.Start(ctx, TargetSpecOf(t))
		if err != nil {
			return &infraError{fmt.Errorf("start target %s: %w", t.Name, err)}
		}
		s.targets[t.Name] = tg
		s.order = append(s.order, t.Name)
		s.redact.Add(CredentialSecrets(tg.Credentials())...)
	}
	s.phase("seed")
	for _, t := range sc.Targets {
		if t.Kind != scenarios.KindMinIO {
			continue
		}
		if err := SeedMinIO(ctx, s.targets[t.Name], t.Buckets, ObjectsOf(t), s.seed); err != nil {
			return &infraError{err}
		}
	}
	for i, t := range sc.Targets {
		if err := s.startProxy(ctx, i, t); err != nil {
			return err
		}
	}
	s.phase("arm")
	for _, name := range s.order {
		if err := s.proxies[name].Arm(ProxyRules(sc.Faults, name)); err != nil {
			return fmt.Errorf("arm faults on %s: %w", name, err)
		}
	}
	s.timers = ArmTimers(context.WithoutCancel(ctx), TimerFaultsOf(sc), func(name string) (Controller, bool) {
		if name == scenarios.WorkloadTarget {
			return s.wl, true
		}
		tg, ok := s.targets[name]
		if ok {
			s.mu.Lock()
			s.told[name] = true
			s.mu.Unlock()
		}
		return tg, ok
	}, TimerOptions{Now: s.r.now, OnEvent: s.timerEvent})
	return nil
}

// timerEvent counts a timer fault that fired (as the report's
// faults_injected does) and shows the new total on the console.
func (s *scenarioRun) timerEvent(e TimerEvent) {
	if e.Err != nil || (e.Action != "crash" && e.Action != "pause") {
		return
	}
	s.fired.Add(1)
	s.showFaults()
}

// showFaults shows the faults injected so far on the console.
func (s *scenarioRun) showFaults() {
	if s.r.console != nil {
		s.r.console.Faults(s.label, s.injectedSoFar())
	}
}

func (s *scenarioRun) startProxy(ctx context.Context, i int, t *scenarios.Target) error {
	tg := s.targets[t.Name]
	up, err := url.Parse(tg.URL())
	if err != nil {
		return &infraError{fmt.Errorf("proxy %s: %w", t.Name, err)}
	}
	jf, err := os.Create(filepath.Join(s.run.Dir, "journal-"+t.Name+".jsonl"))
	if err != nil {
		return &infraError{fmt.Errorf("proxy %s journal: %w", t.Name, err)}
	}
	kind := injectors.KindJSON
	if t.Kind == scenarios.KindMinIO {
		kind = injectors.KindS3
	}
	name := t.Name
	var p *injectors.Proxy
	err = s.onFreshPort(func(port int) error {
		var err error
		p, err = injectors.New(injectors.Config{
			Upstream: up,
			Listen:   "127.0.0.1:" + strconv.Itoa(port),
			Kind:     kind,
			Target:   name,
			Journal:  jf,
			Seed:     s.seed + int64(i),
			OnCrash:  func(ctx context.Context, r injectors.Rule) error { return s.onCrash(ctx, name, r) },
			OnPause:  func(ctx context.Context, r injectors.Rule) error { return s.onPause(ctx, name, r) },
		})
		return err
	})
	if err != nil {
		jf.Close()
		return &infraError{fmt.Errorf("proxy %s: %w", t.Name, err)}
	}
	s.proxies[name] = p
	s.journals = append(s.journals, jf)
	if err := p.Start(context.WithoutCancel(ctx)); err != nil {
		return &infraError{fmt.Errorf("proxy %s: %w", t.Name, err)}
	}
	return nil
}

// listenAttempts is how often a proxy or the alert receiver is started on
// a fresh port when its port turns out to be taken: the allocator's probe
// and the later listen are not atomic, so a program outside gameday can
// take the port in between.
const listenAttempts = 3

// onFreshPort calls listen with a port from the allocator, and again with a
// fresh one, listenAttempts times in all, while it fails with EADDRINUSE. A
// port that failed is released; the one that worked is released at
// teardown.
func (s *scenarioRun) onFreshPort(listen func(port int) error) error {
	for attempt := 1; ; attempt++ {
		port, err := s.r.ports.Allocate()
		if err != nil {
			return err
		}
		if s.r.listenHook != nil {
			s.r.listenHook(port)
		}
		err = listen(port)
		if err == nil {
			s.ports = append(s.ports, port)
			return nil
		}
		s.r.ports.Release(port)
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == listenAttempts {
			return err
		}
	}
}

// onCrash carries out a crash rule fired on the proxy of target.
func (s *scenarioRun) onCrash(ctx context.Context, target string, r injectors.Rule) error {
	if r.Workload {
		return s.wl.Crash(ctx)
	}
	tg := s.targets[target]
	s.mu.Lock()
	s.told[target] = true
	s.mu.Unlock()
	if err := tg.Crash(ctx); err != nil {
		return err
	}
	if r.Action.Crash != nil && r.Action.Crash.RestartAfter != nil {
		s.later(*r.Action.Crash.RestartAfter, func(ctx context.Context) { _ = tg.Restart(ctx) })
	}
	return nil
}

// onPause carries out a pause rule fired on the proxy of target.
func (s *scenarioRun) onPause(ctx context.Context, target string, r injectors.Rule) error {
	var c Controller = s.wl
	if !r.Workload {
		c = s.targets[target]
	}
	if err := c.Pause(ctx); err != nil {
		return err
	}
	d := time.Duration(0)
	if r.Action.Pause != nil {
		d = r.Action.Pause.For
	}
	s.later(d, func(ctx context.Context) { _ = c.Resume(ctx) })
	return nil
}

// later runs f after d, or at once when the scenario disarms.
func (s *scenarioRun) later(d time.Duration, f func(context.Context)) {
	s.restarts.Add(1)
	go func() {
		defer s.restarts.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.stopping:
		}
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		f(ctx)
	}()
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
			for _, p := range s.proxies {
				p.SetRun(n, attempt)
			}
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
			rec := s.wl.run(ctx, attemptSpec{
				argv:    argv,
				dir:     filepath.Dir(sc.File),
				env:     append(Environ(os.Environ(), env), s.run.markerEnv(PartWorkload)),
				timeout: timeout,
				log:     logw,
				run:     s.run,
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
// proxies, the first MinIO target's credentials and the receiver.
func (s *scenarioRun) workloadEnv() WorkloadEnv {
	sc, w := s.sc, s.sc.Workload
	env := WorkloadEnv{
		Scenario:     sc.Name,
		Seed:         s.seed,
		SLA:          w.SLA,
		StateDir:     filepath.Join(s.run.Dir, "state"),
		Policy:       w.Policy,
		TargetURLs:   map[string]string{},
		AlertURL:     s.rc.AlertmanagerURL(),
		PagerDutyURL: s.rc.PagerDutyURL(),
		Extra:        w.Env,
	}
	for _, name := range s.order {
		env.TargetURLs[name] = s.proxies[name].URL()
	}
	if m := sc.FirstMinIO(); m != nil {
		env.S3Endpoint = s.proxies[m.Name].URL()
		env.S3Credentials = s.targets[m.Name].Credentials()
	}
	return env
}

func attemptSuffix(a int) string {
	if a == 0 {
		return ""
	}
	return fmt.Sprintf(" restart %d", a)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// injectedSoFar counts the faults injected so far: requests a proxy rule
// fired on, plus timer faults fired. It never goes down: a disarmed
// proxy's counters are gone, the most counted before stands. Safe to call
// from the timers' goroutines (proxies are not added once the timers are
// armed).
func (s *scenarioRun) injectedSoFar() int {
	var n int64
	for _, p := range s.proxies {
		for _, c := range p.Counters() {
			n += int64(c.Injected)
		}
	}
	for {
		old := s.proxied.Load()
		if n <= old {
			n = old
			break
		}
		if s.proxied.CompareAndSwap(old, n) {
			break
		}
	}
	return int(n + s.fired.Load())
}

// disarm removes every fault and stops the timers (carrying out pending
// restarts and resumes), and returns the timer faults that fired.
func (s *scenarioRun) disarm(context.Context) []observe.FaultEvent {
	for _, p := range s.proxies {
		p.Disarm()
	}
	var events []observe.FaultEvent
	if s.timers != nil {
		s.timers.Stop()
		s.timerLog = s.timers.Events()
		for _, e := range s.timerLog {
			if e.Err == nil && (e.Action == "crash" || e.Action == "pause") {
				events = append(events, observe.FaultEvent{Name: e.Fault, Target: e.Target, At: e.At})
			}
		}
		s.timers = nil
	}
	s.stopOnce.Do(func() { close(s.stopping) })
	s.restarts.Wait()
	return events
}

// bringBack restarts crashed targets and thaws paused ones, so the bucket
// can be listed. A target that is down although nothing crashed it died
// unasked: an infrastructure error.
func (s *scenarioRun) bringBack(ctx context.Context) error {
	var unasked []string
	for _, name := range s.order {
		tg := s.targets[name]
		switch tg.State() {
		case StateCrashed:
			s.mu.Lock()
			told := s.told[name]
			s.mu.Unlock()
			if !told {
				unasked = append(unasked, name)
			}
			if err := tg.Restart(ctx); err != nil {
				return &infraError{fmt.Errorf("bring %s back: %w", name, err)}
			}
		case StatePaused:
			if err := tg.Resume(ctx); err != nil {
				return &infraError{fmt.Errorf("resume %s: %w", name, err)}
			}
		}
	}
	if len(unasked) > 0 {
		return &infraError{fmt.Errorf("target %v died without being told to", unasked)}
	}
	return nil
}

func (s *scenarioRun) listArtifacts(ctx context.Context, a *scenarios.ArtifactsExpect, runs []observe.RunRecord) (*observe.Artifacts, error) {
	name := a.Target
	if name == "" {
		if m := s.sc.FirstMinIO(); m != nil {
			name = m.Name
		}
	}
	tg, ok := s.targets[name]
	if !ok {
		return nil, fmt.Errorf("no minio target %q", name)
	}
	cl, err := MinIOClient(tg.Addr(), tg.Credentials())
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
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.RunID)
	}
	d := observe.Duplicates(versions, ids, a.Kinds)
	return &d, nil
}

// closeProxies closes every proxy, which flushes its journal. It is
// idempotent.
func (s *scenarioRun) closeProxies() {
	for _, name := range s.order {
		if p := s.proxies[name]; p != nil {
			_ = p.Close()
		}
	}
	for _, f := range s.journals {
		_ = f.Close()
	}
}

// readJournal returns the scenario's journal, by start time.
func (s *scenarioRun) readJournal() ([]observe.Request, error) {
	var firstErr error
	var all []observe.Request
	for _, name := range s.order {
		if s.run == nil || s.proxies[name] == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.run.Dir, "journal-"+name+".jsonl"))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("read journal of %s: %w", name, err)
			}
			continue
		}
		rs, err := observe.ReadJournal(bytes.NewReader(b))
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("journal of %s: %w", name, err)
		}
		all = append(all, rs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start.Before(all[j].Start) })
	return all, firstErr
}

// writeJournal writes the scenario's journal, each entry redacted field by
// field before it is encoded (masking encoded JSON could cut into an
// escape and break it).
func (s *scenarioRun) writeJournal(entries []observe.Request) {
	f, err := os.Create(filepath.Join(s.dir, "journal.jsonl"))
	if err != nil {
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	for _, e := range entries {
		s.redact.Value(&e) // e is a copy; Entry holds no reference
		b, err := jsonLine(e)
		if err == nil {
			_, _ = w.Write(b)
		}
	}
}

func (s *scenarioRun) copyTargetLogs() {
	for _, name := range s.order {
		tg := s.targets[name]
		src, err := os.Open(tg.LogPath())
		if err != nil {
			continue
		}
		dst, err := os.Create(filepath.Join(s.dir, "target-"+name+".log"))
		if err != nil {
			src.Close()
			continue
		}
		w := s.redact.Writer(dst)
		_, _ = io.Copy(w, src)
		w.Close()
		dst.Close()
		src.Close()
	}
}

// teardown stops everything the scenario started. It is idempotent.
func (s *scenarioRun) teardown(ctx context.Context) {
	s.phase("teardown")
	s.disarm(ctx)
	s.wl.killGroup()
	s.closeProxies()
	for i := len(s.order) - 1; i >= 0; i-- {
		_ = s.targets[s.order[i]].Stop(ctx)
	}
	if s.rc != nil {
		_ = s.rc.Close()
	}
	s.r.ports.Release(s.ports...)
	s.ports = nil
	if s.run != nil {
		_ = s.run.Close()
	}
}

// notifications converts what the receiver recorded.
func notifications(ns []receiver.Notification) []observe.Notification {
	out := make([]observe.Notification, 0, len(ns))
	for _, n := range ns {
		name := n.Labels["alertname"]
		if name == "" {
			name = n.Summary
		}
		out = append(out, observe.Notification{Source: n.Source, Action: n.Status, Severity: n.Severity,
			Valid: n.Valid, Name: name, At: n.Time})
	}
	return out
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
