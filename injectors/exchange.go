package injectors

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// exchange is one request going through the proxy and its journal entry.
type exchange struct {
	p           *Proxy
	w           http.ResponseWriter
	r           *http.Request
	in          countingBody
	e           Entry
	wroteHeader bool
	hijacked    bool
}

// countingBody counts the request body bytes read from the client. The
// transport may read it from another goroutine, hence the atomics.
//
// With idle set, every read must get a byte within idle: a client that
// stalls mid-body (sends a Content-Length and then nothing) no longer holds
// the request, and the upstream connection with half of it, until it
// disconnects. The read deadline is cleared when the body ends, so a slow
// answer after it is not cut.
type countingBody struct {
	rc      io.ReadCloser
	n       atomic.Int64
	ctl     *http.ResponseController
	idle    time.Duration
	stalled atomic.Bool // a read hit the idle deadline
	eof     atomic.Bool // a read hit the end of the body
}

// complete reports whether all of a body of length cl (-1: unknown) was
// read from the client.
func (c *countingBody) complete(cl int64) bool {
	return c.eof.Load() || cl >= 0 && c.n.Load() >= cl
}

func (c *countingBody) Read(b []byte) (int, error) {
	if c.idle > 0 {
		_ = c.ctl.SetReadDeadline(time.Now().Add(c.idle))
	}
	n, err := c.rc.Read(b)
	c.n.Add(int64(n))
	if err == io.EOF {
		c.eof.Store(true)
	}
	if err != nil && c.idle > 0 {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline stays passed: net/http's discard of the
			// unread rest then fails at once and closes the
			// connection after the answer, instead of waiting for a
			// client that sends nothing.
			c.stalled.Store(true)
		} else {
			_ = c.ctl.SetReadDeadline(time.Time{})
		}
		c.idle = 0
	}
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }

func (p *Proxy) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{p: p, w: w, r: r}
	x.in.rc = r.Body
	if r.ContentLength != 0 && p.cfg.BodyIdleTimeout > 0 {
		x.in.ctl, x.in.idle = http.NewResponseController(w), p.cfg.BodyIdleTimeout
	}
	x.e = p.newEntry(r.Method, r.URL.Path)
	return x
}

// newEntry starts the journal entry of a request arriving now.
func (p *Proxy) newEntry(method, path string) Entry {
	return Entry{
		Target:  p.cfg.Target,
		Run:     int(p.run.Load()),
		Attempt: int(p.attempt.Load()),
		Start:   p.now().UTC(),
		Method:  method,
		Path:    path,
	}
}

// describe fills in the fields of an entry that only the journal reads,
// from its method, path and range: the redacted query and the operation
// key; opHeader is the first operation header present.
func (e *Entry) describe(rawQuery, opHeader string) {
	e.Query = RedactQuery(rawQuery)
	e.OpKey = OpKey(e.Method, e.Path, rawQuery, e.Range)
	e.OpHeader = opHeader
}

// readers reports whether anyone reads entries (a journal, OnEntry): only
// then are their descriptive fields computed.
func (p *Proxy) readers() bool { return p.journal.w != nil || p.cfg.OnEntry != nil }

// record ends e and hands it to the journal and OnEntry.
func (p *Proxy) record(e *Entry) {
	e.End = p.now().UTC()
	p.journal.write(e)
	if p.cfg.OnEntry != nil {
		p.cfg.OnEntry(*e)
	}
}

// describe fills in the entry's fields that only the journal reads: the
// redacted query, the operation key and header, the range. The proxy
// computes them only when someone reads entries.
func (x *exchange) describe() {
	r := x.r
	x.e.Range = r.Header.Get("Range")
	op := ""
	for _, h := range opHeaders {
		if op = r.Header.Get(h); op != "" {
			break
		}
	}
	x.e.describe(r.URL.RawQuery, op)
}

// finish completes the entry and writes it to the journal.
func (x *exchange) finish() {
	x.e.BytesIn = x.in.n.Load()
	if x.p.readers() {
		x.describe()
	}
	x.p.record(&x.e)
}

