package harness

import (
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

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/harness/receiver"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/scenarios"
)

// StackOptions configure BootStack. Every field is optional.
type StackOptions struct {
	// Backend is auto, docker or process; default auto.
	Backend string
	// Seed seeds object content and the proxies' RNGs.
	Seed int64
	// RunID names the run (state record, container labels); default
	// "up-<scenario slug>-<unix nanos>".
	RunID string
	// Ports allocates target, proxy and receiver ports; default the
	// allocator shared by the process.
	Ports *lifecycle.Ports
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Redactor receives the credentials of the stack's targets as soon as
	// they exist (share it with whatever shows the stack's output); default
	// a fresh one. Stack.Redactor is this one.
	Redactor *redact.Redactor
	// Workload carries out the faults on the workload (target: workload),
	// from a proxy or the timer; nil: there is no workload (gameday up) and
	// such faults do nothing.
	Workload Controller
	// OnPhase is told each step of the boot after the targets started:
	// "seed", then "arm".
	OnPhase func(phase string)
	// OnTimer is told every timer fault event.
	OnTimer func(TimerEvent)
	// OnLifecycle is told every crash, restart, pause and resume the stack
	// carries out on a target: by a timer fault, a request fault (Fault
	// names it) or by hand (Crash, Restart; Fault is empty).
	OnLifecycle func(TimerEvent)
	// JournalDir receives each proxy's journal, journal-<target>.jsonl
	// (mode 0600, one redacted line per request as it completes); default
	// the run's folder, which Close removes.
	JournalDir string
	// OnEntry is told every request the proxies handled, once its journal
	// line is written, from the request's goroutine; it must not block.
	OnEntry func(injectors.Entry)
	// Disarmed boots the stack with no fault armed: the proxies forward
	// every request untouched and no timer runs until ArmFaults and
	// StartTimers say otherwise (the Go API's WithFaultsDisarmed).
	Disarmed bool

	// listenHook, when set, sees every port allocated for a proxy or the
	// receiver before it is listened on (tests put a foreign server there).
	listenHook func(port int)
}

// Stack is a booted scenario without its workload: every target (seeded), a
// fault proxy in front of each with the scenario's request faults armed,
// the alert receiver and the timer faults. It is the one boot path: `gameday
// run` runs a workload against one (and observes and judges it), `gameday
// up` holds one for a game day, and --keep-on-failure keeps one up. Its
// methods are safe for concurrent use with the proxies' and timers'
// callbacks; Boot, Disarm, BringBack, CloseProxies and Close belong to the
// goroutine that owns the stack.
type Stack struct {
	Scenario *scenarios.Scenario
	Run      *lifecycle.Run
	Backend  lifecycle.Backend
	Receiver *receiver.Receiver
	// Targets and Proxies by target name; Order is the file order.
	Targets  map[string]lifecycle.Target
	Proxies  map[string]*injectors.Proxy
	Order    []string
	Redactor *redact.Redactor
	// TimerLog is what the fault timers did, kept at Disarm (for the
	// timeline); read it after Disarm.
	TimerLog []TimerEvent

	opts     StackOptions
	journals []*os.File
	ports    []int         // proxy and receiver ports, released at Close
	stopping chan struct{} // closed at Disarm: pending restarts happen at once
	stopOnce sync.Once
	later    sync.WaitGroup
	fired    atomic.Int64 // timer faults fired (crash or pause)
	proxied  atomic.Int64 // most proxy faults counted so far (Disarm drops the counters)
	closed   sync.Once

	mu     sync.Mutex
	told   map[string]bool // targets a fault crashed or paused
	timers []*Timers       // armed timer faults: the boot's, then StartTimers'
}

