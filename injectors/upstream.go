package injectors

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// upstream is a small HTTP/1.1 client for the one server behind the proxy:
// a pool of keep-alive connections, requests written exactly as given (Host
// included), and responses read in the handler's goroutine so that a plain
// body can be spliced from the upstream socket to the client socket
// without passing through user space. net/http's Transport hides its
// connections, which rules the splice out.
type upstream struct {
	scheme, addr, serverName string
	dialer                   net.Dialer

	mu     sync.Mutex
	idle   []*upConn
	closed bool
}

const (
	maxIdleConns = 64
	idleTimeout  = 30 * time.Second
	upBufSize    = 64 << 10
	// MaxResponseHead caps the status line and headers of an upstream
	// answer (informational 1xx answers before it included): a larger head
	// is answered 502 (see ErrUpstreamHeadTooLarge).
	MaxResponseHead = 1 << 20
)

// Errors of an upstream exchange that the proxy answers itself.
var (
	// errHeadTooLarge: the upstream's response head passed
	// MaxResponseHead.
	errHeadTooLarge = errors.New("upstream response head larger than 1 MiB")
	// errUnaskedUpgrade: the upstream switched protocols (101) though the
	// proxy never forwards an Upgrade request.
	errUnaskedUpgrade = errors.New("upstream answered 101 Switching Protocols unasked")
)

// requestBodyError is the client's request body failing while it was
// copied upstream: malformed chunked encoding, or a body cut short.
type requestBodyError struct{ err error }

func (e *requestBodyError) Error() string { return "read request body: " + e.err.Error() }

func (e *requestBodyError) Unwrap() error { return e.err }

// upConn is one connection to the upstream.
type upConn struct {
	net.Conn
	head      headLimit // what br reads through
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
	// raw, peekFn and peerState serve probe; nil raw: not TCP.
	raw       syscall.RawConn
	peekFn    func(fd uintptr) bool
	peerState int
	poisonFn  func() // poison, bound once
}

// poison makes every blocked read and write on the connection return.
func (c *upConn) poison() { _ = c.SetDeadline(aLongTimeAgo) }

// send writes req and flushes it.
func (c *upConn) send(req *http.Request) error {
	if err := req.Write(c.bw); err != nil {
		return err
	}
	return c.bw.Flush()
}

// headLimit lets at most n more bytes through while a response head is
// read (n < 0: no limit), so a hostile upstream cannot make the proxy
// buffer headers without end.
type headLimit struct {
	r io.Reader
	n int64
}

func (l *headLimit) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// sourceBody records an error reading the request body from the client,
// to tell it from an error writing it upstream.
type sourceBody struct {
	rc  io.ReadCloser
	err error
}

func (b *sourceBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *sourceBody) Close() error { return b.rc.Close() }

func newUpstream(scheme, host string) *upstream {
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := "80"
		if scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(host, port)
	}
	name, _, _ := net.SplitHostPort(addr)
	return &upstream{scheme: scheme, addr: addr, serverName: name,
		dialer: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}}
}

// peer states of a connection, seen by a non-blocking MSG_PEEK.
const (
	peerOpen   = iota // open, nothing to read
	peerData          // open, with bytes waiting
	peerClosed        // EOF, reset or any other error
)

// probe tells the state of the connection's peer without blocking or
// consuming anything.
func (c *upConn) probe() int {
	if c.raw == nil {
		if _, tcp := c.Conn.(*net.TCPConn); tcp {
			return peerClosed // SyscallConn failed at dial
		}
		return peerOpen
	}
	c.peerState = peerClosed
	if err := c.raw.Read(c.peekFn); err != nil {
		return peerClosed
	}
	return c.peerState
}

// peek is probe's non-blocking MSG_PEEK, bound once per connection (as
// peekFn) so that a probe allocates nothing.
func (c *upConn) peek(fd uintptr) bool {
	var buf [1]byte
	n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
		c.peerState = peerOpen
	case err == nil && n > 0:
		c.peerState = peerData
	}
	return true
}

