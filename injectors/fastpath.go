package injectors

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The fast path serves plain exchanges without net/http's server.
//
// http.Server does work per request that forwarding a plain request does
// not need: a goroutine that reads ahead to notice a client that leaves, a
// context, deadlines, a parsed and re-serialised head. On two cores that
// costs a small GET about 0.2× of its direct time (docs/benchmarks.md).
// So the proxy reads each client connection itself first. A request whose
// head arrived whole, HTTP/1.1, without a body, hop-by-hop fields, Expect
// or Upgrade, that no armed rule matches, is forwarded as the bytes it came
// in; an answer with a Content-Length and no hop-by-hop fields but
// Connection and Keep-Alive goes back the same way (those two removed, a
// Date added when missing). Any other answer to such a request is parsed
// and re-framed as http.Server would (chunked when its length is unknown).
//
// Anything else — a rule that matches, a request body, a head in pieces,
// an odd field — and the connection goes to http.Server for the rest of
// its life with the request unread, so every fault and every edge case
// runs the code it always ran.

const (
	// fastBufSize is the client read buffer: a request head must fit in
	// it, whole in what has arrived, to take the fast path.
	fastBufSize = 16 << 10
	// fastIdleTimeout closes a connection that sends nothing for this
	// long between requests (http.Server's IdleTimeout).
	fastIdleTimeout = 2 * time.Minute
	// deadlineSlack is how stale the idle deadline may get before it is
	// set again: setting it on every request costs a timer update, so
	// the idle timeout is between fastIdleTimeout-deadlineSlack and
	// fastIdleTimeout.
	deadlineSlack = 10 * time.Second
	// watchTick: while the fast path has connections, a watchdog looks
	// this often for exchanges that have waited for the upstream since
	// its previous look, and starts a hang-up watch on each (a goroutine
	// reading the client connection): after the first 250–500 ms of a
	// wait, a client that leaves is noticed at once and the upstream
	// request abandoned. Before that, an exchange that waited more than
	// peekAfter asks the client socket, once the answer is in, whether the
	// client is still there (one non-blocking MSG_PEEK).
	//
	// http.Server reads ahead on every request instead, which costs a
	// goroutine and several thread wake-ups each time; a runtime timer per
	// request costs about as much (arming one wakes a thread), and so does
	// a wait in poll(2) (the runtime wakes a thread to poll the network in
	// its place). A tick costs about five context switches, whatever the
	// load, and none while no client is connected.
	watchTick = 250 * time.Millisecond
	peekAfter = 5 * time.Millisecond
)

// fastConn is one client connection while the fast path serves it.
type fastConn struct {
	p  *Proxy
	c  *net.TCPConn
	br *bufio.Reader
	bw *bufio.Writer
	// up is the upstream connection in use, for Close and the hang-up
	// watch to poison.
	up          atomic.Pointer[upConn]
	deadlineSet time.Time

	waitStart  time.Time // when the current wait for the upstream began
	mu         sync.Mutex
	stopWatch  bool               // endWait ended the watch
	cancelDial context.CancelFunc // cancels a dial in progress; nil: none
	waiting    uint64             // the number of the exchange waiting for the upstream; 0: none
	seen       uint64             // what the watchdog saw at its previous look
	exchanges  uint64             // exchanges so far
	watching   chan struct{}      // closed when the hang-up watch ends; nil: none
	left       atomic.Bool        // the watch saw the client leave
	// pending holds what the watch read: the start of a pipelined request,
	// read before the connection (see src).
	pending []byte
}

// src is what br reads: pending first, then the connection.
type src struct{ f *fastConn }

func (s src) Read(b []byte) (int, error) {
	if f := s.f; len(f.pending) > 0 {
		n := copy(b, f.pending)
		f.pending = f.pending[n:]
		return n, nil
	}
	return s.f.c.Read(b)
}

