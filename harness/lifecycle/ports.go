package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gameday/gameday/internal/portlock"
)

// Ports hands out free 127.0.0.1 ports and remembers them until they are
// released, so that a port owned by a live or crashed target is never handed
// out twice and a restarted target can bind its old address again.
//
// Every port handed out is also reserved across processes with a lock file
// in a directory shared by every gameday process of this user (see
// internal/portlock: $GAMEDAY_PORTS_DIR, else /tmp/gameday-ports-<uid>), held
// until Release or until this process ends. Two harnesses or two test
// binaries therefore never hand out the same port, and a killed harness
// leaves no stale reservation.
//
// Ports are drawn at random from below the kernel's ephemeral range
// (ip_local_port_range), so that no outgoing connection can take a crashed
// target's port as its source port while the target is down. It is safe for
// concurrent use.
type Ports struct {
	mu      sync.Mutex
	taken   map[int]*portlock.Lock
	rng     *mrand.Rand
	lo, hi  int // draw from [lo, hi); empty range: let the kernel pick
	lockDir string
	locks   *portlock.Dir // opened by the first Allocate
}

// NewPorts returns an empty allocator drawing from [15000, start of the
// ephemeral range), reserving in portlock.DefaultPath().
func NewPorts() *Ports { return NewPortsDir(portlock.DefaultPath()) }

// NewPortsDir is NewPorts reserving in the lock directory dir. Allocators
// with the same dir never hand out the same port, whichever process they
// live in.
func NewPortsDir(dir string) *Ports {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	lo, hi := 15000, portlock.EphemeralLow()
	if hi-lo < 1000 {
		lo, hi = 0, 0
	}
	return &Ports{taken: map[int]*portlock.Lock{}, rng: mrand.New(mrand.NewChaCha8(seed)), lo: lo, hi: hi, lockDir: dir}
}

// NewPortsRand is NewPorts with the caller's random source (for tests).
func NewPortsRand(seed uint64) *Ports {
	p := NewPorts()
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	p.rng = mrand.New(mrand.NewChaCha8(b))
	return p
}

// SharedPorts is the allocator every backend of this process uses unless
// Options.Ports says otherwise: scenarios running side by side in one
// harness must not hand out each other's ports.
var SharedPorts = NewPorts()

// Allocate returns a port on 127.0.0.1 that was free a moment ago, that no
// caller holds and that no other allocator sharing the lock directory holds,
// in this process or another. It stays reserved until Release.
func (p *Ports) Allocate() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.locks == nil {
		locks, err := portlock.Open(p.lockDir)
		if err != nil {
			return 0, fmt.Errorf("allocate port: %w", err)
		}
		p.locks = locks
	}
	for range 256 {
		port := 0
		if p.hi > p.lo {
			port = p.lo + p.rng.IntN(p.hi-p.lo)
			if p.taken[port] != nil {
				continue
			}
		} else {
			var err error
			if port, err = kernelPort(); err != nil {
				return 0, fmt.Errorf("allocate port: %w", err)
			}
			if p.taken[port] != nil {
				continue
			}
		}
		lock, ok, err := p.locks.TryLock(port)
		if err != nil {
			return 0, fmt.Errorf("allocate port: %w", err)
		}
		if !ok {
			continue // reserved by another allocator: draw again
		}
		// Reserved; now make sure nothing outside gameday sits on it.
		if !bindable(port) {
			lock.Release()
			continue
		}
		p.taken[port] = lock
		return port, nil
	}
	return 0, fmt.Errorf("allocate port: no free port after 256 tries")
}

