package portlock_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/gameday/gameday/internal/portlock"
)

// TestHelperHold is not a test: re-executed by TestAcrossProcesses, it
// locks $PORTLOCK_HELPER_PORT in $PORTLOCK_HELPER_DIR, says "held" and
// waits for its stdin to close.
func TestHelperHold(t *testing.T) {
	dir := os.Getenv("PORTLOCK_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	port, _ := strconv.Atoi(os.Getenv("PORTLOCK_HELPER_PORT"))
	d, err := portlock.Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	l, ok, err := d.TryLock(port)
	if err != nil || !ok {
		fmt.Println("not held:", err)
		os.Exit(1)
	}
	fmt.Println("held")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	l.Release()
	os.Exit(0)
}

// hold starts a helper process holding port in dir.
func hold(t *testing.T, dir string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHold$")
	cmd.Env = append(os.Environ(), "PORTLOCK_HELPER_DIR="+dir, "PORTLOCK_HELPER_PORT="+strconv.Itoa(port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	return cmd
}

func TestAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	d, err := portlock.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := hold(t, dir, 20001)
	if _, ok, err := d.TryLock(20001); ok || err != nil {
		t.Fatalf("TryLock while another process holds it: ok=%v err=%v, want false, nil", ok, err)
	}
	other, ok, err := d.TryLock(20002)
	if !ok || err != nil {
		t.Fatalf("TryLock of another port: ok=%v err=%v", ok, err)
	}
	other.Release()

	// SIGKILL: the kernel drops the lock with the process.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, ok, err := d.TryLock(20001)
	if !ok || err != nil {
		t.Fatalf("TryLock after the holder was killed: ok=%v err=%v, want true", ok, err)
	}
	l.Release()
}

func TestReleaseAndReuse(t *testing.T) {
	dir := t.TempDir()
	a, _ := portlock.Open(dir)
	b, _ := portlock.Open(dir)
	l, ok, err := a.TryLock(20010)
	if !ok || err != nil {
		t.Fatalf("first TryLock: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := b.TryLock(20010); ok {
		t.Fatal("a second Dir in the same process got a held port")
	}
	l.Release()
	l.Release() // idempotent
	if _, err := os.Stat(dir + "/20010.lock"); !os.IsNotExist(err) {
		t.Fatalf("lock file left after Release: %v", err)
	}
	l2, ok, err := b.TryLock(20010)
	if !ok || err != nil {
		t.Fatalf("TryLock after Release: ok=%v err=%v", ok, err)
	}
	l2.Release()
}

// Many holders racing for few ports while holders release and unlink:
// never two at once.
func TestNoTwoHolders(t *testing.T) {
	dir := t.TempDir()
	var (
		mu     sync.Mutex
		holder = map[int]int{}
		wg     sync.WaitGroup
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := portlock.Open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 300 {
				port := 20100 + (g+i)%3
				l, ok, err := d.TryLock(port)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					continue
				}
				mu.Lock()
				if h, busy := holder[port]; busy {
					t.Errorf("port %d held by %d and %d", port, h, g)
				}
				holder[port] = g
				mu.Unlock()
				runtime.Gosched() // let the others try while we hold it
				mu.Lock()
				delete(holder, port)
				mu.Unlock()
				l.Release()
			}
		}()
	}
	wg.Wait()
}

func TestOpenRefusesAFile(t *testing.T) {
	f := t.TempDir() + "/file"
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := portlock.Open(f); err == nil {
		t.Fatal("Open of a regular file succeeded")
	}
}