// fastReq is what the fast path reads from a request head.
type fastReq struct {
	method string
	url    *url.URL
	host   []byte
	// the first value of each field the journal reads
	rangeH, sdkID, idemKey, opID []byte
	hasRange, hasSDK, hasIdem    bool
	hasOp                        bool
}

// accept takes client connections and serves each on the fast path until
// it hands them to http.Server.
func (p *Proxy) accept() {
	defer p.wg.Done()
	var delay time.Duration
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.isClosed() {
				return
			}
			// As http.Server does: back off on an accept error (EMFILE)
			// rather than spin.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		tc, ok := c.(*net.TCPConn)
		if !ok || !p.fastOK {
			p.handOff(c)
			continue
		}
		f := &fastConn{p: p, c: tc}
		if !p.trackFast(f) {
			_ = c.Close()
			continue
		}
		go f.serve()
	}
}

func (p *Proxy) isClosed() bool {
	p.life.Lock()
	defer p.life.Unlock()
	return p.closed
}

// trackFast registers f so Close can end it; false when closing.
func (p *Proxy) trackFast(f *fastConn) bool {
	p.life.Lock()
	defer p.life.Unlock()
	if p.closed {
		return false
	}
	p.fast[f] = struct{}{}
	p.wg.Add(1)
	if len(p.fast) == 1 {
		select {
		case p.connected <- struct{}{}: // the watchdog starts ticking
		default:
		}
	}
	return true
}

func (p *Proxy) untrackFast(f *fastConn) {
	p.life.Lock()
	delete(p.fast, f)
	p.life.Unlock()
}

// abort ends the connection for Close: the client connection is closed and
// the upstream one in use stops blocking.
func (f *fastConn) abort() {
	_ = f.c.Close()
	if c := f.up.Load(); c != nil {
		c.poison()
	}
}

// serve runs the fast loop on one connection.
func (f *fastConn) serve() {
	p := f.p
	handed := false
	defer func() {
		if v := recover(); v != nil {
			// As net/http's server does: log, and close only this
			// connection.
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			p.srv.ErrorLog.Printf("injectors: panic serving %v: %v\n%s", f.c.RemoteAddr(), v, buf)
			if c := f.up.Load(); c != nil {
				_ = c.Close()
			}
		}
		p.untrackFast(f)
		if !handed {
			_ = f.c.Close()
		}
		p.wg.Done()
	}()
	f.br = bufio.NewReaderSize(src{f}, fastBufSize)
	f.bw = bufio.NewWriterSize(f.c, fastBufSize)
	for {
		head, ok, err := f.nextHead()
		if err != nil {
			return
		}
		var q fastReq
		if ok {
			ok = parseFastHead(head, &q) && !p.wouldMatch(&q, head)
		}
		if !ok {
			handed = true
			p.handOff(&replayConn{TCPConn: f.c, br: f.br, pending: f.pending})
			return
		}
		if !f.exchange(head, &q) {
			return
		}
	}
}

// nextHead waits for the next request and returns its head, still unread
// in br; ok is false when what arrived is not a whole head.
func (f *fastConn) nextHead() (head []byte, ok bool, err error) {
	if now := time.Now(); now.Sub(f.deadlineSet) > deadlineSlack {
		_ = f.c.SetReadDeadline(now.Add(fastIdleTimeout))
		f.deadlineSet = now
	}
	if _, err := f.br.Peek(1); err != nil {
		return nil, false, err
	}
	b, _ := f.br.Peek(f.br.Buffered())
	end := headEnd(b)
	if end <= 0 {
		return nil, false, nil
	}
	return b[:end], true, nil
}

// wouldMatch reports whether an armed rule matches the request (the slow
// path then picks and counts it).
func (p *Proxy) wouldMatch(q *fastReq, head []byte) bool {
	s := p.rules.Load()
	if s == nil || len(s.rules) == 0 {
		return false
	}
	req := &http.Request{Method: q.method, URL: q.url, Host: string(q.host)}
	if s.needsHeaders {
		req.Header = http.Header{}
		eachLine(head, func(line []byte) bool {
			colon := bytes.IndexByte(line, ':')
			req.Header.Add(string(line[:colon]), string(trimBlanks(line[colon+1:])))
			return true
		})
	}
	var buf [16]int
	return len(s.matching(req, buf[:0])) > 0
}

