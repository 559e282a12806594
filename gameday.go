package gameday

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// Backends for WithBackend.
const (
	// Auto is docker when a daemon answers and the images exist, else
	// process.
	Auto = lifecycle.BackendAuto
	// Docker runs targets as containers (host network, 127.0.0.1 only).
	Docker = lifecycle.BackendDocker
	// Process runs targets as child processes on 127.0.0.1.
	Process = lifecycle.BackendProcess
)

// ErrUnavailable is wrapped by the errors of a backend that cannot run
// here (no Docker daemon, images missing).
var ErrUnavailable = lifecycle.ErrUnavailable

// DockerReady reports whether the docker backend can run here: nil when a
// daemon answers and the images exist, else an error wrapping
// ErrUnavailable that names the fix. Test suites use it to skip docker
// specs.
func DockerReady(ctx context.Context) error { return lifecycle.DockerReady(ctx) }

// Request is one request a proxy journaled (the journal's line: target,
// method, path, status received, injected fault, timings, ...).
type Request = observe.Request

// Notification is one alert the alert receiver recorded.
type Notification = observe.Notification

// FaultEvent is a timer fault (crash or pause without match) that fired.
type FaultEvent = observe.FaultEvent

// Credentials of a MinIO target; empty for stubs.
type Credentials = lifecycle.Credentials

// Source is the scenario Start boots: File, YAML or Loaded.
type Source struct {
	load func() (*scenarios.Scenario, error)
}

// File is the scenario file at path, loaded as `gameday run` loads it:
// strictly, with the policies it names. A file with a matrix stands for
// several scenarios: start one of them with Combination.
func File(path string) Source {
	return Source{load: func() (*scenarios.Scenario, error) {
		sc, err := scenarios.LoadFile(path)
		if err != nil {
			return nil, err
		}
		if len(sc.Matrix) > 0 {
			list, err := sc.Combinations()
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s has a matrix of %d combinations: start one with gameday.Combination(%q, %q)", path, len(list), path, list[0].Name)
		}
		return sc, sc.CheckPolicies()
	}}
}

// Combination is the combination called name (name[VAR=value,...]) of the
// matrix of the scenario file at path.
func Combination(path, name string) Source {
	return Source{load: func() (*scenarios.Scenario, error) {
		sc, err := scenarios.LoadFile(path)
		if err != nil {
			return nil, err
		}
		if err := sc.CheckPolicies(); err != nil {
			return nil, err
		}
		list, err := sc.Combinations()
		if err != nil {
			return nil, err
		}
		var names []string
		for _, c := range list {
			if c.Name == name {
				return c, nil
			}
			names = append(names, c.Name)
		}
		return nil, fmt.Errorf("%s: no combination %q (%s)", path, name, strings.Join(names, ", "))
	}}
}

// YAML is a scenario written in text, as in a file called name; relative
// paths in it (policy, from_file) are taken from the working directory.
func YAML(name, text string) Source {
	return Source{load: func() (*scenarios.Scenario, error) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		sc, err := scenarios.Load(name, wd, []byte(text))
		if err != nil {
			return nil, err
		}
		if len(sc.Matrix) > 0 {
			return nil, fmt.Errorf("%s has a matrix: start a combination with gameday.Combination", name)
		}
		return sc, sc.CheckPolicies()
	}}
}

// Loaded is a scenario the scenarios package loaded (LoadFile, Load,
// LoadSet, or a variant made with Scenario.With); the policies it names
// must load.
func Loaded(sc *scenarios.Scenario) Source {
	return Source{load: func() (*scenarios.Scenario, error) {
		switch {
		case sc == nil:
			return nil, errors.New("no scenario")
		case sc.File == "":
			return nil, errors.New("scenario " + sc.Name + " was not loaded: build it with scenarios.Load or LoadFile, which check it and fill in its defaults")
		case len(sc.Matrix) > 0:
			return nil, fmt.Errorf("%s has a matrix: start one of sc.Combinations()", sc.Name)
		}
		return sc, sc.CheckPolicies()
	}}
}

// Option configures Start.
type Option func(*config)

type config struct {
	backend    string
	seed       *int64
	env        map[string]string
	policy     string
	disarmed   bool
	journalDir string
	now        func() time.Time
}

// WithBackend says where targets run: Auto (the default), Docker or
// Process. Docker never falls back: where it cannot run, Start fails with
// ErrUnavailable.
func WithBackend(name string) Option { return func(c *config) { c.backend = name } }

// WithSeed seeds the objects written before the run and the proxies'
// random draws (probability). Default: the file's seed, else a random one
// (Stack.Seed tells it; print it, so that a failure can be replayed).
func WithSeed(seed int64) Option { return func(c *config) { c.seed = &seed } }

