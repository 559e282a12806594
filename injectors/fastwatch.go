package injectors

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// beginWait marks the start of a wait for the upstream.
func (f *fastConn) beginWait() {
	f.waitStart = time.Now()
	f.mu.Lock()
	f.exchanges++
	f.waiting = f.exchanges
	f.mu.Unlock()
}

// look starts a hang-up watch when the exchange that waited at the
// watchdog's previous look still waits.
func (f *fastConn) look() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiting != 0 && f.waiting == f.seen && f.watching == nil {
		f.watching, f.stopWatch = make(chan struct{}), false
		go f.watch(f.watching)
	}
	f.seen = f.waiting
}

// watchdog looks at the fast path's connections every watchTick while
// there are any, until the proxy closes.
func (p *Proxy) watchdog() {
	defer p.wg.Done()
	var t *time.Ticker
	for {
		p.life.Lock()
		idle := len(p.fast) == 0
		p.life.Unlock()
		if idle {
			if t != nil {
				t.Stop()
				t = nil
			}
			select {
			case <-p.lifeCtx.Done():
				return
			case <-p.connected:
			}
			continue
		}
		if t == nil {
			t = time.NewTicker(watchTick)
		}
		select {
		case <-p.lifeCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		p.life.Lock()
		for f := range p.fast {
			f.look()
		}
		p.life.Unlock()
	}
}

// endWait ends the wait and the hang-up watch, if one runs; it reports
// whether the client left meanwhile.
func (f *fastConn) endWait() bool {
	f.mu.Lock()
	done := f.watching
	f.watching, f.waiting, f.cancelDial = nil, 0, nil
	if done != nil {
		// Under the lock, so the watch cannot clear it after this.
		f.stopWatch = true
		_ = f.c.SetReadDeadline(aLongTimeAgo)
	}
	f.mu.Unlock()
	if done != nil {
		<-done
		f.deadlineSet = time.Time{} // nextHead sets the idle deadline again
	} else if time.Since(f.waitStart) > peekAfter && f.clientClosed() {
		f.left.Store(true)
	}
	return f.left.Load()
}

// clientClosed reports whether the client has closed its side (or reset
// the connection), without blocking or consuming anything: a client that
// sent more (a pipelined request) is still there.
func (f *fastConn) clientClosed() bool {
	raw, err := f.c.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	_ = raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = err == nil && n == 0 || err != nil && err != syscall.EAGAIN && err != syscall.EINTR
	})
	return closed
}

// watch reads the client connection while the exchange waits. A byte is
// the start of a pipelined request (kept for later); an end or an error
// other than the deadline endWait sets means the client left, and the
// upstream wait is cut short.
//
// The watch clears the connection's idle deadline (and any deadline it
// meets that endWait did not set) so that it lasts as long as the wait.
func (f *fastConn) watch(done chan struct{}) {
	defer close(done)
	var b [1]byte
	for {
		f.mu.Lock()
		if f.stopWatch {
			f.mu.Unlock()
			return
		}
		_ = f.c.SetReadDeadline(time.Time{})
		f.mu.Unlock()
		n, err := f.c.Read(b[:])
		switch {
		case n > 0:
			f.pending = append(f.pending, b[0])
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue // endWait's (the loop ends) or a stale one
		case err != nil:
			f.left.Store(true)
			f.mu.Lock()
			if f.cancelDial != nil {
				f.cancelDial()
			}
			f.mu.Unlock()
			if c := f.up.Load(); c != nil {
				c.poison()
			}
			return
		}
	}
}