// exchange forwards one request and delivers its answer; false when the
// connection must close.
func (f *fastConn) exchange(head []byte, q *fastReq) bool {
	e := f.p.newEntry(q.method, q.url.Path)
	keep := f.forward(head, q, &e)
	f.finish(&e, q)
	return keep
}

// finish completes the entry and writes it to the journal.
func (f *fastConn) finish(e *Entry, q *fastReq) {
	if f.p.readers() {
		e.Range = string(q.rangeH)
		op := ""
		for _, v := range [][]byte{q.sdkID, q.idemKey, q.opID} { // opHeaders' order
			if len(v) > 0 {
				op = string(v)
				break
			}
		}
		e.describe(q.url.RawQuery, op)
	}
	f.p.record(e)
}

// gone notes why the client connection failed.
func (f *fastConn) gone(e *Entry) {
	e.Delivered = false
	if f.p.isClosed() {
		e.Error = ErrProxyClosed
	} else {
		e.Error = ErrClientGone
	}
}

// reset sends the client a TCP RST, as a dead server would.
//
// What was written of the answer goes first, as net/http's server flushes
// before a hijack: the client sees the cut where it happened.
func (f *fastConn) reset(e *Entry, reason string) {
	e.Error, e.Delivered = reason, false
	_ = f.bw.Flush()
	_ = f.c.SetLinger(0)
}

// forward sends the head upstream and delivers the answer. An idempotent
// request that fails on a reused connection before any answer (closed by
// the upstream while idle) is tried once more on a fresh one.
func (f *fastConn) forward(head []byte, q *fastReq, e *Entry) bool {
	p := f.p
	for attempt := 0; ; attempt++ {
		f.beginWait()
		c, reused, err := f.upConn()
		if err != nil {
			if f.endWait() || p.isClosed() {
				f.gone(e)
			} else {
				f.reset(e, ErrUpstreamDown)
			}
			return false
		}
		f.up.Store(c)
		if p.isClosed() {
			c.poison()
		}
		c.head.n = MaxResponseHead
		_, err = c.Conn.Write(head)
		var rh []byte
		simple := false
		if err == nil {
			rh, simple, err = peekResponseHead(c.br)
		}
		if f.endWait() {
			// The client left while the upstream thought: its request is
			// abandoned upstream too, as http.Server would cancel it.
			f.up.Store(nil)
			_ = c.Close()
			f.gone(e)
			return false
		}
		if err != nil {
			f.up.Store(nil)
			_ = c.Close()
			if p.isClosed() {
				f.gone(e)
				return false
			}
			if reused && attempt == 0 && idempotent[q.method] && !errors.Is(err, errHeadTooLarge) {
				continue
			}
			if errors.Is(err, errHeadTooLarge) {
				f.refuse(e, q, http.StatusBadGateway, ErrUpstreamHeadTooLarge)
				return false
			}
			f.reset(e, ErrUpstreamDown)
			return false
		}
		_, _ = f.br.Discard(len(head))
		var keep bool
		if simple {
			keep = f.deliverRaw(c, rh, q, e)
		} else {
			keep = f.deliverParsed(c, q, e)
		}
		f.up.Store(nil)
		return keep
	}
}

// upConn returns an idle upstream connection, or dials one with a context
// a hang-up watch can cancel.
func (f *fastConn) upConn() (c *upConn, reused bool, err error) {
	if c := f.p.up.idleConn(); c != nil {
		return c, true, nil
	}
	ctx, cancel := context.WithCancel(f.p.lifeCtx)
	defer cancel()
	f.mu.Lock()
	f.cancelDial = cancel
	f.mu.Unlock()
	c, err = f.p.up.dial(ctx)
	f.mu.Lock()
	f.cancelDial = nil
	f.mu.Unlock()
	return c, false, err
}