// WithEnv sets a variable of the client environment (Stack.Env), over the
// scenario's workload.env, as `gameday run --env` does. The harness's own
// variables cannot be set so.
func WithEnv(name, value string) Option {
	return func(c *config) {
		if c.env == nil {
			c.env = map[string]string{}
		}
		c.env[name] = value
	}
}

// WithPolicy replaces the scenario's workload.policy (GAMEDAY_POLICY in
// Stack.Env) with the policy file at path; it must load.
func WithPolicy(path string) Option { return func(c *config) { c.policy = path } }

// WithFaultsDisarmed starts the stack with no fault armed: requests pass
// untouched until Arm arms faults by name, and timer faults wait for Arm
// too. By default every fault of the scenario is armed at Start, as
// `gameday run` arms them.
func WithFaultsDisarmed() Option { return func(c *config) { c.disarmed = true } }

// WithJournalDir keeps each proxy's journal as dir/journal-<target>.jsonl
// (mode 0600, one line per request as it completes), beyond Close. By
// default journals live in the stack's temporary folder, which Close
// removes.
func WithJournalDir(dir string) Option { return func(c *config) { c.journalDir = dir } }

func (c *config) validate() error {
	switch c.backend {
	case Auto, Docker, Process:
	default:
		return fmt.Errorf("backend %q: want %s, %s or %s", c.backend, Auto, Docker, Process)
	}
	if c.journalDir != "" {
		if st, err := os.Stat(c.journalDir); err != nil || !st.IsDir() {
			return fmt.Errorf("journal dir %s: not a folder", c.journalDir)
		}
	}
	return nil
}

// Stack is a booted scenario: its targets, a fault proxy in front of each
// and the alert receiver, ready for a client. Its methods are safe for
// concurrent use; Close ends it.
type Stack struct {
	sc    *scenarios.Scenario
	seed  int64
	start time.Time
	now   func() time.Time
	st    *harness.Stack
	sw    *harness.FaultSwitch

	closeOnce sync.Once
	closeErr  error
}

// Start boots the scenario of src: every target (MinIO seeded with its
// buckets and objects), a fault proxy in front of each, the alert
// receiver; then it arms the scenario's faults, unless
// WithFaultsDisarmed. Options apply in order over the defaults, then are
// checked. On error nothing is left running; the returned Stack (nil when
// nothing was started) may still be closed, so that
//
//	st, err := gameday.Start(ctx, src)
//	DeferCleanup(st.Close)
//	Expect(err).NotTo(HaveOccurred())
//
// reads right.
func Start(ctx context.Context, src Source, opts ...Option) (*Stack, error) {
	c := config{backend: Auto, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("gameday: %w", err)
	}
	if src.load == nil {
		return nil, errors.New("gameday: no scenario: give File, YAML or Loaded")
	}
	sc, err := src.load()
	if err != nil {
		return nil, err
	}
	if len(c.env) > 0 || c.policy != "" {
		if sc, err = sc.With(scenarios.Override{Env: c.env, Policy: c.policy}); err != nil {
			return nil, err
		}
	}
	seed := sc.SeedFor(c.seed, nil)
	var b [4]byte
	_, _ = rand.Read(b[:])
	lifecycle.SetTestcontainersEnv()
	s := &Stack{sc: sc, seed: seed, start: c.now(), now: c.now}
	st, err := harness.BootStack(ctx, sc, harness.StackOptions{
		Backend:    c.backend,
		Seed:       seed,
		RunID:      fmt.Sprintf("go-%s-%s", sc.Slug(), hex.EncodeToString(b[:])),
		Now:        c.now,
		JournalDir: c.journalDir,
		Disarmed:   true,
	})
	if st == nil {
		return nil, fmt.Errorf("start %s: %w", sc.Name, err)
	}
	s.st = st
	if err != nil {
		return s, fmt.Errorf("start %s: %w", sc.Name, err)
	}
	s.sw = harness.NewFaultSwitch(st, sc.Faults)
	if !c.disarmed {
		if err := s.sw.Arm(); err != nil {
			_ = s.Close(ctx)
			return s, fmt.Errorf("start %s: %w", sc.Name, err)
		}
	}
	return s, nil
}

// Name is the scenario's name (a matrix combination's: name[VAR=value,...]).
func (s *Stack) Name() string { return s.sc.Name }

// Scenario is the scenario the stack runs, overrides applied.
func (s *Stack) Scenario() *scenarios.Scenario { return s.sc }

// Seed is the seed the stack runs with.
func (s *Stack) Seed() int64 { return s.seed }

// Backend is the backend that runs the targets: docker or process.
func (s *Stack) Backend() string { return s.st.Backend.Name() }

// Targets lists the targets' names in file order.
func (s *Stack) Targets() []string { return append([]string(nil), s.st.Order...) }

// URL is the address a client uses for target: its fault proxy,
// http://127.0.0.1:PORT. It is "" for an unknown target.
func (s *Stack) URL(target string) string {
	if p := s.st.Proxies[target]; p != nil {
		return p.URL()
	}
	return ""
}

