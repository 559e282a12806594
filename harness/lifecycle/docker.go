package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/gameday/gameday/harness/stub"
)

// MinIOPin is the pinned MinIO version's commit, the tag of the MinIO image.
// It matches MINIO_VERSION in the Makefile.
const MinIOPin = "7aac2a2c5b7c"

// Images the docker backend runs, built by `make images`. GAMEDAY_MINIO_IMAGE
// and GAMEDAY_IMAGE override them.
const (
	DefaultMinIOImage   = "gameday/minio:" + MinIOPin
	DefaultGamedayImage = "gameday/gameday:dev"
)

// Container labels.
const (
	LabelRun    = "gameday.run"
	LabelTarget = "gameday.target"
	LabelKind   = "gameday.kind"
	// LabelOwner is pid:start-time of the harness process that started
	// the container, so `gameday clean` never removes a live run's.
	LabelOwner = "gameday.owner"
)

// MinIOImage is the MinIO image the docker backend runs.
func MinIOImage() string { return envOr("GAMEDAY_MINIO_IMAGE", DefaultMinIOImage) }

// GamedayImage is the image stub containers run.
func GamedayImage() string { return envOr("GAMEDAY_IMAGE", DefaultGamedayImage) }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// dockerFix is the advice attached to every "docker unavailable" error.
const dockerFix = "run `scripts/docker-setup.sh` and `make images`, or use `--backend process`"

var tcEnvOnce sync.Once

// SetTestcontainersEnv sets TESTCONTAINERS_RYUK_DISABLED=true (the harness
// cleans up itself) and TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 where they are
// unset, and silences testcontainers-go's default logger. testcontainers-go
// reads the variables when first used.
func SetTestcontainersEnv() {
	tcEnvOnce.Do(func() {
		if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
		if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
			os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
		}
		// The harness reports what it starts itself; testcontainers' banner
		// and per-container lines would only clutter the terminal.
		tclog.SetDefault(tclog.NewNoopLogger())
	})
}

// DockerClient connects to the daemon and checks that it answers. Where none
// does, the error is one line naming the problem and the fix.
func DockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	SetTestcontainersEnv()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		// testcontainers-go joins what it tried at every socket path it
		// probes into a multi-line error; the terminal gets one line.
		return nil, fmt.Errorf("docker %w: no daemon answers; %s", ErrUnavailable, dockerFix)
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker %w: no daemon answers; %s", ErrUnavailable, dockerFix)
	}
	return cli, nil
}

// dockerBackend runs targets as containers with host networking.
type dockerBackend struct {
	opts Options
	cli  *testcontainers.DockerClient
	// afterAllocate, when set, sees a target's ports before its container
	// starts (tests put a foreign server there).
	afterAllocate func(ports []int)
}

var (
	sharedDockerMu sync.Mutex
	sharedDocker   *testcontainers.DockerClient
)

// backendDockerClient returns the client every docker backend of this
// process shares (one per scenario would pile up idle connections). A
// daemon that stopped answering is asked again.
func backendDockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	sharedDockerMu.Lock()
	defer sharedDockerMu.Unlock()
	if sharedDocker != nil {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := sharedDocker.Ping(pctx, client.PingOptions{})
		cancel()
		if err == nil {
			return sharedDocker, nil
		}
		sharedDocker.Close()
		sharedDocker = nil
	}
	cli, err := DockerClient(ctx)
	if err != nil {
		return nil, err
	}
	sharedDocker = cli
	return cli, nil
}

func newDockerBackend(ctx context.Context, opts Options) (*dockerBackend, error) {
	cli, err := dockerReady(ctx)
	if err != nil {
		return nil, err
	}
	return &dockerBackend{opts: opts, cli: cli}, nil
}

// DockerReady reports whether the docker backend can run here: nil when a
// daemon answers and the images exist, else an error wrapping
// ErrUnavailable that names the fix.
func DockerReady(ctx context.Context) error {
	_, err := dockerReady(ctx)
	return err
}

