// Package portlock reserves TCP port numbers across processes of one machine
// with one flock'd lock file per port in a shared directory.
//
// A reservation lasts until Release or until the holding process ends:
// the kernel drops an flock with the last descriptor of its open file, so a
// process killed with SIGKILL leaves no stale reservation behind. Locks are
// per open file, so two Dirs in one process exclude each other too.
//
//	d, _ := portlock.Default()
//	l, ok, _ := d.TryLock(15123) // ok: nobody else holds 15123
//	defer l.Release()
package portlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// EnvDir names the variable that overrides the lock directory.
const EnvDir = "GAMEDAY_PORTS_DIR"

// Dir is a directory of port lock files. It is safe for concurrent use.
type Dir struct{ path string }

// DefaultPath is $GAMEDAY_PORTS_DIR, else /tmp/gameday-ports-<uid>. It does
// not follow $TMPDIR or $GAMEDAY_STATE_HOME on purpose: ports belong to the
// machine, while those are routinely set per run or per test suite.
func DefaultPath() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	return filepath.Join("/tmp", "gameday-ports-"+strconv.Itoa(os.Getuid()))
}

// Default opens DefaultPath.
func Default() (*Dir, error) { return Open(DefaultPath()) }

// Open creates path (mode 0700) when missing and returns it as a Dir. It
// refuses a path that is not a directory owned by this user.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("port lock dir: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("port lock dir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("port lock dir %s: not a directory (set %s to another dir)", path, EnvDir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("port lock dir %s: owned by uid %d, not %d (set %s to another dir)", path, st.Uid, os.Getuid(), EnvDir)
	}
	return &Dir{path: path}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// Lock is a held reservation of one port. Keep it reachable: like any
// os.File, a collected Lock closes its file and so gives the port up.
type Lock struct {
	Port int
	f    *os.File
	path string
}

// TryLock reserves port without waiting. It returns ok false when another
// holder (in this or any other process) has it.
func (d *Dir) TryLock(port int) (l *Lock, ok bool, err error) {
	path := filepath.Join(d.path, strconv.Itoa(port)+".lock")
	for range 8 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("lock port %d: %w", port, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("lock port %d: %w", port, err)
		}
		// A holder unlinks the file before it lets go; if that happened
		// between our open and our flock, we hold a lock on a file nobody
		// else will ever open: start again with the current file.
		held, err1 := f.Stat()
		cur, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, cur) {
			return &Lock{Port: port, f: f, path: path}, true, nil
		}
		f.Close()
	}
	return nil, false, nil
}

// Release removes the lock file and gives the reservation up. It is
// idempotent.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = os.Remove(l.path) // while still holding it: see TryLock
	_ = l.f.Close()
	l.f = nil
}

// EphemeralLow is the low end of the kernel's ephemeral port range
// (ip_local_port_range), 32768 when unknown. Ports handed out below it can
// never be taken by an outgoing connection as its source port.
func EphemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(data))
	if len(f) < 1 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1024 {
		return 32768
	}
	return n
}