// deliverRaw passes a response on as it came: head lines as they are
// (less Connection and Keep-Alive), the body spliced.
func (f *fastConn) deliverRaw(c *upConn, rh []byte, q *fastReq, e *Entry) bool {
	var h respHead
	noBody := q.method == http.MethodHead
	if !readRespHead(rh, &h) {
		return f.deliverParsed(c, q, e)
	}
	if h.code == http.StatusNoContent || h.code == http.StatusNotModified || h.length < 0 && !noBody {
		// Fields net/http's server suppresses, or a body that is chunked
		// or close-delimited.
		return f.deliverParsed(c, q, e)
	}
	now := f.p.now()
	e.UpstreamStatus, e.Status = h.code, h.code
	if h.retryText != nil {
		e.RetryAfterMS = retryAfterMS(string(h.retryText), now)
	}
	if !h.strip && h.hasDate && h.statusOK {
		_, _ = f.bw.Write(rh)
	} else {
		f.writeHeadLines(rh, &h, now)
	}
	_, _ = c.br.Discard(len(rh))
	c.head.n = -1

	consumed := noBody || h.length == 0
	if !consumed {
		r := upResponse{Response: &http.Response{ContentLength: h.length}, conn: c}
		n, upErr, clientErr := r.spliceBody(f.bw)
		e.BytesOut = n
		consumed = r.consumed
		switch {
		case clientErr != nil:
			f.gone(e)
		case upErr != nil:
			if f.p.isClosed() {
				f.gone(e)
			} else {
				f.reset(e, ErrUpstreamDown)
			}
		}
		if clientErr != nil || upErr != nil {
			_ = c.Close()
			return false
		}
	}
	if err := f.bw.Flush(); err != nil {
		f.gone(e)
		f.up.Store(nil)
		f.p.up.release(c, consumed && !h.upClose)
		return false
	}
	e.Delivered = true
	f.p.up.release(c, consumed && !h.upClose)
	return true
}

// writeHeadLines writes a response head line by line: the status line with
// net/http's reason phrase, no Connection or Keep-Alive, a Date when none.
func (f *fastConn) writeHeadLines(rh []byte, h *respHead, now time.Time) {
	w := f.bw
	if h.statusOK {
		_, _ = w.Write(rh[:bytes.IndexByte(rh, '\n')+1])
	} else {
		writeStatusLine(w, h.code)
	}
	var buf [32]byte
	eachLine(rh, func(line []byte) bool {
		if name, _, _ := field(line, &buf); name != "connection" && name != "keep-alive" {
			_, _ = w.Write(line)
			_, _ = w.WriteString("\r\n")
		}
		return true
	})
	if !h.hasDate {
		_, _ = w.WriteString("Date: ")
		_, _ = w.Write(now.UTC().AppendFormat(nil, http.TimeFormat))
		_, _ = w.WriteString("\r\n")
	}
	_, _ = w.WriteString("\r\n")
}

// release returns c to the pool when reusable and nothing unasked waits on
// it; otherwise it closes it.
func (u *upstream) release(c *upConn, reusable bool) {
	if reusable && c.br.Buffered() == 0 {
		u.put(c)
		return
	}
	_ = c.Close()
}

// countedBody counts the bytes read from a response body and keeps the
// error that ended it early.
type countedBody struct {
	io.ReadCloser
	n   int64
	err error
}

// Close does not close the body: net/http's would read it to its end (to
// reuse the connection), and Response.Write closes it when a write to the
// client fails. The exchange closes the upstream connection instead.
func (b *countedBody) Close() error { return nil }

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// suppressed are the fields net/http's server leaves out of an answer of
// the code (it has no body).
func suppressed(code int) []string {
	switch {
	case code == http.StatusNotModified:
		return []string{"Content-Type", "Content-Length", "Transfer-Encoding"}
	case !bodyAllowed(code):
		return []string{"Content-Length", "Transfer-Encoding"}
	}
	return nil
}