func dockerReady(ctx context.Context) (*testcontainers.DockerClient, error) {
	cli, err := backendDockerClient(ctx)
	if err != nil {
		return nil, err
	}
	for _, img := range []string{MinIOImage(), GamedayImage()} {
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			return nil, fmt.Errorf("docker %w: image %s missing; run `make images`, or use `--backend process`", ErrUnavailable, img)
		}
	}
	return cli, nil
}

func (b *dockerBackend) Name() string { return BackendDocker }

// Start starts the target; when another server turns out to hold its port
// (errPortTaken), it tries again on fresh ports, startAttempts times in all.
func (b *dockerBackend) Start(ctx context.Context, spec TargetSpec) (Target, error) {
	return startOnFreshPorts(ctx, spec, b.start)
}

func (b *dockerBackend) start(ctx context.Context, spec TargetSpec) (Target, error) {
	t := &managed{name: spec.Name, kind: spec.Kind, opts: b.opts}
	inst := &dockerInstance{cli: b.cli, run: b.opts.Run, target: spec.Name}
	inst.req = testcontainers.ContainerRequest{
		Labels: map[string]string{LabelRun: b.opts.Run.ID, LabelTarget: spec.Name, LabelKind: string(spec.Kind), LabelOwner: ownerLabel()},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
		},
	}
	var err error
	switch spec.Kind {
	case KindMinIO:
		if t.ports, err = allocate(b.opts.Ports, 2); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		t.creds = newCredentials(b.opts.Random)
		inst.req.Image = MinIOImage()
		inst.req.Cmd = minioArgs(t.ports[0], t.ports[1], "/data")
		inst.req.Env = envMap(minioEnv(t.creds))
	case KindStub:
		if t.ports, err = allocate(b.opts.Ports, 1); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		routes := filepath.Join(b.opts.Run.Dir, spec.Name+"-routes.json")
		if err := stub.WriteFile(routes, spec.Routes); err != nil {
			b.opts.Ports.Release(t.ports...)
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		inst.req.Image = GamedayImage()
		inst.req.Cmd = []string{"stub", "--routes", "/routes.json", "--listen", addrOf(t.ports[0])}
		inst.req.Files = []testcontainers.ContainerFile{{HostFilePath: routes, ContainerFilePath: "/routes.json", FileMode: 0o644}}
	}
	t.addr = addrOf(t.ports[0])
	t.health = t.URL() + healthPath(spec.Kind)
	t.log = filepath.Join(b.opts.Run.Dir, spec.Name+".log")
	inst.logPath = t.log
	t.inst = inst
	if b.afterAllocate != nil {
		b.afterAllocate(t.ports)
	}
	if err := t.boot(ctx); err != nil {
		_ = inst.remove(context.WithoutCancel(ctx))
		b.opts.Ports.Release(t.ports...)
		return nil, fmt.Errorf("start %w", err)
	}
	return t, nil
}

func envMap(kv []string) map[string]string {
	m := map[string]string{}
	for _, e := range kv {
		for i := 0; i < len(e); i++ {
			if e[i] == '=' {
				m[e[:i]] = e[i+1:]
				break
			}
		}
	}
	return m
}

// dockerInstance is a target program run as a container. The container is
// created once; a crash kills it and a restart starts the same container
// again, so its filesystem (MinIO's /data) survives.
type dockerInstance struct {
	cli     *testcontainers.DockerClient
	run     *Run
	target  string
	req     testcontainers.ContainerRequest
	logPath string

	id      string
	paused  bool
	exited  chan struct{}
	logDone chan struct{}
}