// BootStack starts sc's targets side by side, seeds the MinIO ones, starts
// the alert receiver and a proxy in front of each target (each on a fresh
// port, again on another if the port was taken meanwhile), each writing its
// journal (mode 0600) to the run's folder, and arms the faults: request
// rules on the proxies, timer faults on the harness's clock. On error what
// was started is stopped again and the closed stack is returned with the
// error, for what it can still tell (its backend); nil when not even the
// run could be recorded.
func BootStack(ctx context.Context, sc *scenarios.Scenario, opts StackOptions) (*Stack, error) {
	if opts.Backend == "" {
		opts.Backend = lifecycle.BackendAuto
	}
	if opts.Ports == nil {
		opts.Ports = lifecycle.SharedPorts
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Redactor == nil {
		opts.Redactor = redact.New()
	}
	if opts.RunID == "" {
		opts.RunID = fmt.Sprintf("up-%s-%d", sc.Slug(), opts.Now().UnixNano())
	}
	run, err := lifecycle.NewRun(opts.RunID, opts.Now())
	if err != nil {
		return nil, fmt.Errorf("start run: %w", err)
	}
	s := &Stack{
		Scenario: sc, Run: run, Redactor: opts.Redactor, opts: opts,
		Targets: map[string]lifecycle.Target{}, Proxies: map[string]*injectors.Proxy{},
		stopping: make(chan struct{}), told: map[string]bool{},
	}
	if err := s.boot(ctx); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return s, err
	}
	return s, nil
}