// alive reports whether an idle connection can take a request: open, and
// no bytes nobody asked for.
func (c *upConn) alive() bool { return c.probe() == peerOpen }

// get returns an idle live connection, or dials a new one.
func (u *upstream) get(ctx context.Context) (c *upConn, reused bool, err error) {
	if c := u.idleConn(); c != nil {
		return c, true, nil
	}
	c, err = u.dial(ctx)
	return c, false, err
}

// idleConn returns an idle live connection, or nil.
func (u *upstream) idleConn() *upConn {
	for {
		u.mu.Lock()
		if len(u.idle) == 0 {
			u.mu.Unlock()
			return nil
		}
		c := u.idle[len(u.idle)-1]
		u.idle = u.idle[:len(u.idle)-1]
		u.mu.Unlock()
		if time.Since(c.idleSince) < idleTimeout && c.alive() {
			return c
		}
		_ = c.Close()
	}
}

func (u *upstream) dial(ctx context.Context) (*upConn, error) {
	conn, err := u.dialer.DialContext(ctx, "tcp", u.addr)
	if err != nil {
		return nil, err
	}
	if u.scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.serverName})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		conn = tc
	}
	c := &upConn{Conn: conn, head: headLimit{r: conn, n: -1}, bw: bufio.NewWriterSize(conn, upBufSize)}
	c.br = bufio.NewReaderSize(&c.head, upBufSize)
	if tc, ok := conn.(*net.TCPConn); ok {
		if raw, err := tc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	c.peekFn = c.peek
	c.poisonFn = c.poison
	return c, nil
}

// put returns a connection to the pool, or closes it.
func (u *upstream) put(c *upConn) {
	c.idleSince = time.Now()
	u.mu.Lock()
	if !u.closed && len(u.idle) < maxIdleConns {
		u.idle = append(u.idle, c)
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	_ = c.Close()
}

// close closes the idle connections; connections in use are closed when
// their exchange ends.
func (u *upstream) close() {
	u.mu.Lock()
	u.closed = true
	idle := u.idle
	u.idle = nil
	u.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// upResponse is an upstream answer bound to the connection it arrived on.
// The exchange must call release exactly once.
type upResponse struct {
	*http.Response
	u         *upstream
	conn      *upConn
	writeDone chan struct{} // closed when a request writer running apart ends
	writeErr  error         // its result, once writeDone is closed
	bodyErr   error         // the client's body failed (read once writeDone is closed)
	stop      func() bool
	// consumed is set when the body was read to its end, so the
	// connection is positioned at the next response.
	consumed bool
}

// idempotent are the methods roundTrip may send twice.
var idempotent = map[string]bool{"GET": true, "HEAD": true, "OPTIONS": true, "TRACE": true, "DELETE": true}

// aLongTimeAgo is a deadline that makes blocked I/O return at once.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip writes req (Host and headers as they are) and reads the
// response head. An idempotent request without a body that fails on a
// reused connection (closed by the upstream while idle) is tried once more
// on a fresh one.
func (u *upstream) roundTrip(ctx context.Context, req *http.Request) (*upResponse, error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := u.get(ctx)
		if err != nil {
			return nil, err
		}
		r, err := u.exchange(ctx, c, req)
		if err == nil {
			return r, nil
		}
		answered := errors.Is(err, errHeadTooLarge) || errors.Is(err, errUnaskedUpgrade) // not a stale connection
		if reused && req.Body == nil && idempotent[req.Method] && attempt == 0 && ctx.Err() == nil && !answered {
			continue
		}
		return nil, err
	}
}

func (u *upstream) exchange(ctx context.Context, c *upConn, req *http.Request) (*upResponse, error) {
	// Cancelling ctx (client gone, proxy closing) unblocks every read and
	// write on the connection.
	stop := context.AfterFunc(ctx, c.poisonFn)
	r := &upResponse{u: u, conn: c, stop: stop}
	if req.Body == nil {
		if err := c.send(req); err != nil {
			stop()
			_ = c.Close()
			return nil, fmt.Errorf("write request: %w", err)
		}
	} else {
		// A body is written while the answer is read, as a server may
		// answer (and stop reading) before the body is through.
		src := &sourceBody{rc: req.Body}
		req.Body = src
		r.writeDone = make(chan struct{})
		go func() {
			defer close(r.writeDone)
			r.writeErr = c.send(req)
			if src.err != nil {
				// The client's body broke: the upstream holds half a
				// request and would wait for the rest. Closing the
				// connection ends that, and the read of the answer.
				r.bodyErr = src.err
				_ = c.Close()
			}
		}()
	}
	c.head.n = MaxResponseHead // for every head up to the final one
	resp, err := readFinal(c, req)
	if err != nil {
		r.release()
		if r.bodyErr != nil {
			return nil, &requestBodyError{err: r.bodyErr}
		}
		return nil, err
	}
	c.head.n = -1
	r.Response = resp
	if req.Method == http.MethodHead || resp.ContentLength == 0 {
		r.consumed = true
	}
	return r, nil
}

// readFinal reads the final response head from c, skipping informational
// (1xx) ones; an unasked 101 is an error.
func readFinal(c *upConn, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			if errors.Is(err, errHeadTooLarge) {
				return nil, err
			}
			return nil, fmt.Errorf("read response: %w", err)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, errUnaskedUpgrade
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			continue // 100 Continue and friends: the final answer follows
		}
		return resp, nil
	}
}

