package harness

import (
	"fmt"
	"net"
	"sync"
)

// Ports hands out free 127.0.0.1 ports and remembers them until they are
// released, so that a port owned by a live or crashed target is never handed
// out twice and a restarted target can bind its old address again. It is
// safe for concurrent use.
type Ports struct {
	mu    sync.Mutex
	taken map[int]bool
}

// NewPorts returns an empty allocator.
func NewPorts() *Ports { return &Ports{taken: map[int]bool{}} }

// sharedPorts is the allocator every backend of this process uses unless
// Options.Ports says otherwise: scenarios running side by side in one
// harness must not hand out each other's ports.
var sharedPorts = NewPorts()

// Allocate returns a port on 127.0.0.1 that was free a moment ago and that
// no caller holds.
func (p *Ports) Allocate() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 64 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("allocate port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !p.taken[port] {
			p.taken[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("allocate port: no free port after 64 tries")
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