func (s *Stack) boot(ctx context.Context) error {
	sc, opts := s.Scenario, s.opts
	var err error
	if s.Backend, err = lifecycle.NewBackend(ctx, opts.Backend, lifecycle.Options{Run: s.Run, Ports: opts.Ports}); err != nil {
		return fmt.Errorf("backend %s: %w", opts.Backend, err)
	}
	err = s.onFreshPort(func(port int) error {
		rc, err := receiver.Start(ctx, receiver.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Now: opts.Now})
		if err == nil {
			s.Receiver = rc
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("alert receiver: %w", err)
	}
	// Targets start side by side: the stack is ready when the slowest is.
	type started struct {
		name string
		t    lifecycle.Target
		err  error
	}
	results := make(chan started, len(sc.Targets))
	for _, t := range sc.Targets {
		go func() {
			tg, err := s.Backend.Start(ctx, TargetSpecOf(t))
			if err != nil {
				err = fmt.Errorf("start target %s: %w", t.Name, err)
			}
			results <- started{t.Name, tg, err}
		}()
	}
	var errs []error
	for range sc.Targets {
		r := <-results
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		s.Targets[r.name] = r.t
		s.Redactor.Add(lifecycle.CredentialSecrets(r.t.Credentials())...)
	}
	for _, t := range sc.Targets {
		if s.Targets[t.Name] != nil {
			s.Order = append(s.Order, t.Name)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	s.phase("seed")
	for _, t := range sc.Targets {
		if t.Kind == scenarios.KindMinIO {
			if err := lifecycle.SeedMinIO(ctx, s.Targets[t.Name], t.Buckets, ObjectsOf(t), opts.Seed); err != nil {
				return err
			}
		}
	}
	for i, t := range sc.Targets {
		if err := s.startProxy(i, t); err != nil {
			return err
		}
	}
	s.phase("arm")
	if opts.Disarmed {
		return nil
	}
	if err := s.ArmFaults(sc.Faults); err != nil {
		return err
	}
	s.StartTimers(ctx, sc.Faults)
	return nil
}

// ArmFaults arms, on every proxy, the request faults among faults that
// apply to it (see ProxyRules), in their order, replacing what was armed:
// every proxy's match counters and after/until clock start again. An empty
// list disarms the proxies; timer faults are StartTimers'.
func (s *Stack) ArmFaults(faults []*scenarios.Fault) error {
	for _, name := range s.Order {
		if err := s.Arm(name, faults); err != nil {
			return fmt.Errorf("arm faults on %s: %w", name, err)
		}
	}
	return nil
}

// StartTimers starts the timer faults among faults (crash or pause without
// match): each fires once, its after counted from now. It returns them
// (nil when there are none), for stopping early; Disarm stops them all.
// What they did counts in TimerFaults either way.
func (s *Stack) StartTimers(ctx context.Context, faults []*scenarios.Fault) *Timers {
	tf := TimerFaultsIn(faults)
	if len(tf) == 0 {
		return nil
	}
	t := ArmTimers(context.WithoutCancel(ctx), tf, s.controller, TimerOptions{Now: s.opts.Now, OnEvent: s.timerEvent})
	s.mu.Lock()
	s.timers = append(s.timers, t)
	s.mu.Unlock()
	return t
}

func (s *Stack) phase(p string) {
	if s.opts.OnPhase != nil {
		s.opts.OnPhase(p)
	}
}

// controller finds what a timer fault acts on, and notes a target as told
// (its death is no accident).
func (s *Stack) controller(name string) (Controller, bool) {
	if name == scenarios.WorkloadTarget {
		return s.opts.Workload, s.opts.Workload != nil
	}
	tg, ok := s.Targets[name]
	if ok {
		s.tell(name)
	}
	return tg, ok
}

func (s *Stack) tell(name string) {
	s.mu.Lock()
	s.told[name] = true
	s.mu.Unlock()
}

func (s *Stack) timerEvent(e TimerEvent) {
	if e.Err == nil && (e.Action == "crash" || e.Action == "pause") {
		s.fired.Add(1)
	}
	if s.opts.OnTimer != nil {
		s.opts.OnTimer(e)
	}
	e.By = "timer"
	s.lifecycle(e)
}

// lifecycle tells OnLifecycle of an action on a target.
func (s *Stack) lifecycle(e TimerEvent) {
	if s.opts.OnLifecycle != nil && e.Target != scenarios.WorkloadTarget {
		s.opts.OnLifecycle(e)
	}
}

func (s *Stack) event(fault, action, target string, err error) {
	by := "fault"
	if fault == "" {
		by = "hand"
	}
	s.lifecycle(TimerEvent{Fault: fault, Action: action, Target: target, At: s.opts.Now(), Err: err, By: by})
}

// Crash kills target by hand (SIGKILL, or the container's); it comes back
// with Restart, or before observing.
func (s *Stack) Crash(ctx context.Context, target string) error {
	tg := s.Targets[target]
	if tg == nil {
		return fmt.Errorf("no target %q (targets: %v)", target, s.Order)
	}
	s.tell(target)
	err := tg.Crash(ctx)
	s.event("", "crash", target, err)
	return err
}

// Restart starts a crashed target again, on the same address with the same
// data.
func (s *Stack) Restart(ctx context.Context, target string) error {
	tg := s.Targets[target]
	if tg == nil {
		return fmt.Errorf("no target %q (targets: %v)", target, s.Order)
	}
	err := tg.Restart(ctx)
	s.event("", "restart", target, err)
	return err
}

// listenAttempts is how often a proxy or the alert receiver is started on
// a fresh port when its port turns out to be taken: the allocator's probe
// and the later listen are not atomic, so a program outside gameday can
// take the port in between.
const listenAttempts = 3

// onFreshPort calls listen with a port from the allocator, and again with a
// fresh one, listenAttempts times in all, while it fails with EADDRINUSE. A
// port that failed is released; the one that worked is released at Close.
func (s *Stack) onFreshPort(listen func(port int) error) error {
	for attempt := 1; ; attempt++ {
		port, err := s.opts.Ports.Allocate()
		if err != nil {
			return err
		}
		if s.opts.listenHook != nil {
			s.opts.listenHook(port)
		}
		err = listen(port)
		if err == nil {
			s.mu.Lock()
			s.ports = append(s.ports, port)
			s.mu.Unlock()
			return nil
		}
		s.opts.Ports.Release(port)
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == listenAttempts {
			return err
		}
	}
}

// proxyKind is how injected errors look in front of a target of kind.
func proxyKind(kind string) injectors.Kind {
	if kind == scenarios.KindMinIO {
		return injectors.KindS3
	}
	return injectors.KindJSON
}

// startProxy starts the proxy in front of target t (the i-th), journaling to
// journal-<name>.jsonl in the run's folder.
func (s *Stack) startProxy(i int, t *scenarios.Target) error {
	tg := s.Targets[t.Name]
	up, err := url.Parse(tg.URL())
	if err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	jf, err := os.OpenFile(s.journalPath(t.Name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("proxy %s: journal: %w", t.Name, err)
	}
	s.journals = append(s.journals, jf)
	jw := &journalRedactor{r: s.Redactor, w: jf}
	name := t.Name
	var p *injectors.Proxy
	err = s.onFreshPort(func(port int) error {
		var err error
		p, err = injectors.New(injectors.Config{
			Upstream: up,
			Listen:   "127.0.0.1:" + strconv.Itoa(port),
			Kind:     proxyKind(t.Kind),
			Target:   name,
			Journal:  jw,
			Seed:     s.opts.Seed + int64(i),
			OnCrash:  func(ctx context.Context, r injectors.Rule) error { return s.onCrash(ctx, name, r) },
			OnPause:  func(ctx context.Context, r injectors.Rule) error { return s.onPause(ctx, name, r) },
			OnEntry:  s.opts.OnEntry,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	s.Proxies[name] = p
	if err := p.Start(context.WithoutCancel(context.Background())); err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	return nil
}

// JournalPath is the file the proxy of target journals to:
// journal-<target>.jsonl in StackOptions.JournalDir, else in the run's
// folder.
func (s *Stack) JournalPath(target string) string { return s.journalPath(target) }

func (s *Stack) journalPath(target string) string {
	dir := s.opts.JournalDir
	if dir == "" {
		dir = s.Run.Dir
	}
	return filepath.Join(dir, "journal-"+target+".jsonl")
}

// journalRedactor writes journal lines with every field redacted before it
// is encoded again (masking the encoded line could cut into an escape).
// It is safe for concurrent use; a partial line waits for its end.
type journalRedactor struct {
	mu      sync.Mutex
	r       *redact.Redactor
	w       io.Writer
	partial []byte
}

func (j *journalRedactor) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.partial = append(j.partial, p...)
	for {
		i := bytes.IndexByte(j.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := j.partial[:i]
		var e injectors.Entry
		out := []byte(j.r.String(string(line)) + "\n")
		if err := json.Unmarshal(line, &e); err == nil {
			j.r.Value(&e)
			if b, err := json.Marshal(e); err == nil {
				out = append(b, '\n')
			}
		}
		if _, err := j.w.Write(out); err != nil {
			return 0, err
		}
		j.partial = j.partial[i+1:]
	}
}

// onCrash carries out a crash rule fired on the proxy of target.
func (s *Stack) onCrash(ctx context.Context, target string, r injectors.Rule) error {
	if r.Workload {
		if s.opts.Workload == nil {
			return nil
		}
		return s.opts.Workload.Crash(ctx)
	}
	tg := s.Targets[target]
	s.tell(target)
	err := tg.Crash(ctx)
	s.event(r.Name, "crash", target, err)
	if err != nil {
		return err
	}
	if c, ok := r.Action.(*injectors.Crash); ok && c.RestartAfter != nil {
		s.after(*c.RestartAfter, func(ctx context.Context) {
			s.event(r.Name, "restart", target, tg.Restart(ctx))
		})
	}
	return nil
}

// onPause carries out a pause rule fired on the proxy of target.
func (s *Stack) onPause(ctx context.Context, target string, r injectors.Rule) error {
	var c Controller = s.opts.Workload
	who := scenarios.WorkloadTarget
	if !r.Workload {
		c, who = s.Targets[target], target
		s.tell(target)
	}
	if c == nil {
		return nil
	}
	err := c.Pause(ctx)
	s.event(r.Name, "pause", who, err)
	if err != nil {
		return err
	}
	d := time.Duration(0)
	if p, ok := r.Action.(*injectors.Pause); ok {
		d = p.For
	}
	s.after(d, func(ctx context.Context) { s.event(r.Name, "resume", who, c.Resume(ctx)) })
	return nil
}

// after runs f after d, or at once when the stack disarms.
func (s *Stack) after(d time.Duration, f func(context.Context)) {
	s.later.Add(1)
	go func() {
		defer s.later.Done()
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

// SetRun tells every proxy which scheduled run and restart attempt the
// requests from now on belong to.
func (s *Stack) SetRun(run, attempt int) {
	for _, p := range s.Proxies {
		p.SetRun(run, attempt)
	}
}

// Arm replaces the request rules of the proxy in front of target with the
// given faults (in scenario syntax; the timer faults among them are not
// armed here).
func (s *Stack) Arm(target string, faults []*scenarios.Fault) error {
	p := s.Proxies[target]
	if p == nil {
		return fmt.Errorf("no target %q", target)
	}
	return p.Arm(ProxyRules(faults, target))
}

// InjectedSoFar counts the faults injected so far: requests a proxy rule
// fired on, plus timer faults fired. It never goes down: a disarmed
// proxy's counters are gone, the most counted before stands.
func (s *Stack) InjectedSoFar() int {
	var n int64
	for _, p := range s.Proxies {
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

// FaultTotals returns, per fault name, the requests its match held for and
// those it injected on, summed over the proxies, before Disarm drops them.
func (s *Stack) FaultTotals() map[string]injectors.RuleCounter {
	out := map[string]injectors.RuleCounter{}
	for _, p := range s.Proxies {
		for _, c := range p.Counters() {
			t := out[c.Name]
			t.Name = c.Name
			t.Matched += c.Matched
			t.Injected += c.Injected
			out[c.Name] = t
		}
	}
	return out
}

// Disarm removes every fault and stops the timers (carrying out pending
// restarts and resumes at once), and returns the timer faults that fired.
// It is idempotent.
func (s *Stack) Disarm() []observe.FaultEvent {
	for _, p := range s.Proxies {
		p.Disarm()
	}
	s.mu.Lock()
	timers := s.timers
	s.timers = nil
	s.mu.Unlock()
	for _, t := range timers {
		t.Stop()
		s.mu.Lock()
		s.TimerLog = append(s.TimerLog, t.Events()...)
		s.mu.Unlock()
	}
	s.stopOnce.Do(func() { close(s.stopping) })
	s.later.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return firedTimerFaults(s.TimerLog)
}

// TimerFaults returns the timer faults that fired so far (crashes and
// pauses carried out), the running timers' and those Disarm stopped.
func (s *Stack) TimerFaults() []observe.FaultEvent {
	s.mu.Lock()
	events := append([]TimerEvent(nil), s.TimerLog...)
	for _, t := range s.timers {
		events = append(events, t.Events()...)
	}
	s.mu.Unlock()
	return firedTimerFaults(events)
}

// firedTimerFaults are the crashes and pauses among a timer log that were
// carried out, as the judge counts them.
func firedTimerFaults(log []TimerEvent) []observe.FaultEvent {
	var out []observe.FaultEvent
	for _, e := range log {
		if e.Err == nil && (e.Action == "crash" || e.Action == "pause") {
			out = append(out, observe.FaultEvent{Name: e.Fault, Target: e.Target, At: e.At})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// BringBack restarts crashed targets and thaws paused ones, so the bucket
// can be listed. A target that is down although nothing crashed it died
// unasked: the error says so.
func (s *Stack) BringBack(ctx context.Context) error {
	var unasked []string
	for _, name := range s.Order {
		tg := s.Targets[name]
		switch tg.State() {
		case lifecycle.StateCrashed:
			s.mu.Lock()
			told := s.told[name]
			s.mu.Unlock()
			if !told {
				unasked = append(unasked, name)
			}
			if err := tg.Restart(ctx); err != nil {
				return fmt.Errorf("bring %s back: %w", name, err)
			}
		case lifecycle.StatePaused:
			if err := tg.Resume(ctx); err != nil {
				return fmt.Errorf("resume %s: %w", name, err)
			}
		}
	}
	if len(unasked) > 0 {
		return fmt.Errorf("target %v died without being told to", unasked)
	}
	return nil
}

// CloseProxies closes every proxy, which flushes its journal. It is
// idempotent.
func (s *Stack) CloseProxies() {
	for _, name := range s.Order {
		if p := s.Proxies[name]; p != nil {
			_ = p.Close()
		}
	}
	for _, f := range s.journals {
		_ = f.Close()
	}
}

// Journal returns every request the proxies journaled, by start time. After
// CloseProxies it is the whole journal; while the proxies run it is a
// snapshot of the requests completed so far (each is journaled as it
// completes; a line being written is left for the next call).
func (s *Stack) Journal() ([]observe.Request, error) {
	var firstErr error
	var all []observe.Request
	for _, name := range s.Order {
		if s.Proxies[name] == nil {
			continue
		}
		b, err := os.ReadFile(s.journalPath(name))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("read journal of %s: %w", name, err)
			}
			continue
		}
		// Complete lines only: a proxy may be writing the last one.
		b = b[:bytes.LastIndexByte(b, '\n')+1]
		rs, err := observe.ReadJournal(bytes.NewReader(b))
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("journal of %s: %w", name, err)
		}
		all = append(all, rs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start.Before(all[j].Start) })
	return all, firstErr
}

// Notifications returns what the alert receiver recorded so far.
func (s *Stack) Notifications() []observe.Notification {
	if s.Receiver == nil {
		return nil
	}
	return notifications(s.Receiver.Notifications())
}

// WorkloadEnv returns the stack's part of a workload's environment: the
// proxies, the first MinIO target's credentials and the receiver.
func (s *Stack) WorkloadEnv() WorkloadEnv {
	sc := s.Scenario
	w := WorkloadEnv{
		Scenario:   sc.Name,
		Seed:       s.opts.Seed,
		RunID:      sc.RunIDFor(s.opts.Seed, 1),
		TargetURLs: map[string]string{},
		StateDir:   filepath.Join(s.Run.Dir, "state"),
		Policy:     sc.Workload.Policy,
		SLA:        sc.Workload.SLA,
		Extra:      sc.Workload.Env,
	}
	if s.Receiver != nil {
		w.AlertURL, w.PagerDutyURL = s.Receiver.AlertmanagerURL(), s.Receiver.PagerDutyURL()
	}
	for _, name := range s.Order {
		if p := s.Proxies[name]; p != nil {
			w.TargetURLs[name] = p.URL()
		}
	}
	if first := sc.FirstMinIO(); first != nil && s.Proxies[first.Name] != nil {
		w.S3Endpoint = s.Proxies[first.Name].URL()
		w.S3Credentials = s.Targets[first.Name].Credentials()
	}
	return w
}

// ReopenProxies puts a proxy without rules and without a journal on the
// address of every closed proxy (whose port the stack still holds), for a
// stack kept up after its judged run.
func (s *Stack) ReopenProxies(ctx context.Context) error {
	for _, t := range s.Scenario.Targets {
		old := s.Proxies[t.Name]
		if old == nil {
			continue
		}
		up, err := url.Parse(s.Targets[t.Name].URL())
		if err != nil {
			return fmt.Errorf("reopen proxy %s: %w", t.Name, err)
		}
		p, err := injectors.New(injectors.Config{Upstream: up, Listen: old.Addr(), Kind: proxyKind(t.Kind), Target: t.Name})
		if err != nil {
			return fmt.Errorf("reopen proxy %s: %w", t.Name, err)
		}
		if err := p.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("reopen proxy %s: %w", t.Name, err)
		}
		s.Proxies[t.Name] = p
	}
	return nil
}

// Close disarms (carrying out pending restarts), closes the proxies, stops
// every target and the receiver, releases the ports and removes the run's
// folder and record (journals included: read them first). It is safe to
// call more than once.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	s.closed.Do(func() {
		s.Disarm()
		s.CloseProxies()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, t := range s.Targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := t.Stop(ctx); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if s.Receiver != nil {
			if err := s.Receiver.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		s.mu.Lock()
		s.opts.Ports.Release(s.ports...)
		s.ports = nil
		s.mu.Unlock()
		if err := s.Run.Close(); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
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
