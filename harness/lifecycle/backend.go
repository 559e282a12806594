package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gameday/gameday/harness/stub"
)

// Kind is the kind of a target.
type Kind string

// Target kinds.
const (
	KindMinIO Kind = "minio"
	KindStub  Kind = "stub"
)

// Backend names accepted by NewBackend.
const (
	BackendAuto    = "auto"
	BackendDocker  = "docker"
	BackendProcess = "process"
)

// ErrUnavailable is wrapped by the errors of a backend that cannot run here
// (no Docker daemon, images missing).
var ErrUnavailable = errors.New("backend unavailable")

// TargetSpec says what to start.
type TargetSpec struct {
	Name string
	Kind Kind
	// Routes of a stub target.
	Routes []stub.Route
}

// Credentials of a MinIO target; empty for stubs.
type Credentials struct {
	AccessKey string
	SecretKey string
}

// CredentialSecrets lists what of c must never be shown: both keys, which
// are random per run. Empty ones (stubs have none) are ignored by the
// Redactor.
func CredentialSecrets(c Credentials) []string { return []string{c.AccessKey, c.SecretKey} }

// Identity says what actually runs a target: a process (PID, its process
// group PGID) or a container (ContainerID). It changes on Restart.
type Identity struct {
	PID         int
	PGID        int
	ContainerID string
}

// String says what runs a target: "pid N" or "container ID" (12 digits).
func (id Identity) String() string {
	if id.ContainerID != "" {
		return "container " + id.ContainerID[:min(12, len(id.ContainerID))]
	}
	return fmt.Sprintf("pid %d", id.PID)
}

// State of a target.
type State string

// Target states.
const (
	StateRunning State = "running"
	StatePaused  State = "paused"
	StateCrashed State = "crashed"
	StateStopped State = "stopped"
)

// Target is a started MinIO server or stub API. Its methods are safe for
// concurrent use.
type Target interface {
	Name() string
	Kind() Kind
	// Addr is host:port on 127.0.0.1; it never changes, restarts included.
	Addr() string
	// URL is http://Addr.
	URL() string
	Credentials() Credentials
	// LogPath is the file receiving the target's stdout and stderr.
	LogPath() string
	Identity() Identity
	State() State
	// Crash kills the target with SIGKILL. Its address stays reserved.
	Crash(ctx context.Context) error
	// Pause freezes the target (SIGSTOP, docker pause); Resume thaws it.
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	// Restart kills the target if it runs and starts it again on the same
	// address with the same data, and waits until it is ready.
	Restart(ctx context.Context) error
	// Stop kills and removes the target and releases its address. It is
	// idempotent.
	Stop(ctx context.Context) error
}

// Backend starts targets.
type Backend interface {
	// Name is "process" or "docker".
	Name() string
	// Start starts a target and waits until it is ready. On error nothing
	// is left running.
	Start(ctx context.Context, spec TargetSpec) (Target, error)
}

// Options configure a backend.
type Options struct {
	// Run records what the backend starts and holds its data; required.
	Run *Run
	// Ports allocates addresses; default: the allocator shared by every
	// backend of this process.
	Ports *Ports
	// ReadyTimeout bounds the wait for a target to answer; default 30s.
	ReadyTimeout time.Duration
	// Random supplies credentials; default crypto/rand.
	Random func([]byte)
}

func (o *Options) defaults() error {
	if o.Run == nil {
		return errors.New("backend: Options.Run is required")
	}
	if o.Ports == nil {
		o.Ports = SharedPorts
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	if o.Random == nil {
		o.Random = cryptoRandom
	}
	return nil
}

// NewBackend returns the backend called name: "process", "docker", or
// "auto" (docker when a daemon answers and the images exist, else process).
// An explicit "docker" that cannot run fails with ErrUnavailable and the
// fix.
func NewBackend(ctx context.Context, name string, opts Options) (Backend, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	switch name {
	case BackendProcess:
		return newProcessBackend(opts), nil
	case BackendDocker:
		return newDockerBackend(ctx, opts)
	case BackendAuto, "":
		if b, err := newDockerBackend(ctx, opts); err == nil {
			return b, nil
		}
		return newProcessBackend(opts), nil
	}
	return nil, fmt.Errorf("unknown backend %q: want auto, docker or process", name)
}

// startOnFreshPorts checks spec and calls start; when another server turns
// out to hold the target's port (errPortTaken), it calls start again, which
// allocates fresh ports, startAttempts times in all.
func startOnFreshPorts(ctx context.Context, spec TargetSpec, start func(context.Context, TargetSpec) (Target, error)) (Target, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		t, err := start(ctx, spec)
		if err == nil || !errors.Is(err, errPortTaken) || attempt == startAttempts || ctx.Err() != nil {
			return t, err
		}
	}
}

// instance is one way of running a target's program: a child process or a
// container.
type instance interface {
	// start runs the program (again); exited is closed when it ends.
	start(ctx context.Context) (exited <-chan struct{}, err error)
	kill(ctx context.Context) error
	pause(ctx context.Context) error
	resume(ctx context.Context) error
	// remove kills the program for good and frees what it holds.
	remove(ctx context.Context) error
	identity() Identity
}