// release ends the exchange: the connection goes back to the pool when
// the body was read to its end, the request was fully written and nobody
// cancelled; otherwise it is closed.
func (r *upResponse) release() {
	reusable := r.Response != nil && r.consumed && !r.Response.Close
	if !r.stop() {
		reusable = false // the deadline was poisoned
	}
	if r.writeDone != nil {
		if !reusable {
			_ = r.conn.Close() // unblocks a writer still copying the body
		}
		<-r.writeDone
		if r.writeErr != nil {
			reusable = false
		}
	}
	r.u.release(r.conn, reusable)
}

// spliceBody copies the rest of a Content-Length body to w, through the
// kernel (splice) when both ends are TCP sockets. It returns the bytes
// written and whether the upstream ended early.
func (r *upResponse) spliceBody(w io.Writer) (n int64, upstreamErr, clientErr error) {
	left := r.ContentLength
	if buffered := min(int64(r.conn.br.Buffered()), left); buffered > 0 {
		b, _ := r.conn.br.Peek(int(buffered))
		wn, err := w.Write(b)
		n += int64(wn)
		_, _ = r.conn.br.Discard(int(buffered))
		left -= buffered
		if err != nil {
			return n, nil, err
		}
	}
	if left == 0 {
		r.consumed = true
		return n, nil, nil
	}
	lr := &io.LimitedReader{R: r.conn.Conn, N: left}
	var err error
	var m int64
	if rf, ok := w.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(lr)
	} else {
		m, err = io.Copy(w, lr)
	}
	n += m
	if lr.N == 0 {
		r.consumed = true
		return n, nil, err
	}
	if err == nil {
		// The upstream closed before the declared length.
		return n, io.ErrUnexpectedEOF, nil
	}
	// One error for both ends: the upstream is to blame when its socket is
	// gone.
	if r.conn.probe() == peerClosed {
		return n, err, nil
	}
	return n, nil, err
}

// canSplice reports whether the body can take the splice path: a plain
// TCP upstream and a Content-Length body.
func (r *upResponse) canSplice() bool {
	_, tcp := r.conn.Conn.(*net.TCPConn)
	return tcp && r.ContentLength > 0 && len(r.TransferEncoding) == 0 && !r.consumed
}
