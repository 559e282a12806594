package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gameday/gameday/harness/observe"
)

// Workload runs the scenario's step, one process (group) at a time, and is
// the Controller that workload faults act on. Its methods are safe for
// concurrent use: proxies and timers crash or pause it from their own
// goroutines.
type Workload struct {
	mu       sync.Mutex
	cur      *exec.Cmd
	pgid     int
	done     chan struct{} // closed when cur has exited
	injected bool          // the current process was killed by a fault
	timedOut bool          // ... or for passing its timeout
	paused   bool
}

// Attempt is one process start.
type Attempt struct {
	Argv    []string
	Dir     string
	Env     []string
	Timeout time.Duration
	Log     io.Writer // receives stdout and stderr, already redacting
	// Run, when set, records the attempt's process group while it runs, so
	// that `gameday clean` can kill it after the harness itself was killed.
	Run *Run
}

// Run runs one attempt to its end and returns its record (without Run,
// Attempt and RunID, which the caller fills). ctx ending kills the process
// group; that kill is the harness's own signal, so not a crash.
func (w *Workload) Run(ctx context.Context, spec Attempt, now func() time.Time) observe.RunRecord {
	rec := observe.RunRecord{Start: now()}
	if len(spec.Argv) == 0 {
		rec.End, rec.ExitCode = now(), 127
		return rec
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(spec.Log, "gameday: start workload: %v\n", err)
		rec.End, rec.ExitCode = now(), 127
		return rec
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = pw, pw
	// Pdeathsig: the leader dies with the harness (as targets do, see
	// process.go; strictly, with the OS thread that started it, which the Go
	// runtime keeps while the harness runs). Its descendants do not: the
	// run record names the group for `gameday clean`.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(spec.Log, pr)
	}()
	if err := startTracked(cmd); err != nil {
		pw.Close()
		<-copied
		pr.Close()
		fmt.Fprintf(spec.Log, "gameday: start workload %q: %v\n", spec.Argv[0], err)
		rec.End, rec.ExitCode = now(), 127
		return rec
	}
	pw.Close()
	rec.Start = now()
	pid := cmd.Process.Pid
	if spec.Run != nil {
		if err := spec.Run.setWorkload(pid, pid); err != nil {
			fmt.Fprintf(spec.Log, "gameday: record workload: %v\n", err)
		}
	}
	done := make(chan struct{})
	w.mu.Lock()
	w.cur, w.pgid, w.done = cmd, cmd.Process.Pid, done
	w.injected, w.timedOut, w.paused = false, false, false
	w.mu.Unlock()

	waited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		untrack(pid)
		waited <- err
	}()
	var timer <-chan time.Time
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		timer = t.C
	}
	var werr error
	select {
	case werr = <-waited:
	case <-timer:
		w.mu.Lock()
		w.timedOut = true
		w.mu.Unlock()
		w.KillGroup()
		werr = <-waited
	case <-ctx.Done():
		w.KillGroup()
		werr = <-waited
	}
	rec.End = now()
	// Leave nothing of the attempt behind: its group, then whatever of it
	// left the group (setsid) but kept the run's marker, with all their
	// descendants; then reap the orphans a subreaper harness adopted.
	w.killPGID(pid)
	if spec.Run != nil {
		if _, err := sweepWorkload(context.WithoutCancel(ctx), spec.Run.ID); err != nil {
			fmt.Fprintf(spec.Log, "gameday: %v\n", err)
		}
		spec.Run.clearWorkload(pid)
	}
	reapAdoptedZombies()
	w.mu.Lock()
	rec.Crashed = w.injected
	rec.TimedOut = w.timedOut && !w.injected
	w.cur, w.pgid = nil, 0
	close(done)
	w.mu.Unlock()
	// Let the log copy drain. Every writer of the pipe is dead by now,
	// unless a descendant left the group (setsid) and dropped the marker
	// (env -i) holding it: found by the pipe it holds, it is killed too.
	select {
	case <-copied:
	case <-time.After(escapeGrace):
		killPipeHolders(pr)
		select {
		case <-copied:
		case <-time.After(5 * time.Second):
		}
	}
	pr.Close()

	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		rec.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			rec.Signal = ws.Signal().String()
			rec.ExitCode = 128 + int(ws.Signal())
			// A signal the harness did not send is a crash too.
			if !rec.TimedOut && ctx.Err() == nil {
				rec.Crashed = true
			}
		}
	default:
		rec.ExitCode = 127
	}
	return rec
}

// escapeGrace is how long the log pipe may stay open after the workload's
// group was killed before the harness looks for escaped holders.
const escapeGrace = 100 * time.Millisecond

// killPipeHolders SIGKILLs every other process that holds the pipe whose
// read end is r: descendants of the workload that left its process group
// and so outlived the group's kill (the children the harness started and
// waits for excepted; an adopted orphan is killed and reaped). Process
// starts wait meanwhile (startMu), so no child between fork and exec,
// which holds every descriptor of the harness, is mistaken for one. Each
// is checked again after it is pinned (os.FindProcess holds a pidfd), so a
// recycled pid is never hit.
func killPipeHolders(r *os.File) {
	startMu.Lock()
	defer startMu.Unlock()
	fi, err := r.Stat()
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	link := fmt.Sprintf("pipe:[%d]", st.Ino)
	self := os.Getpid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || tracked(pid) || !holdsFile(pid, link) {
			continue
		}
		p, err := os.FindProcess(pid)
		if err != nil {
			continue
		}
		if holdsFile(pid, link) {
			_ = p.Kill()
			if parentOf(pid) == self {
				_, _ = p.Wait() // adopted: ours to reap
			}
		}
		_ = p.Release()
	}
}

// parentOf returns the parent pid of pid (field 4 of /proc/<pid>/stat), 0
// when unknown.
func parentOf(pid int) int {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return st.ppid()
}

// holdsFile reports whether process pid has a descriptor whose link is
// link.
func holdsFile(pid int, link string) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == link {
			return true
		}
	}
	return false
}

// KillGroup SIGKILLs the current process group (and thaws it, so a paused
// group dies at once).
func (w *Workload) KillGroup() {
	w.mu.Lock()
	pgid := w.pgid
	w.mu.Unlock()
	w.killPGID(pgid)
}

func (w *Workload) killPGID(pgid int) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = syscall.Kill(-pgid, syscall.SIGCONT)
	}
}

// Crash kills the running workload's process group as an injected fault
// and returns once its leader has exited. It does nothing between runs.
func (w *Workload) Crash(ctx context.Context) error {
	w.mu.Lock()
	if w.cur == nil {
		w.mu.Unlock()
		return nil
	}
	w.injected = true
	done := w.done
	w.mu.Unlock()
	w.KillGroup()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pause freezes the workload's process group (SIGSTOP).
func (w *Workload) Pause(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return nil
	}
	w.paused = true
	return syscall.Kill(-w.pgid, syscall.SIGSTOP)
}

// Resume thaws it (SIGCONT).
func (w *Workload) Resume(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil || !w.paused {
		return nil
	}
	w.paused = false
	return syscall.Kill(-w.pgid, syscall.SIGCONT)
}

// Restart does nothing: a crashed run restarts through workload.restarts.
func (w *Workload) Restart(context.Context) error { return nil }