// managed implements Target on top of an instance.
type managed struct {
	name   string
	kind   Kind
	addr   string
	creds  Credentials
	log    string
	health string
	ports  []int
	opts   Options
	inst   instance

	mu     sync.Mutex
	state  State
	exited <-chan struct{}
}

func (t *managed) Name() string             { return t.name }
func (t *managed) Kind() Kind               { return t.kind }
func (t *managed) Addr() string             { return t.addr }
func (t *managed) URL() string              { return "http://" + t.addr }
func (t *managed) Credentials() Credentials { return t.creds }
func (t *managed) LogPath() string          { return t.log }

func (t *managed) Identity() Identity {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inst.identity()
}

func (t *managed) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == StateRunning && t.exited != nil {
		select {
		case <-t.exited:
			return StateCrashed
		default:
		}
	}
	return t.state
}

// boot starts the instance and waits for readiness; on failure it removes
// the instance.
func (t *managed) boot(ctx context.Context) error {
	exited, err := t.inst.start(ctx)
	if err != nil {
		return err
	}
	t.exited = exited
	err = waitReady(ctx, t.health, t.opts.ReadyTimeout, exited)
	if v, ok := t.inst.(verifier); ok && err == nil {
		// Whatever answered may not be ours: see verifier.
		err = v.verify(ctx, t.ports[0])
	}
	if err != nil {
		_ = t.inst.kill(context.WithoutCancel(ctx))
		err = classifyPortErr(t.ports[0], err)
		return fmt.Errorf("%s %s at %s: %w (log: %s)", t.kind, t.name, t.addr, err, t.log)
	}
	t.state = StateRunning
	return nil
}

func (t *managed) Crash(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == StateStopped {
		return fmt.Errorf("crash %s: stopped", t.name)
	}
	if err := t.inst.kill(ctx); err != nil {
		return fmt.Errorf("crash %s: %w", t.name, err)
	}
	t.state = StateCrashed
	return nil
}

func (t *managed) Pause(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != StateRunning {
		return fmt.Errorf("pause %s: %s", t.name, t.state)
	}
	if err := t.inst.pause(ctx); err != nil {
		return fmt.Errorf("pause %s: %w", t.name, err)
	}
	t.state = StatePaused
	return nil
}

func (t *managed) Resume(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != StatePaused {
		return nil
	}
	if err := t.inst.resume(ctx); err != nil {
		return fmt.Errorf("resume %s: %w", t.name, err)
	}
	t.state = StateRunning
	return nil
}

func (t *managed) Restart(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == StateStopped {
		return fmt.Errorf("restart %s: stopped", t.name)
	}
	if t.state != StateCrashed {
		if err := t.inst.kill(ctx); err != nil {
			return fmt.Errorf("restart %s: %w", t.name, err)
		}
		t.state = StateCrashed
	}
	if err := t.boot(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

func (t *managed) Stop(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == StateStopped {
		return nil
	}
	err := t.inst.remove(ctx)
	t.state = StateStopped
	t.opts.Ports.Release(t.ports...)
	if err != nil {
		return fmt.Errorf("stop %s: %w", t.name, err)
	}
	return nil
}

// waitReady polls url until it answers 200, the program exits, or the
// timeout or ctx ends.
func waitReady(ctx context.Context, url string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(15 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, ctx.Err())
		case <-exited:
			return errors.New("exited before it was ready")
		case <-tick.C:
		}
	}
}

// healthPath is the readiness path of a kind.
func healthPath(k Kind) string {
	if k == KindMinIO {
		return "/minio/health/ready"
	}
	return "/healthz"
}

// newCredentials returns random MinIO root credentials.
func newCredentials(random func([]byte)) Credentials {
	return Credentials{AccessKey: "gd" + randomHex(random, 9), SecretKey: randomHex(random, 20)}
}

// addrOf formats 127.0.0.1:port.
func addrOf(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// minioEnv is the environment MinIO runs with.
func minioEnv(c Credentials) []string {
	return []string{
		"MINIO_ROOT_USER=" + c.AccessKey,
		"MINIO_ROOT_PASSWORD=" + c.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	}
}

// minioArgs are the arguments of `minio` for a data dir.
func minioArgs(port, consolePort int, dataDir string) []string {
	return []string{"server", "--quiet", "--address", addrOf(port), "--console-address", addrOf(consolePort), dataDir}
}

// checkSpec validates a spec before anything starts.
func checkSpec(spec TargetSpec) error {
	if spec.Name == "" {
		return errors.New("target: empty name")
	}
	switch spec.Kind {
	case KindMinIO, KindStub:
		return nil
	}
	return fmt.Errorf("target %s: unknown kind %q", spec.Name, spec.Kind)
}

// logFile creates the target's log file in the run dir.
func logFile(run *Run, name string) (*os.File, error) {
	f, err := os.OpenFile(run.Dir+"/"+name+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("target %s: log: %w", name, err)
	}
	return f, nil
}
