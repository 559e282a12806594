package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MarkerEnv is the variable the harness sets in the environment of every
// process it starts (workload attempts and process-backend targets), so
// that the process and every descendant that keeps its environment can be
// found again, also after it left its process group (setsid) and closed
// its stdio, and also by `gameday clean` after the harness was killed. Its
// value is a Marker. It is not secret.
const MarkerEnv = "GAMEDAY_RUN_MARKER"

// PartWorkload is the Marker part of workload attempts; targets use their
// name (never "workload", which is reserved).
const PartWorkload = "workload"

// Marker says which run started a process and for what:
// "<run id>/<part>@<owner pid>:<owner start>", the owner being the harness
// process that owns the run (as in the run record).
type Marker struct {
	RunID string
	Part  string
	Owner ProcessRecord // PID and Start only
}

func (m Marker) String() string {
	return fmt.Sprintf("%s/%s@%d:%d", m.RunID, m.Part, m.Owner.PID, m.Owner.Start)
}

// ParseMarker parses the value of MarkerEnv.
func ParseMarker(s string) (Marker, bool) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return Marker{}, false
	}
	id, part, ok := strings.Cut(s[:at], "/")
	if !ok || id == "" || part == "" {
		return Marker{}, false
	}
	var m Marker
	if _, err := fmt.Sscanf(s[at+1:], "%d:%d", &m.Owner.PID, &m.Owner.Start); err != nil {
		return Marker{}, false
	}
	m.RunID, m.Part = id, part
	return m, true
}

// MarkerEnv returns the MarkerEnv entry for a process started for part of run r.
func (r *Run) MarkerEnv(part string) string {
	return MarkerEnv + "=" + Marker{RunID: r.ID, Part: part, Owner: r.rec.Owner}.String()
}

// startMu orders the harness's process starts against the searches for
// processes it did not start: a start holds it for reading from fork to
// tracking, a search for writing, so that a search never sees a child
// between its fork and its exec (which holds every descriptor of the
// harness, the workload's log pipe included) or an untracked child of the
// harness's own.
var startMu sync.RWMutex

// started holds the pids of the live children the harness started (and
// waits for) itself. Every other child of a subreaper harness is an
// adopted orphan.
var started sync.Map

// startTracked starts cmd and tracks its pid until untrack is called,
// which the caller does after cmd.Wait returned.
func startTracked(cmd *exec.Cmd) error {
	startMu.RLock()
	defer startMu.RUnlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	started.Store(cmd.Process.Pid, true)
	return nil
}

func untrack(pid int) { started.Delete(pid) }

func tracked(pid int) bool { _, ok := started.Load(pid); return ok }

// proc is one process found in /proc.
type proc struct {
	pid, ppid int
	start     uint64
	zombie    bool
	marker    Marker
	marked    bool
}

// scanProcs reads every process: its parent, start time and state from
// /proc/<pid>/stat and its Marker from /proc/<pid>/environ (empty for a
// zombie, unreadable for another user's process).
func scanProcs() map[int]proc {
	out := map[int]proc{}
	for _, pid := range pids() {
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		p := proc{pid: pid, zombie: st.zombie(), ppid: st.ppid()}
		p.start, _ = st.start()
		if env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); err == nil {
			p.marker, p.marked = markerIn(env)
		}
		out[pid] = p
	}
	return out
}

// markerIn finds MarkerEnv in a NUL-separated environment.
func markerIn(env []byte) (Marker, bool) {
	prefix := []byte(MarkerEnv + "=")
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, prefix); ok {
			return ParseMarker(string(v))
		}
	}
	return Marker{}, false
}

// withDescendants returns roots and every live descendant of them in
// procs, this process and its ancestors excepted. A descendant without a
// marker of its own gets its root's.
func withDescendants(procs map[int]proc, roots []int) []proc {
	children := map[int][]int{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	spare := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !spare[pid]; pid = procs[pid].ppid {
		spare[pid] = true
	}
	type item struct {
		pid int
		via Marker
	}
	seen := map[int]bool{}
	var out []proc
	var queue []item
	for _, pid := range roots {
		queue = append(queue, item{pid, procs[pid].marker})
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if seen[it.pid] || spare[it.pid] {
			continue
		}
		seen[it.pid] = true
		p, ok := procs[it.pid]
		if !ok {
			continue
		}
		if !p.marked {
			p.marker = it.via
		}
		if !p.zombie {
			out = append(out, p)
		}
		for _, c := range children[it.pid] {
			queue = append(queue, item{c, p.marker})
		}
	}
	return out
}

// Swept is a process a sweep killed.
type Swept struct {
	PID int
	// Marker is its own, or for a descendant that dropped it, that of the
	// nearest ancestor that had one.
	Marker Marker
}

// sweep SIGKILLs every live process whose Marker match accepts, and every
// descendant of one, again and again until none is left (a process may
// fork while its tree dies), and reaps those that are adopted children of
// this process (never one the harness started and waits for itself). It
// gives up with an error after 10 s or when ctx ends.
func sweep(ctx context.Context, match func(Marker) bool) ([]Swept, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	self := os.Getpid()
	var killed []Swept
	done := map[int]uint64{} // pid → start time, killed already
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		procs := scanProcs()
		var roots []int
		var reap []*os.Process
		for _, p := range procs {
			switch {
			case p.zombie:
				// Killed by an earlier pass and re-parented to this
				// (subreaper) process when its own parent died.
				if start, ok := done[p.pid]; ok && start == p.start && p.ppid == self && !tracked(p.pid) {
					if h, err := os.FindProcess(p.pid); err == nil {
						reap = append(reap, h)
					}
				}
			case p.marked && match(p.marker):
				roots = append(roots, p.pid)
			}
		}
		victims := withDescendants(procs, roots)
		reap = append(reap, killAll(victims, self, func(p proc) {
			if start, ok := done[p.pid]; !ok || start != p.start {
				done[p.pid] = p.start
				killed = append(killed, Swept{PID: p.pid, Marker: p.marker})
			}
		})...)
		reapAll(ctx, reap)
		if len(victims) == 0 {
			return killed, nil
		}
		select {
		case <-ctx.Done():
			return killed, fmt.Errorf("%d processes of the run did not die: %w", len(victims), ctx.Err())
		case <-tick.C:
		}
	}
}