// deliverParsed delivers an answer the fast path does not pass on as it
// came: parsed by net/http, re-framed (chunked when its length is
// unknown), hop-by-hop fields removed, as http.Server would.
func (f *fastConn) deliverParsed(c *upConn, q *fastReq, e *Entry) bool {
	req := &http.Request{Method: q.method, URL: q.url}
	resp, err := readFinal(c, req)
	if err != nil {
		_ = c.Close()
		switch {
		case f.p.isClosed():
			f.gone(e)
		case errors.Is(err, errHeadTooLarge):
			f.refuse(e, q, http.StatusBadGateway, ErrUpstreamHeadTooLarge)
		case errors.Is(err, errUnaskedUpgrade):
			f.refuse(e, q, http.StatusBadGateway, ErrUpstreamUpgrade)
		default:
			f.reset(e, ErrUpstreamDown)
		}
		return false
	}
	c.head.n = -1
	now := f.p.now()
	e.UpstreamStatus, e.Status = resp.StatusCode, resp.StatusCode
	e.RetryAfterMS = retryAfterMS(resp.Header.Get("Retry-After"), now)
	removeHop(resp.Header)
	if _, ok := resp.Header["Date"]; !ok {
		resp.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	upClose := resp.Close
	if req.Method == http.MethodHead || !bodyAllowed(resp.StatusCode) {
		// No body: the head as net/http's server writes it, not as
		// Response.Write would (it adds Connection: close to a HEAD
		// answer of unknown length).
		for _, k := range suppressed(resp.StatusCode) {
			resp.Header.Del(k)
		}
		writeStatusLine(f.bw, resp.StatusCode)
		_ = resp.Header.Write(f.bw)
		_, _ = f.bw.WriteString("\r\n")
		if f.bw.Flush() != nil {
			_ = c.Close()
			f.gone(e)
			return false
		}
		e.Delivered = true
		f.p.up.release(c, !upClose)
		return true
	}
	resp.Proto, resp.ProtoMajor, resp.ProtoMinor, resp.Close, resp.Status = "HTTP/1.1", 1, 1, false, ""
	body := &countedBody{ReadCloser: resp.Body}
	resp.Body = body
	if resp.ContentLength < 0 && len(resp.Trailer) == 0 {
		// net/http's server sends the length of a body that ended within
		// its 2 KiB buffer, and chunks a longer one.
		small := make([]byte, 2048)
		n, _ := io.ReadFull(body, small)
		if body.err == nil && n < len(small) {
			resp.ContentLength = int64(n)
			resp.Body = io.NopCloser(bytes.NewReader(small[:n]))
		} else {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(small[:n]), body), body}
		}
	}
	if resp.ContentLength < 0 {
		resp.TransferEncoding = []string{"chunked"}
	} else {
		resp.TransferEncoding = nil
	}
	err = resp.Write(f.bw)
	e.BytesOut = body.n
	if err == nil {
		err = f.bw.Flush()
	}
	if err != nil {
		_ = c.Close()
		if body.err != nil && !f.p.isClosed() {
			f.reset(e, ErrUpstreamDown) // the upstream died mid-body
		} else {
			f.gone(e)
		}
		return false
	}
	e.Delivered = true
	f.p.up.release(c, !upClose)
	return true
}

// refuse answers an error of the proxy's own and closes the connection.
func (f *fastConn) refuse(e *Entry, q *fastReq, code int, reason string) {
	now := f.p.now()
	h, body := errorAnswer(f.p.cfg.Kind, &Status{Code: code}, &http.Request{Method: q.method, URL: q.url}, now)
	h.Set("Connection", "close")
	writeStatusLine(f.bw, code)
	_ = h.Write(f.bw)
	_, _ = f.bw.WriteString("\r\n")
	if q.method != http.MethodHead {
		_, _ = f.bw.Write(body)
		e.BytesOut = int64(len(body))
	}
	e.Status = code
	e.Error = reason
	if f.bw.Flush() == nil {
		e.Delivered = true
	}
}
