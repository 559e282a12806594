package injectors

import (
	"bufio"
	"io"
	"net"
	"sync/atomic"
)

// handOff gives a client connection to http.Server.
func (p *Proxy) handOff(c net.Conn) {
	select {
	case p.handoff.conns <- c:
	case <-p.handoff.done:
		_ = c.Close()
	}
}

// replayConn is a client connection handed to http.Server: what the fast
// path buffered is read first.
type replayConn struct {
	*net.TCPConn
	br      *bufio.Reader
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return c.br.Read(p)
		}
		c.br = nil
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.TCPConn.Read(p)
}

// handoffListener feeds http.Server the connections the fast path hands
// over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  func()
}

func newHandoffListener(addr net.Addr) *handoffListener {
	l := &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
	var closed atomic.Bool
	l.once = func() {
		if closed.CompareAndSwap(false, true) {
			close(l.done)
		}
	}
	return l
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error { l.once(); return nil }

func (l *handoffListener) Addr() net.Addr { return l.addr }

// WriteTo copies what was buffered, then the connection (io.Copy would
// otherwise take *net.TCPConn's WriteTo and skip the buffer).
func (c *replayConn) WriteTo(w io.Writer) (int64, error) {
	var n int64
	if c.br != nil {
		b, _ := c.br.Peek(c.br.Buffered())
		m, err := w.Write(b)
		n += int64(m)
		c.br = nil
		if err != nil {
			return n, err
		}
	}
	if len(c.pending) > 0 {
		m, err := w.Write(c.pending)
		n += int64(m)
		c.pending = nil
		if err != nil {
			return n, err
		}
	}
	m, err := c.TCPConn.WriteTo(w)
	return n + m, err
}