// serve runs the exchange: pick a rule, apply its request-side action,
// forward, apply its response-side action, deliver.
func (x *exchange) serve() {
	ctx := x.r.Context()
	if isUpgrade(x.r.Header) {
		// The proxy does not tunnel other protocols (WebSocket, h2c):
		// say so rather than answer as if the upgrade had been ignored.
		x.refuse(http.StatusNotImplemented, ErrUpgradeRefused)
		return
	}
	rule := x.p.pick(x.r, x.e.Start)
	onResponse := false
	if rule != nil {
		x.e.Fault = rule.Name
		x.e.Action = rule.Action.Kind()
		onResponse = rule.On == OnResponse
		if !onResponse && rule.Action.act(x, rule, false) {
			return
		}
	}
	resp, ok := x.forward(ctx)
	if !ok {
		return
	}
	defer x.release(resp)
	if onResponse && rule.Action.act(x, rule, true) {
		return
	}
	var limit, rate int64 = -1, 0
	if rule != nil {
		if s, ok := rule.Action.(bodyShaper); ok {
			limit, rate = s.shape()
		}
	}
	x.deliver(ctx, resp, limit, rate)
}

// release ends the upstream exchange. A request body still being copied
// upstream after the answer is stopped: the client has its answer (flushed
// first) and its further body bytes are not read.
//
// Only a body the client has not sent whole is stopped that way. Once a
// body ends, net/http reads ahead on the connection (to notice a client
// that leaves); a read deadline in the past fails that read, and net/http
// then cancels the context of every later request on the connection: the
// next request would be dropped as "client gone" and net/http would answer
// it an empty 200 of its own. When the body ended anyway while reads were
// stopped, the connection is closed after this answer.
func (x *exchange) release(resp *upResponse) {
	stopped := false
	if resp.writeDone != nil && !x.hijacked {
		select {
		case <-resp.writeDone:
		default:
			rc := http.NewResponseController(x.w)
			_ = rc.Flush()
			if !x.in.complete(x.r.ContentLength) {
				_ = rc.SetReadDeadline(aLongTimeAgo)
				stopped = true
			}
		}
	}
	resp.release()
	if stopped && x.in.eof.Load() {
		if c, _, err := http.NewResponseController(x.w).Hijack(); err == nil {
			x.hijacked = true
			_ = c.Close()
		}
	}
}

// base returns the proxy's lifetime context: not cancelled when the
// client leaves, cancelled when the proxy closes.
func (x *exchange) base() context.Context {
	if b, ok := x.r.Context().Value(baseKey{}).(context.Context); ok {
		return b
	}
	return context.Background()
}

// goneReason tells why the request context ended.
func (x *exchange) goneReason() string {
	if x.base().Err() != nil {
		return ErrProxyClosed
	}
	return ErrClientGone
}

// wait sleeps d or until ctx ends; false (and the error noted) when ctx
// ended first.
func (x *exchange) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		x.e.Error = x.goneReason()
		return false
	}
}

// callback hands a crash or pause to the harness.
func (x *exchange) callback(fn func(context.Context, Rule) error, r Rule) {
	if fn == nil {
		return
	}
	if err := fn(x.base(), r); err != nil {
		x.e.Error = r.Action.Kind() + "-failed"
		x.p.srv.ErrorLog.Printf("injectors: rule %s: %s: %v", r.Name, r.Action.Kind(), err)
	}
}