// DirectURL is the target itself, past its proxy: requests to it are
// neither faulted nor journaled (for setting up and checking, not for the
// client under test). It is "" for an unknown target.
func (s *Stack) DirectURL(target string) string {
	if t := s.st.Targets[target]; t != nil {
		return t.URL()
	}
	return ""
}

// Credentials are a MinIO target's root credentials (random per stack);
// empty for stubs and unknown targets.
func (s *Stack) Credentials(target string) Credentials {
	if t := s.st.Targets[target]; t != nil {
		return t.Credentials()
	}
	return Credentials{}
}

// Env is a client's environment, in os.Environ form, as `gameday run`
// gives its workload: PATH, HOME, LANG and TMPDIR of this process,
// workload.env (and WithEnv), then the harness's variables
// (AWS_ENDPOINT_URL and the credentials of the first MinIO target,
// GAMEDAY_<TARGET>_URL of each proxy, GAMEDAY_ALERT_URL, GAMEDAY_SEED, ...),
// without proxy and AWS profile variables. Hand it to exec.Cmd.Env.
func (s *Stack) Env() []string {
	w := s.st.WorkloadEnv()
	w.ScheduledAt, w.RunStartedAt = s.start, s.start
	return harness.Environ(os.Environ(), w)
}

// Getenv is the value of the variable name in Env, or "".
func (s *Stack) Getenv(name string) string {
	for _, kv := range s.Env() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Faults lists the scenario's fault names, in file order.
func (s *Stack) Faults() []string { return s.switcher().Names() }

// Armed lists the armed faults' names, in file order.
func (s *Stack) Armed() []string { return s.switcher().Armed() }

// Arm arms the scenario's faults called names (none: every fault)
// afresh: each one's schedule (skip, every, times, after, until) starts
// now, and a timer fault's timer starts now. Faults armed before keep
// their progress. An unknown name is an error and arms nothing.
func (s *Stack) Arm(names ...string) error { return s.switcher().Arm(names...) }

// Disarm disarms the faults called names (none: every fault); a pending
// restart or resume of a timer fault is carried out at once. An unknown
// name is an error and disarms nothing.
func (s *Stack) Disarm(names ...string) error { return s.switcher().Disarm(names...) }

func (s *Stack) switcher() *harness.FaultSwitch {
	if s.sw == nil { // a stack that did not boot
		return harness.NewFaultSwitch(s.st, nil)
	}
	return s.sw
}

// Crash kills target (SIGKILL, or its container) by hand; its address
// stays reserved, so its proxy answers clients by resetting their
// connections until Restart.
func (s *Stack) Crash(ctx context.Context, target string) error { return s.st.Crash(ctx, target) }

// Restart starts a crashed target again, on the same address with the
// same data, and waits until it is ready.
func (s *Stack) Restart(ctx context.Context, target string) error {
	return s.st.Restart(ctx, target)
}

// Journal is every request the proxies completed so far, by start time
// (credentials masked).
func (s *Stack) Journal() ([]Request, error) { return s.st.Journal() }

// Notifications are the alerts the alert receiver recorded so far.
func (s *Stack) Notifications() []Notification { return s.st.Notifications() }

// Close disarms, stops every target, proxy and the receiver, gives the
// ports back and removes the stack's temporary folder (journals kept by
// WithJournalDir stay). It is idempotent, and a no-op on a nil Stack.
func (s *Stack) Close(ctx context.Context) error {
	if s == nil || s.st == nil {
		return nil
	}
	s.closeOnce.Do(func() { s.closeErr = s.st.Close(ctx) })
	return s.closeErr
}

// JournalFiles are the proxies' journal files, one per target
// (journal-<target>.jsonl), in WithJournalDir's folder or the stack's
// temporary one.
func (s *Stack) JournalFiles() []string {
	var out []string
	for _, t := range s.st.Order {
		out = append(out, s.st.JournalPath(t))
	}
	return out
}

// Judge judges the scenario's expect block over what the stack saw so
// far, as `gameday up` judges a game day at its end, and returns the
// scenario's entry of report.json: metrics and verdicts with the CLI's
// messages (credentials masked). Outcome and duration are reported as not
// judged (the stack ran no workload: assert on your client's result), the
// recovery time is the longest per-operation recovery, and faults_fired
// requires every fault of the scenario to have injected. The stack keeps
// running.
func (s *Stack) Judge(ctx context.Context) (reports.Scenario, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return reports.Scenario{}, err
	}
	res := snap.observed(s.sc.Expect).Judge()
	s.st.Redactor.Value(&res)
	return res, nil
}

// runID is the run id the client's environment carries.
func (s *Stack) runID() string { return s.sc.RunIDFor(s.seed, 1) }