// bindable reports whether 127.0.0.1:port can be listened on right now.
func bindable(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// kernelPort asks the kernel for a free port.
func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Release gives ports back, here and across processes.
func (p *Ports) Release(ports ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, port := range ports {
		if l := p.taken[port]; l != nil {
			l.Release()
			delete(p.taken, port)
		}
	}
}

// Held reports whether port is currently handed out by p.
func (p *Ports) Held(port int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken[port] != nil
}

// errPortTaken is wrapped by a start that failed because something other
// than the target answers on, or holds, the target's port: a program that
// does not use the lock directory, or one that shares ports with
// SO_REUSEPORT (MinIO does). Backends retry such a start on fresh ports.
var errPortTaken = errors.New("port taken by another server")

// startAttempts is how often a backend tries to start a target on fresh
// ports when errPortTaken says its port was taken.
const startAttempts = 3

// verifier is an instance that can check, once its program answers, that
// the server answering on its address is that program and nobody else: a
// readiness probe alone cannot tell, since a foreign server on the port
// answers it too, and with SO_REUSEPORT the kernel may split connections
// between both.
type verifier interface {
	// verify fails wrapping errPortTaken when another server listens on
	// port.
	verify(ctx context.Context, port int) error
}

// classifyPortErr wraps a failed start's err with errPortTaken when,
// with the program killed, something still listens on port.
func classifyPortErr(port int, err error) error {
	if errors.Is(err, errPortTaken) {
		return err
	}
	if ls, lerr := listeners(port); lerr == nil && len(ls) > 0 {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

// checkOwnListener fails wrapping errPortTaken unless every socket that
// listens where a connection to 127.0.0.1:port could land belongs to
// process pid, and there is at least one. When pid's descriptors cannot be
// read (a container's process owned by another user), it settles for
// exactly one listener.
func checkOwnListener(port, pid int) error {
	ls, err := listeners(port)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no /proc/net/tcp to look at: the readiness probe must do
	}
	if err != nil {
		return fmt.Errorf("check listener on port %d: %w", port, err)
	}
	if len(ls) == 0 {
		return fmt.Errorf("check listener on port %d: nothing listens", port)
	}
	own, err := socketInodes(pid)
	if errors.Is(err, fs.ErrPermission) {
		if len(ls) > 1 {
			return fmt.Errorf("%w: %d servers listen on port %d", errPortTaken, len(ls), port)
		}
		return nil
	}
	if err != nil { // gone: whoever answered was not pid
		return fmt.Errorf("check listener on port %d: %w", port, err)
	}
	for _, ino := range ls {
		if !own[ino] {
			return fmt.Errorf("%w: a process other than pid %d listens on port %d", errPortTaken, pid, port)
		}
	}
	return nil
}

// listeners returns the inodes of the TCP sockets listening on port at
// 127.0.0.1, 0.0.0.0, :: or their IPv4-mapped forms, from /proc/net/tcp
// and /proc/net/tcp6.
func listeners(port int) ([]uint64, error) {
	var out []uint64
	for _, f := range []struct {
		path  string
		addrs []string
	}{
		{"/proc/net/tcp", []string{"0100007F", "00000000"}},
		{"/proc/net/tcp6", []string{
			"00000000000000000000000000000000",
			"0000000000000000FFFF00000100007F",
			"0000000000000000FFFF000000000000",
		}},
	} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && f.path == "/proc/net/tcp6" {
				continue // no IPv6
			}
			return nil, err
		}
		out = append(out, parseListeners(string(data), port, f.addrs)...)
	}
	return out, nil
}

// parseListeners picks the LISTEN sockets on port at one of addrs (hex, as
// /proc/net/tcp writes them) from a /proc/net/tcp{,6} table.
func parseListeners(table string, port int, addrs []string) []uint64 {
	var out []uint64
	wantPort := fmt.Sprintf("%04X", port)
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" { // 0A: TCP_LISTEN
			continue
		}
		host, p, ok := strings.Cut(f[1], ":")
		if !ok || p != wantPort || !slices.Contains(addrs, strings.ToUpper(host)) {
			continue
		}
		if ino, err := strconv.ParseUint(f[9], 10, 64); err == nil && ino != 0 {
			out = append(out, ino)
		}
	}
	return out
}

// socketInodes returns the inodes of the sockets process pid has open.
func socketInodes(pid int) (map[uint64]bool, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	own := map[uint64]bool{}
	for _, e := range ents {
		link, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		if s, ok := strings.CutPrefix(link, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				own[ino] = true
			}
		}
	}
	return own, nil
}