// forward sends the request upstream, unchanged, Host included. On
// failure it resets the client (upstream down) or notes that the client or
// the proxy went away.
func (x *exchange) forward(ctx context.Context) (*upResponse, bool) {
	// A shallow copy: the header is copied without its hop-by-hop fields
	// (sharing the value slices, which nobody changes), the URL and the
	// trailer are copied, the rest is only read.
	out := x.r.WithContext(ctx)
	u := *x.r.URL
	out.URL = &u
	out.Header = forwardHeader(x.r.Header)
	out.Trailer = x.r.Trailer.Clone()
	out.RequestURI = ""
	up := x.p.cfg.Upstream
	out.URL.Scheme, out.URL.Host = up.Scheme, up.Host
	if up.Path != "" && up.Path != "/" {
		out.URL.Path = strings.TrimSuffix(up.Path, "/") + out.URL.Path
		if out.URL.RawPath != "" {
			out.URL.RawPath = strings.TrimSuffix(up.EscapedPath(), "/") + out.URL.RawPath
		}
	}
	out.Host = x.r.Host
	out.Close = false
	if x.r.ContentLength == 0 {
		out.Body = nil
	} else {
		out.Body = &x.in
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		// An empty value stops the transport from adding its own.
		out.Header["User-Agent"] = []string{""}
	}
	resp, err := x.p.up.roundTrip(ctx, out)
	if err != nil {
		var bodyErr *requestBodyError
		switch {
		case x.in.stalled.Load():
			// The client stopped sending its body (the failed read also
			// cancelled the request's context): the upstream connection
			// is closed, the client, still there, told so.
			x.refuse(http.StatusRequestTimeout, ErrClientBodyStalled)
			return nil, false
		case errors.As(err, &bodyErr):
			// The client sent a body that cannot be read (bad chunked
			// encoding, cut short): the upstream connection is closed,
			// the client told so.
			x.refuse(http.StatusBadRequest, ErrBadRequestBody)
			return nil, false
		case ctx.Err() != nil:
			x.e.Error = x.goneReason()
			return nil, false
		case errors.Is(err, errHeadTooLarge):
			x.refuse(http.StatusBadGateway, ErrUpstreamHeadTooLarge)
			return nil, false
		case errors.Is(err, errUnaskedUpgrade):
			x.refuse(http.StatusBadGateway, ErrUpstreamUpgrade)
			return nil, false
		}
		// Refused, reset, or closed before answering: the client sees
		// what it would see from a dead server, never an invented 502.
		x.reset(ErrUpstreamDown)
		return nil, false
	}
	x.e.UpstreamStatus = resp.StatusCode
	return resp, true
}

func (x *exchange) writeHeader(code int) {
	x.w.WriteHeader(code)
	x.e.Status = code
	x.wroteHeader = true
}

// answer writes an injected status.
func (x *exchange) answer(st *Status) {
	now := x.p.now()
	h, body := errorAnswer(x.p.cfg.Kind, st, x.r, now)
	wh := x.w.Header()
	for k, v := range h {
		wh[k] = v
	}
	x.e.RetryAfterMS = retryAfterMS(h.Get("Retry-After"), now)
	x.writeHeader(st.Code)
	if x.r.Method != http.MethodHead && bodyAllowed(st.Code) {
		n, err := x.w.Write(body)
		x.e.BytesOut += int64(n)
		if err != nil {
			x.e.Error = ErrClientGone
			return
		}
	}
	x.e.Delivered = true
}

// refuse answers a request the proxy cannot pass on with an error of its
// own, in the upstream's protocol, and closes the client connection after
// it (the request stream may be broken). reason goes to the journal.
func (x *exchange) refuse(code int, reason string) {
	x.w.Header().Set("Connection", "close")
	x.answer(&Status{Code: code})
	x.e.Error = reason
}

// isUpgrade reports whether a request asks to switch protocols:
// Connection lists "upgrade" and an Upgrade header names the protocol.
func isUpgrade(h http.Header) bool {
	if h.Get("Upgrade") == "" {
		return false
	}
	for _, v := range h.Values("Connection") {
		for _, token := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "upgrade") {
				return true
			}
		}
	}
	return false
}

func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

