package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gameday/gameday/harness/stub"
)

// processBackend runs targets as child processes of the harness, each in its
// own process group, killed with the harness (Pdeathsig).
type processBackend struct {
	opts Options
	// afterAllocate, when set, sees a target's ports before its program
	// starts (tests put a foreign server there).
	afterAllocate func(ports []int)
}

func newProcessBackend(opts Options) *processBackend { return &processBackend{opts: opts} }

func (b *processBackend) Name() string { return BackendProcess }

// Start starts the target; when another server turns out to hold its port
// (errPortTaken), it tries again on fresh ports, startAttempts times in all.
func (b *processBackend) Start(ctx context.Context, spec TargetSpec) (Target, error) {
	return startOnFreshPorts(ctx, spec, b.start)
}

func (b *processBackend) start(ctx context.Context, spec TargetSpec) (Target, error) {
	t := &managed{name: spec.Name, kind: spec.Kind, opts: b.opts}
	inst := &processInstance{run: b.opts.Run, target: spec.Name, env: baseProcessEnv()}
	var err error
	switch spec.Kind {
	case KindMinIO:
		if inst.bin, err = MinIOBinary(); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		if t.ports, err = allocate(b.opts.Ports, 2); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		data := filepath.Join(b.opts.Run.Dir, spec.Name+"-data")
		// Empty: an attempt that lost its port may have left MinIO's
		// config there, sealed with other credentials.
		_ = os.RemoveAll(data)
		if err := os.MkdirAll(data, 0o700); err != nil {
			b.opts.Ports.Release(t.ports...)
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		t.creds = newCredentials(b.opts.Random)
		inst.args = minioArgs(t.ports[0], t.ports[1], data)
		inst.env = append(inst.env, minioEnv(t.creds)...)
	case KindStub:
		if inst.bin, err = GamedayBinary(); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		if t.ports, err = allocate(b.opts.Ports, 1); err != nil {
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		routes := filepath.Join(b.opts.Run.Dir, spec.Name+"-routes.json")
		if err := stub.WriteFile(routes, spec.Routes); err != nil {
			b.opts.Ports.Release(t.ports...)
			return nil, fmt.Errorf("start %s: %w", spec.Name, err)
		}
		inst.args = []string{"stub", "--routes", routes, "--listen", addrOf(t.ports[0])}
	}
	t.addr = addrOf(t.ports[0])
	t.health = t.URL() + healthPath(spec.Kind)
	t.log = filepath.Join(b.opts.Run.Dir, spec.Name+".log")
	t.inst = inst
	inst.logPath = t.log
	if b.afterAllocate != nil {
		b.afterAllocate(t.ports)
	}
	if err := t.boot(ctx); err != nil {
		b.opts.Ports.Release(t.ports...)
		return nil, fmt.Errorf("start %w", err)
	}
	return t, nil
}

// allocate takes n ports, all or none.
func allocate(p *Ports, n int) ([]int, error) {
	var ports []int
	for range n {
		port, err := p.Allocate()
		if err != nil {
			p.Release(ports...)
			return nil, err
		}
		ports = append(ports, port)
	}
	return ports, nil
}

// baseProcessEnv is what a target process inherits: PATH, HOME and TMPDIR,
// nothing else (no proxies, no cloud credentials).
func baseProcessEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// processInstance is a target program run as a child process.
type processInstance struct {
	run     *Run
	target  string
	bin     string
	args    []string
	env     []string
	logPath string

	cmd  *exec.Cmd
	pgid int
	done chan struct{}
}

func (p *processInstance) start(ctx context.Context) (<-chan struct{}, error) {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: log: %w", p.target, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(p.env[:len(p.env):len(p.env)], p.run.MarkerEnv(p.target))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := startTracked(cmd); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%s: %w", p.target, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	pid := cmd.Process.Pid
	if p.pgid, err = syscall.Getpgid(pid); err != nil {
		p.pgid = 0
	}
	if err := p.run.addProcess(p.target, pid); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
		untrack(pid)
		logf.Close()
		return nil, fmt.Errorf("%s: record: %w", p.target, err)
	}
	go func() {
		_ = cmd.Wait()
		untrack(pid)
		logf.Close()
		p.run.removeProcess(pid)
		close(done)
	}()
	return done, nil
}

func (p *processInstance) signal(sig syscall.Signal) error {
	if p.cmd == nil {
		return errors.New("not started")
	}
	err := syscall.Kill(-p.cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (p *processInstance) kill(ctx context.Context) error {
	if p.cmd == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for pid %d: %w", p.cmd.Process.Pid, ctx.Err())
	}
}

// pause stops the process group and waits until the leader is stopped, so
// that a caller can rely on it being frozen when pause returns.
func (p *processInstance) pause(ctx context.Context) error {
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return p.waitState(ctx, func(s string) bool { return s == "T" })
}

func (p *processInstance) resume(ctx context.Context) error {
	if err := p.signal(syscall.SIGCONT); err != nil {
		return err
	}
	return p.waitState(ctx, func(s string) bool { return s != "T" })
}

func (p *processInstance) waitState(ctx context.Context, ok func(string) bool) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		st, err := processState(p.cmd.Process.Pid)
		if err != nil || ok(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return errors.New("exited")
		case <-tick.C:
		}
	}
}

func (p *processInstance) remove(ctx context.Context) error { return p.kill(ctx) }

// verify checks that the child still runs and that it alone listens on
// port.
func (p *processInstance) verify(ctx context.Context, port int) error {
	select {
	case <-p.done:
		return errors.New("exited while another server answered on its port")
	default:
	}
	return checkOwnListener(port, p.cmd.Process.Pid)
}

func (p *processInstance) identity() Identity {
	if p.cmd == nil || p.cmd.Process == nil {
		return Identity{}
	}
	return Identity{PID: p.cmd.Process.Pid, PGID: p.pgid}
}