// killAll SIGKILLs (and thaws, so a stopped one dies at once) each of
// victims that is still the process scanned, calling killed, when set, for
// each. It returns the handles to reap: this process's children that it
// did not start itself (whoever started a tracked one waits for it).
func killAll(victims []proc, self int, killed func(proc)) (reap []*os.Process) {
	for _, p := range victims {
		h, ok := pin(p)
		if !ok {
			continue
		}
		_ = h.Signal(syscall.SIGKILL)
		_ = h.Signal(syscall.SIGCONT)
		if killed != nil {
			killed(p)
		}
		if p.ppid == self && !tracked(p.pid) {
			reap = append(reap, h)
		} else {
			_ = h.Release()
		}
	}
	return reap
}

// pin returns a handle on p that cannot hit a recycled pid (os.FindProcess
// holds a pidfd), after checking that the pid still has p's start time.
func pin(p proc) (*os.Process, bool) {
	h, err := os.FindProcess(p.pid)
	if err != nil {
		return nil, false
	}
	if start, err := ProcessStartTime(p.pid); err != nil || start != p.start {
		_ = h.Release()
		return nil, false
	}
	return h, true
}

// reapAll waits for the (killed) children hs, until ctx ends.
func reapAll(ctx context.Context, hs []*os.Process) {
	if len(hs) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = h.Wait()
		}()
	}
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
	}
}

// sweepRun kills what is left of run id's processes (see sweep).
func sweepRun(ctx context.Context, id string) ([]Swept, error) {
	return sweep(ctx, func(m Marker) bool { return m.RunID == id })
}

// sweepWorkload kills what is left of run id's workload attempts: the
// descendants that left the attempt's process group (setsid) and so
// outlived its kill.
func sweepWorkload(ctx context.Context, id string) ([]Swept, error) {
	return sweep(ctx, func(m Marker) bool { return m.RunID == id && m.Part == PartWorkload })
}

// BecomeSubreaper makes the calling process a child subreaper
// (PR_SET_CHILD_SUBREAPER): orphans among its descendants, such as a
// workload's setsid daemon, re-parent to it instead of to init, so that
// the harness can reap them (and, at the end of a run, kill those that
// dropped their Marker). It changes the whole process, so only the gameday
// binary's main calls it; library code never does.
func BecomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// isSubreaper reports whether this process is a child subreaper.
func isSubreaper() bool {
	var v int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	return err == nil && v != 0
}

// SweepAdopted kills and reaps the children of this process that the
// harness did not start, and their descendants: orphans it adopted as a
// subreaper, including those that dropped their Marker (env -i). Call it
// only when no scenario runs, as an adopted orphan cannot be told apart
// from another running scenario's. It does nothing unless this process is
// a subreaper: elsewhere (inside a test binary, say) an untracked child is
// the host program's own.
func SweepAdopted(ctx context.Context) error {
	if !isSubreaper() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	startMu.Lock()
	defer startMu.Unlock()
	self := os.Getpid()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		procs := scanProcs()
		var roots []int
		var reap []*os.Process
		for _, p := range procs {
			if p.ppid != self || tracked(p.pid) {
				continue
			}
			if p.zombie {
				if h, err := os.FindProcess(p.pid); err == nil {
					reap = append(reap, h)
				}
				continue
			}
			roots = append(roots, p.pid)
		}
		victims := withDescendants(procs, roots)
		reap = append(reap, killAll(victims, self, nil)...)
		reapAll(ctx, reap)
		if len(victims) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d adopted processes did not die: %w", len(victims), ctx.Err())
		case <-tick.C:
		}
	}
}

// reapAdoptedZombies reaps the adopted children of this (subreaper)
// process that already died. Safe while scenarios run: a dead process is
// nobody's to wait for but its parent's.
func reapAdoptedZombies() {
	if !isSubreaper() {
		return
	}
	startMu.Lock()
	defer startMu.Unlock()
	self := os.Getpid()
	var reap []*os.Process
	for _, p := range scanProcs() {
		if p.zombie && p.ppid == self && !tracked(p.pid) {
			if h, err := os.FindProcess(p.pid); err == nil {
				reap = append(reap, h)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reapAll(ctx, reap)
}
