package harness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gameday/gameday/harness/receiver"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/scenarios"
)

// StackOptions configure BootStack.
type StackOptions struct {
	// Backend is auto, docker or process; default auto.
	Backend string
	// Seed seeds object content and the proxies' RNGs.
	Seed int64
	// RunID names the run (state record, container labels); default
	// "up-<scenario>-<unix nanos>".
	RunID string
	// Ports allocates proxy ports; default the allocator shared by the
	// process.
	Ports *Ports
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnTimer, when set, is told every timer fault event.
	OnTimer func(TimerEvent)
	// Redactor receives the credentials of the stack's targets as soon as
	// they exist (share it with whatever shows the stack's output); default
	// a fresh one. Stack.Redactor is this one.
	Redactor *redact.Redactor
}

// Stack is a booted scenario without its workload: every target, a fault
// proxy in front of each (rules armed), the alert receiver and the timer
// faults. `gameday up` runs one until it is told to stop.
type Stack struct {
	Scenario *scenarios.Scenario
	Run      *Run
	Backend  Backend
	Receiver *receiver.Receiver
	// Targets and Proxies by target name; Order is the file order.
	Targets  map[string]Target
	Proxies  map[string]*injectors.Proxy
	Order    []string
	Redactor *redact.Redactor
	Timers   *Timers

	seed     int64
	journals []*os.File
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   sync.Once
}