// deliver streams the upstream response to the client; limit >= 0 cuts the
// body after limit bytes, rate > 0 throttles it to rate bytes/s.
func (x *exchange) deliver(ctx context.Context, resp *upResponse, limit, rate int64) {
	h := x.w.Header()
	for k, vv := range resp.Header {
		h[k] = vv
	}
	removeHop(h)
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no sniffing: forward unchanged
	}
	announced := map[string]bool{}
	if len(resp.Trailer) > 0 {
		keys := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			keys = append(keys, k)
			announced[k] = true
		}
		h.Set("Trailer", strings.Join(keys, ", "))
	}
	x.e.RetryAfterMS = retryAfterMS(resp.Header.Get("Retry-After"), x.p.now())
	x.writeHeader(resp.StatusCode)

	if limit < 0 && rate == 0 && resp.canSplice() {
		n, upErr, clientErr := resp.spliceBody(x.w)
		x.e.BytesOut = n
		switch {
		case clientErr != nil || (upErr != nil && ctx.Err() != nil):
			x.e.Error = x.goneReason()
		case upErr != nil:
			x.reset(ErrUpstreamDown)
		default:
			x.e.Delivered = true
		}
		return
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	chunk := len(buf)
	if rate > 0 {
		chunk = int(min(max(rate/20, 1), int64(len(buf))))
	}
	rc := http.NewResponseController(x.w)
	start := time.Now()
	var written int64
	for {
		want := chunk
		if limit >= 0 {
			if written >= limit {
				if x.more(resp, limit) {
					x.e.Error = ErrTruncated
					x.closeUnanswered(ErrTruncated)
					return
				}
				break
			}
			want = int(min(int64(want), limit-written))
		}
		n, rerr := resp.Body.Read(buf[:want])
		if n > 0 {
			wn, werr := x.w.Write(buf[:n])
			written += int64(wn)
			x.e.BytesOut = written
			if werr != nil {
				x.e.Error = x.goneReason()
				return
			}
			if rate > 0 {
				_ = rc.Flush()
				due := start.Add(time.Duration(float64(written) / float64(rate) * float64(time.Second)))
				if d := time.Until(due); d > 0 && !x.wait(ctx, d) {
					return
				}
			}
		}
		if rerr == io.EOF {
			resp.consumed = true
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				x.e.Error = x.goneReason()
				return
			}
			// The upstream died mid-body: cut the client as it would be.
			x.reset(ErrUpstreamDown)
			return
		}
	}
	for k, vv := range resp.Trailer {
		if announced[k] {
			h[k] = vv
		} else {
			h[http.TrailerPrefix+k] = vv
		}
	}
	x.e.Delivered = true
}

// more reports whether resp's body goes on past limit bytes (already read).
func (x *exchange) more(resp *upResponse, limit int64) bool {
	if resp.ContentLength >= 0 {
		return resp.ContentLength > limit
	}
	var one [1]byte
	n, _ := io.ReadFull(resp.Body, one[:])
	return n == 1
}

// hijack takes the client connection over, flushing what was written.
func (x *exchange) hijack() net.Conn {
	rc := http.NewResponseController(x.w)
	if x.wroteHeader {
		_ = rc.Flush()
	}
	c, _, err := rc.Hijack()
	if err != nil {
		return nil
	}
	x.hijacked = true
	x.e.Delivered = false
	return c
}

// reset sends the client a TCP RST: SO_LINGER 0, then close.
func (x *exchange) reset(reason string) {
	x.e.Error = reason
	x.e.Delivered = false
	c := x.hijack()
	if c == nil {
		return
	}
	if tc, ok := c.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0) // a *net.TCPConn, or one the fast path handed over
	}
	_ = c.Close()
}

// closeUnanswered closes the client connection without (the rest of) an
// answer.
func (x *exchange) closeUnanswered(reason string) {
	if x.e.Error == "" {
		x.e.Error = reason // a failed callback's error is kept
	}
	x.e.Delivered = false
	if c := x.hijack(); c != nil {
		_ = c.Close()
	}
}

// hang holds the connection until the client closes it or the proxy
// closes.
func (x *exchange) hang() {
	x.e.Error = ErrHang
	x.e.Delivered = false
	c := x.hijack()
	if c == nil {
		return
	}
	if !x.p.track(c) {
		_ = c.Close()
		return
	}
	defer x.p.untrack(c)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, c)
	}()
	select {
	case <-done:
	case <-x.base().Done():
	}
	_ = c.Close()
	<-done
}

// track registers a hijacked connection so Close can end it; false when
// the proxy is already closing.
func (p *Proxy) track(c net.Conn) bool {
	p.life.Lock()
	defer p.life.Unlock()
	if p.closed {
		return false
	}
	p.hijacked[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.life.Lock()
	delete(p.hijacked, c)
	p.life.Unlock()
}
