package lifecycle

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a log sink safe for the copy goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func sh(script string) Attempt {
	return Attempt{Argv: []string{"sh", "-c", script}, Env: os.Environ(), Log: &lockedBuffer{}}
}

// pidAlive reports whether pid runs (a zombie, dead but not yet reaped by
// whoever adopted it, does not count).
func pidAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestWorkloadExitCodes(t *testing.T) {
	w := &Workload{}
	if r := w.Run(context.Background(), sh("echo hello"), time.Now); !r.Succeeded() || r.Crashed {
		t.Fatalf("exit 0: %+v", r)
	}
	if r := w.Run(context.Background(), sh("exit 3"), time.Now); r.ExitCode != 3 || r.Crashed || r.Succeeded() {
		t.Fatalf("exit 3 is a failed run, not a crash: %+v", r)
	}
	if r := w.Run(context.Background(), Attempt{Argv: []string{"/nonexistent/prog"}, Log: &lockedBuffer{}}, time.Now); r.ExitCode != 127 {
		t.Fatalf("a program that cannot start: %+v", r)
	}
}

func TestWorkloadLogsOutput(t *testing.T) {
	w := &Workload{}
	spec := sh("echo out; echo err >&2")
	w.Run(context.Background(), spec, time.Now)
	got := spec.Log.(*lockedBuffer).String()
	if !strings.Contains(got, "out") || !strings.Contains(got, "err") {
		t.Fatalf("log %q misses stdout or stderr", got)
	}
}

func TestWorkloadSignalNotSentByHarnessIsACrash(t *testing.T) {
	w := &Workload{}
	r := w.Run(context.Background(), sh("kill -KILL $$"), time.Now)
	if !r.Crashed || r.Signal == "" {
		t.Fatalf("a run killed by a signal the harness did not send is crashed: %+v", r)
	}
}

func TestWorkloadInjectedCrashKillsTheGroup(t *testing.T) {
	w := &Workload{}
	spec := sh("sleep 30 & echo $! ; wait")
	done := make(chan struct{})
	var rec struct {
		crashed bool
	}
	go func() {
		defer close(done)
		r := w.Run(context.Background(), spec, time.Now)
		rec.crashed = r.Crashed && !r.TimedOut
	}()
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		line := strings.TrimSpace(spec.Log.(*lockedBuffer).String())
		child, _ = strconv.Atoi(line)
		if child == 0 {
			<-time.After(10 * time.Millisecond)
		}
	}
	if child == 0 {
		t.Fatal("the workload never reported its child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Crash(ctx); err != nil {
		t.Fatalf("crash: %v", err)
	}
	<-done
	if !rec.crashed {
		t.Fatal("an injected kill is a crash")
	}
	// The child is killed with the group; give the kernel a moment to reap.
	for i := 0; i < 100 && pidAlive(child); i++ {
		<-time.After(10 * time.Millisecond)
	}
	if pidAlive(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatal("the workload's child survived the crash")
	}
	if err := w.Crash(ctx); err != nil {
		t.Fatalf("crash between runs does nothing: %v", err)
	}
}

func TestWorkloadTimeoutIsAFailedRunNotACrash(t *testing.T) {
	w := &Workload{}
	spec := sh("sleep 30")
	spec.Timeout = 200 * time.Millisecond
	start := time.Now()
	r := w.Run(context.Background(), spec, time.Now)
	if !r.TimedOut || r.Crashed || r.Succeeded() {
		t.Fatalf("timeout: %+v", r)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not kill the run")
	}
}

func TestWorkloadCancelledIsNotACrash(t *testing.T) {
	w := &Workload{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	r := w.Run(ctx, sh("sleep 30"), time.Now)
	if r.Crashed || r.Succeeded() {
		t.Fatalf("a run stopped by the harness's teardown is no crash: %+v", r)
	}
}

func TestWorkloadRecordedWhileItRuns(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_HOME", t.TempDir())
	run, err := NewRun("wl-record", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	w := &Workload{}
	spec := sh("echo started; exec sleep 30")
	spec.Run = run
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx, spec, time.Now) }()
	var rec *ProcessRecord
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); <-time.After(10 * time.Millisecond) {
		run.mu.Lock()
		if run.rec.Workload != nil {
			c := *run.rec.Workload
			rec = &c
		}
		run.mu.Unlock()
		if rec != nil {
			break
		}
	}
	cancel()
	<-done
	if rec == nil {
		t.Fatal("the running workload is not in the run record")
	}
	if rec.PGID != rec.PID || rec.Start == 0 || rec.Target != "workload" {
		t.Fatalf("workload record %+v", rec)
	}
	recs, _, err := LoadRunRecords()
	if err != nil || len(recs) != 1 || recs[0].Workload != nil {
		t.Fatalf("the record still names the ended workload: %+v %v", recs, err)
	}
}

// procsWithArgs lists the live processes whose command line is exactly
// args.
func procsWithArgs(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cl, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(cl) == want && pidAlive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func TestWorkloadDescendantThatLeftTheGroupIsKilled(t *testing.T) {
	up := t.TempDir() + "/up"
	spec := sh(`setsid sh -c 'touch "$UP"; exec sleep 31.7' & while [ ! -e "$UP" ]; do sleep 0.01; done`)
	spec.Env = append(spec.Env, "UP="+up)
	defer func() {
		for _, pid := range procsWithArgs("sleep", "31.7") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}()
	start := time.Now()
	r := (&Workload{}).Run(context.Background(), spec, time.Now)
	took := time.Since(start)
	if !r.Succeeded() {
		t.Fatalf("run: %+v", r)
	}
	if took > 3*time.Second {
		t.Fatalf("the run took %s: the log drain waited for the escaped process", took)
	}
	for i := 0; i < 200 && len(procsWithArgs("sleep", "31.7")) > 0; i++ {
		<-time.After(10 * time.Millisecond)
	}
	if ps := procsWithArgs("sleep", "31.7"); len(ps) > 0 {
		t.Fatalf("the escaped descendant %v survived the run", ps)
	}
}
