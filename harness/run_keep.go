package harness

import (
	"context"
	"fmt"
	"github.com/gameday/gameday/harness/lifecycle"
	"os"
	"path/filepath"
	"strings"
)

// TargetEndpoint is one running target and the fault proxy in front of it.
type TargetEndpoint struct {
	Name     string
	Kind     lifecycle.Kind
	Proxy    string // the proxy's URL, which workloads use
	Target   string // the target's own URL
	Identity lifecycle.Identity
}

// Endpoints are what `gameday up` and `gameday run --keep-on-failure` print
// about a running stack: every target behind its proxy, the alert receiver
// and the env file. They carry no secret.
type Endpoints struct {
	Targets      []TargetEndpoint
	AlertURL     string
	PagerDutyURL string
	// EnvFile holds the workload environment (credentials included, mode
	// 0600); empty when none was written.
	EnvFile string
}

// String renders the endpoints as indented lines, one per target
// ("  storage  minio  proxy http://...  (target http://..., pid N)"), then
// the receiver's URLs and the env file with how to load it.
func (e Endpoints) String() string {
	var b strings.Builder
	for _, t := range e.Targets {
		fmt.Fprintf(&b, "  %-16s %-6s proxy %s  (target %s, %s)\n", t.Name, t.Kind, t.Proxy, t.Target, t.Identity)
	}
	fmt.Fprintf(&b, "  %-16s alertmanager %s  pagerduty %s\n", "alerts", e.AlertURL, e.PagerDutyURL)
	if e.EnvFile != "" {
		fmt.Fprintf(&b, "env file: %s  (load it with: set -a; . %s; set +a)\n", e.EnvFile, e.EnvFile)
	}
	return b.String()
}

// Endpoints returns the stack's endpoints, with envFile as the env file.
func (s *Stack) Endpoints(envFile string) Endpoints {
	e := Endpoints{EnvFile: envFile}
	if s.Receiver != nil {
		e.AlertURL, e.PagerDutyURL = s.Receiver.AlertmanagerURL(), s.Receiver.PagerDutyURL()
	}
	for _, name := range s.Order {
		t := s.Targets[name]
		te := TargetEndpoint{Name: name, Kind: t.Kind(), Target: t.URL(), Identity: t.Identity()}
		if p := s.Proxies[name]; p != nil {
			te.Proxy = p.URL()
		}
		e.Targets = append(e.Targets, te)
	}
	return e
}

// Kept is a failed scenario run that --keep-on-failure left up for
// debugging (see RunOptions.Keep): its targets as the run left them (bucket
// contents included), fresh proxies without faults on the addresses the
// workload used, the alert receiver, and an env file for running the
// workload (or any client) by hand. Close tears it all down.
type Kept struct {
	// Name and Seed say which scenario run this is.
	Name string
	Seed int64
	// Endpoints are the running endpoints, env file included.
	Endpoints Endpoints

	s *scenarioRun
}

// Close stops every target, proxy and the receiver of the kept run and
// removes its temporary folder (the env file with it). It is idempotent.
func (k *Kept) Close(ctx context.Context) {
	k.s.teardown(ctx)
}

// keep readies a judged, failed run for --keep-on-failure: it puts
// fault-free proxies back on the old proxy addresses (the judged ones were
// closed to flush their journals), writes the env file and returns the
// Kept. On error the caller tears the run down as usual.
func (s *scenarioRun) keep(ctx context.Context) (*Kept, error) {
	s.quiet = true
	if err := s.st.ReopenProxies(ctx); err != nil {
		return nil, err
	}
	env := s.workloadEnv()
	if err := os.MkdirAll(env.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("keep %s: state dir: %w", s.sc.Name, err)
	}
	env.RunID = s.sc.RunIDFor(s.seed, 1)
	env.ScheduledAt, env.RunStartedAt = s.r.now(), s.r.now()
	envFile := filepath.Join(s.st.Run.Dir, "workload.env")
	if err := WriteEnvFile(envFile, Environ(os.Environ(), env)); err != nil {
		return nil, fmt.Errorf("keep %s: %w", s.sc.Name, err)
	}
	return &Kept{Name: s.sc.Name, Seed: s.seed, Endpoints: s.st.Endpoints(envFile), s: s}, nil
}