func (d *dockerInstance) start(ctx context.Context) (<-chan struct{}, error) {
	since := ""
	if d.id == "" {
		c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
			ContainerRequest: d.req,
			Started:          true,
			Logger:           tclog.NewNoopLogger(),
		})
		if c != nil && c.GetContainerID() != "" {
			d.id = c.GetContainerID()
			if rerr := d.run.addContainer(d.target, d.id); rerr != nil && err == nil {
				err = rerr
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: container: %w", d.target, err)
		}
	} else {
		now := time.Now()
		since = fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond())
		if _, err := d.cli.ContainerStart(ctx, d.id, client.ContainerStartOptions{}); err != nil {
			return nil, fmt.Errorf("%s: container start: %w", d.target, err)
		}
	}
	d.followLogs(ctx, since)
	return d.watch(ctx), nil
}

// followLogs appends the container's output since `since` (all of it when
// empty) to logPath until the container stops.
func (d *dockerInstance) followLogs(ctx context.Context, since string) {
	done := make(chan struct{})
	d.logDone = done
	rc, err := d.cli.ContainerLogs(context.WithoutCancel(ctx), d.id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Since: since,
	})
	if err != nil {
		close(done)
		return
	}
	go func() {
		defer close(done)
		defer rc.Close()
		f, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = stdcopy.StdCopy(f, f, rc)
	}()
}

// watch returns a channel closed when the container stops running.
func (d *dockerInstance) watch(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	d.exited = done
	wctx := context.WithoutCancel(ctx)
	res := d.cli.ContainerWait(wctx, d.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	go func() {
		defer close(done)
		select {
		case <-res.Result:
		case <-res.Error:
		}
	}()
	return done
}

func (d *dockerInstance) kill(ctx context.Context) error {
	if d.id == "" {
		return nil
	}
	if d.paused {
		// Docker refuses to kill a paused container.
		if _, err := d.cli.ContainerUnpause(ctx, d.id, client.ContainerUnpauseOptions{}); err == nil {
			d.paused = false
		}
	}
	select {
	case <-d.exited:
	default:
		if _, err := d.cli.ContainerKill(ctx, d.id, client.ContainerKillOptions{Signal: "SIGKILL"}); err != nil {
			if st, ierr := d.cli.ContainerInspect(ctx, d.id, client.ContainerInspectOptions{}); ierr != nil || st.Container.State == nil || st.Container.State.Running {
				return fmt.Errorf("kill container %s: %w", short(d.id), err)
			}
		}
		select {
		case <-d.exited:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if d.logDone != nil {
		select {
		case <-d.logDone:
		case <-time.After(2 * time.Second):
		}
	}
	return nil
}

func (d *dockerInstance) pause(ctx context.Context) error {
	if _, err := d.cli.ContainerPause(ctx, d.id, client.ContainerPauseOptions{}); err != nil {
		return err
	}
	d.paused = true
	return nil
}

func (d *dockerInstance) resume(ctx context.Context) error {
	if _, err := d.cli.ContainerUnpause(ctx, d.id, client.ContainerUnpauseOptions{}); err != nil {
		return err
	}
	d.paused = false
	return nil
}

func (d *dockerInstance) remove(ctx context.Context) error {
	if d.id == "" {
		return nil
	}
	err := d.kill(ctx)
	if _, rerr := d.cli.ContainerRemove(ctx, d.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); rerr != nil {
		err = errors.Join(err, fmt.Errorf("remove container %s: %w", short(d.id), rerr))
	} else {
		d.run.removeContainer(d.id)
	}
	return err
}

func (d *dockerInstance) identity() Identity { return Identity{ContainerID: d.id} }

// verify checks that the container still runs and that its process alone
// listens on port (host networking shares the host's sockets). Where the
// container's process cannot be inspected (it belongs to root and we are
// not), one listener must do.
func (d *dockerInstance) verify(ctx context.Context, port int) error {
	st, err := d.cli.ContainerInspect(ctx, d.id, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", short(d.id), err)
	}
	if st.Container.State == nil || !st.Container.State.Running || st.Container.State.Pid == 0 {
		return errors.New("container stopped while another server answered on its port")
	}
	return checkOwnListener(port, st.Container.State.Pid)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