// BootStack starts sc's targets, seeds the MinIO ones, puts a proxy in
// front of each, arms the faults (request rules on the proxies, timer faults
// on the harness's clock) and starts the alert receiver. On error what was
// started is stopped again.
func BootStack(ctx context.Context, sc *scenarios.Scenario, opts StackOptions) (s *Stack, err error) {
	if opts.Backend == "" {
		opts.Backend = BackendAuto
	}
	if opts.Ports == nil {
		opts.Ports = sharedPorts
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Redactor == nil {
		opts.Redactor = redact.New()
	}
	if opts.RunID == "" {
		opts.RunID = fmt.Sprintf("up-%s-%d", sc.Name, opts.Now().UnixNano())
	}
	run, err := NewRun(opts.RunID, opts.Now())
	if err != nil {
		return nil, err
	}
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s = &Stack{
		Scenario: sc, Run: run, seed: opts.Seed, Redactor: opts.Redactor,
		Targets: map[string]Target{}, Proxies: map[string]*injectors.Proxy{},
		ctx: life, cancel: cancel,
	}
	defer func() {
		if err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
			s = nil
		}
	}()
	if s.Backend, err = NewBackend(ctx, opts.Backend, Options{Run: run, Ports: opts.Ports}); err != nil {
		return s, err
	}
	// Targets start side by side: the stack is ready when the slowest is.
	type started struct {
		name string
		t    Target
		err  error
	}
	results := make(chan started, len(sc.Targets))
	for _, t := range sc.Targets {
		go func() {
			tg, err := s.Backend.Start(ctx, TargetSpecOf(t))
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
		s.Redactor.Add(CredentialSecrets(r.t.Credentials())...)
	}
	if len(errs) > 0 {
		return s, errors.Join(errs...)
	}
	for _, t := range sc.Targets {
		s.Order = append(s.Order, t.Name)
	}
	for _, t := range sc.Targets {
		if t.Kind == scenarios.KindMinIO {
			if err := SeedMinIO(ctx, s.Targets[t.Name], t.Buckets, ObjectsOf(t), opts.Seed); err != nil {
				return s, err
			}
		}
	}
	if s.Receiver, err = receiver.Start(ctx, receiver.Options{Now: opts.Now}); err != nil {
		return s, err
	}
	for i, t := range sc.Targets {
		if err := s.startProxy(opts.Ports, i, t); err != nil {
			return s, err
		}
	}
	for _, name := range s.Order {
		if err := s.Proxies[name].Arm(ProxyRules(sc.Faults, name)); err != nil {
			return s, fmt.Errorf("arm faults on %s: %w", name, err)
		}
	}
	s.Timers = ArmTimers(life, TimerFaultsOf(sc), func(name string) (Controller, bool) {
		t, ok := s.Targets[name]
		return t, ok
	}, TimerOptions{Now: opts.Now, OnEvent: opts.OnTimer})
	return s, nil
}

func (s *Stack) startProxy(ports *Ports, i int, t *scenarios.Target) error {
	tg := s.Targets[t.Name]
	up, err := url.Parse(tg.URL())
	if err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	port, err := ports.Allocate()
	if err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	jf, err := os.OpenFile(filepath.Join(s.Run.Dir, "journal-"+t.Name+".jsonl"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		ports.Release(port)
		return fmt.Errorf("proxy %s: journal: %w", t.Name, err)
	}
	s.journals = append(s.journals, jf)
	kind := injectors.KindJSON
	if t.Kind == scenarios.KindMinIO {
		kind = injectors.KindS3
	}
	p, err := injectors.New(injectors.Config{
		Upstream: up,
		Listen:   "127.0.0.1:" + strconv.Itoa(port),
		Kind:     kind,
		Target:   t.Name,
		Journal:  jf,
		Seed:     s.seed + int64(i),
		OnCrash:  func(ctx context.Context, r injectors.Rule) error { return s.onCrash(ctx, tg, r) },
		OnPause:  func(ctx context.Context, r injectors.Rule) error { return s.onPause(ctx, tg, r) },
	})
	if err != nil {
		ports.Release(port)
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	s.Proxies[t.Name] = p
	go func() { <-s.ctx.Done(); ports.Release(port) }()
	if err := p.Start(s.ctx); err != nil {
		return fmt.Errorf("proxy %s: %w", t.Name, err)
	}
	return nil
}

// onCrash carries out a request-triggered crash of a target (there is no
// workload in a stack: workload faults are ignored).
func (s *Stack) onCrash(ctx context.Context, t Target, r injectors.Rule) error {
	if r.Workload {
		return nil
	}
	if err := t.Crash(ctx); err != nil {
		return err
	}
	if r.Action.Crash != nil && r.Action.Crash.RestartAfter != nil {
		s.later(*r.Action.Crash.RestartAfter, func(ctx context.Context) { _ = t.Restart(ctx) })
	}
	return nil
}

func (s *Stack) onPause(ctx context.Context, t Target, r injectors.Rule) error {
	if r.Workload {
		return nil
	}
	if err := t.Pause(ctx); err != nil {
		return err
	}
	d := time.Duration(0)
	if r.Action.Pause != nil {
		d = r.Action.Pause.For
	}
	s.later(d, func(ctx context.Context) { _ = t.Resume(ctx) })
	return nil
}

// later runs f after d, or at once when the stack closes.
func (s *Stack) later(d time.Duration, f func(context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
		}
		f(context.WithoutCancel(s.ctx))
	}()
}

// WorkloadEnv returns the stack's part of a workload's environment: the
// proxies, the first MinIO target's credentials and the receiver.
func (s *Stack) WorkloadEnv() WorkloadEnv {
	w := WorkloadEnv{
		Scenario:   s.Scenario.Name,
		Seed:       s.seed,
		RunID:      s.Scenario.RunIDFor(s.seed, 1),
		TargetURLs: map[string]string{},
		StateDir:   filepath.Join(s.Run.Dir, "state"),
		Policy:     s.Scenario.Workload.Policy,
		SLA:        s.Scenario.Workload.SLA,
		Extra:      s.Scenario.Workload.Env,
	}
	if s.Receiver != nil {
		w.AlertURL, w.PagerDutyURL = s.Receiver.AlertmanagerURL(), s.Receiver.PagerDutyURL()
	}
	for _, name := range s.Order {
		if p := s.Proxies[name]; p != nil {
			w.TargetURLs[name] = p.URL()
		}
	}
	if first := s.Scenario.FirstMinIO(); first != nil && s.Proxies[first.Name] != nil {
		w.S3Endpoint = s.Proxies[first.Name].URL()
		w.S3Credentials = s.Targets[first.Name].Credentials()
	}
	return w
}

// Close stops the timers (carrying out pending restarts), disarms and closes
// the proxies, stops every target and the receiver, and removes the run's
// directory and record. It is safe to call more than once.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	s.closed.Do(func() {
		if s.Timers != nil {
			s.Timers.Stop()
		}
		for _, p := range s.Proxies {
			p.Disarm()
		}
		s.cancel()
		s.wg.Wait()
		for _, p := range s.Proxies {
			if err := p.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for _, f := range s.journals {
			f.Close()
		}
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
		if err := s.Run.Close(); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}
