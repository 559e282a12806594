package harness

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Ports hands out free 127.0.0.1 ports and remembers them until they are
// released, so that a port owned by a live or crashed target is never handed
// out twice and a restarted target can bind its old address again.
//
// Ports are drawn at random from below the kernel's ephemeral range
// (ip_local_port_range), so that no outgoing connection can take a crashed
// target's port as its source port while the target is down. It is safe for
// concurrent use.
type Ports struct {
	mu     sync.Mutex
	taken  map[int]bool
	rng    *mrand.Rand
	lo, hi int // draw from [lo, hi); empty range: let the kernel pick
}

// NewPorts returns an empty allocator drawing from [15000, start of the
// ephemeral range).
func NewPorts() *Ports {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	lo, hi := 15000, ephemeralLow()
	if hi-lo < 1000 {
		lo, hi = 0, 0
	}
	return &Ports{taken: map[int]bool{}, rng: mrand.New(mrand.NewChaCha8(seed)), lo: lo, hi: hi}
}

// NewPortsRand is NewPorts with the caller's random source (for tests).
func NewPortsRand(seed uint64) *Ports {
	p := NewPorts()
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	p.rng = mrand.New(mrand.NewChaCha8(b))
	return p
}

// ephemeralLow reads the low end of the kernel's ephemeral port range,
// 32768 when unknown.
func ephemeralLow() int {
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

// sharedPorts is the allocator every backend of this process uses unless
// Options.Ports says otherwise: scenarios running side by side in one
// harness must not hand out each other's ports.
var sharedPorts = NewPorts()

// Allocate returns a port on 127.0.0.1 that was free a moment ago and that
// no caller holds.
func (p *Ports) Allocate() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 128 {
		port := 0
		if p.hi > p.lo {
			port = p.lo + p.rng.IntN(p.hi-p.lo)
			if p.taken[port] {
				continue
			}
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			if port != 0 {
				continue // in use by someone else: draw again
			}
			return 0, fmt.Errorf("allocate port: %w", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !p.taken[port] {
			p.taken[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("allocate port: no free port after 128 tries")
}

// Release gives ports back.
func (p *Ports) Release(ports ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, port := range ports {
		delete(p.taken, port)
	}
}

// Held reports whether port is currently handed out.
func (p *Ports) Held(port int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken[port]
}
