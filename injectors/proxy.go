package injectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Proxy. Only Upstream is required.
type Config struct {
	// Upstream is the server the proxy stands in front of (scheme and host;
	// a path, if any, is prefixed to every request path).
	Upstream *url.URL
	// Listen is the address to bind; default "127.0.0.1:0" (a free port).
	Listen string
	// Kind decides how injected statuses look; default KindJSON.
	Kind Kind
	// Target is the name of the target behind the proxy, written to the
	// journal.
	Target string
	// Journal receives one JSON line per request (see Entry), in one Write
	// call as the request completes (unbuffered); nil writes none.
	Journal io.Writer
	// Seed seeds the RNG that draws Schedule.Probability.
	Seed int64
	// OnCrash is called when a crash rule fires, with the rule (its
	// Workload flag says whose process). It must return once the process
	// is dead, and honour ctx, which ends when the proxy closes. nil: the
	// crash only has its effect on the connection.
	OnCrash func(ctx context.Context, r Rule) error
	// OnPause is called when a pause rule fires; it should return once the
	// process is frozen (the harness thaws it after Pause.For).
	OnPause func(ctx context.Context, r Rule) error
	// OnEntry, when set, is told every request once its journal line is
	// written (with the line's values), from the request's goroutine; it
	// must not block. `gameday up` prints a line per injected fault with it.
	OnEntry func(Entry)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ErrorLog receives net/http's server errors; default discards them.
	ErrorLog *log.Logger
	// BodyIdleTimeout is how long the proxy waits for the next byte of a
	// request body before it answers 408 (ErrClientBodyStalled); default
	// DefaultBodyIdleTimeout, negative: no limit.
	BodyIdleTimeout time.Duration
}

// DefaultBodyIdleTimeout is Config.BodyIdleTimeout's default: as long as
// the proxy waits for a request's headers.
const DefaultBodyIdleTimeout = time.Minute

// Proxy is a fault-injecting HTTP reverse proxy in front of one upstream.
// Its methods are safe for concurrent use.
type Proxy struct {
	cfg     Config
	up      *upstream
	now     func() time.Time
	journal *journal
	ln      net.Listener
	srv     *http.Server

	// rules is the armed rule set, replaced whole by Arm and Disarm; its
	// rules are read without a lock, its counters under mu.
	rules atomic.Pointer[ruleSet]
	mu    sync.Mutex // guards rng and the counters of rules
	rng   *rand.Rand

	run, attempt atomic.Int64

	life     sync.Mutex // guards closed, hijacked, fast, and wg.Add
	closed   bool
	hijacked map[net.Conn]struct{}
	fast     map[*fastConn]struct{} // connections the fast path serves
	handoff  *handoffListener       // connections it gives http.Server
	lifeCtx  context.Context        // the proxy's lifetime, set by Start
	// fastOK: requests can go upstream as they came (no path to prefix).
	fastOK    bool
	connected chan struct{} // wakes the fast path's watchdog
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

// New checks cfg and binds the listener (so Addr is known at once). Serving
// starts with Start.
func New(cfg Config) (*Proxy, error) {
	if cfg.Upstream == nil || cfg.Upstream.Host == "" {
		return nil, errors.New("new proxy: upstream URL with a host required")
	}
	if cfg.Upstream.Scheme != "http" && cfg.Upstream.Scheme != "https" {
		return nil, fmt.Errorf("new proxy: upstream scheme %q, want http or https", cfg.Upstream.Scheme)
	}
	switch cfg.Kind {
	case "":
		cfg.Kind = KindJSON
	case KindS3, KindJSON:
	default:
		return nil, fmt.Errorf("new proxy: kind %q, want s3 or json", cfg.Kind)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.BodyIdleTimeout == 0 {
		cfg.BodyIdleTimeout = DefaultBodyIdleTimeout
	}
	p := &Proxy{
		cfg:      cfg,
		up:       newUpstream(cfg.Upstream.Scheme, cfg.Upstream.Host),
		now:      cfg.Now,
		journal:  newJournal(cfg.Journal),
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		hijacked: map[net.Conn]struct{}{},
		fast:     map[*fastConn]struct{}{},
		lifeCtx:  context.Background(),
		fastOK:   cfg.Upstream.Path == "" || cfg.Upstream.Path == "/",
	}
	if p.now == nil {
		p.now = time.Now
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("new proxy: listen %s: %w", cfg.Listen, err)
	}
	p.ln = ln
	p.handoff = newHandoffListener(ln.Addr())
	p.connected = make(chan struct{}, 1)
	errLog := cfg.ErrorLog
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	p.srv = &http.Server{Handler: p, ErrorLog: errLog, IdleTimeout: 2 * time.Minute, ReadHeaderTimeout: time.Minute}
	return p, nil
}

// baseKey carries the proxy's lifetime context inside request contexts.
type baseKey struct{}

// Start serves in the background until Close is called or ctx ends (which
// closes the proxy).
func (p *Proxy) Start(ctx context.Context) error {
	p.life.Lock()
	if p.closed {
		p.life.Unlock()
		return errors.New("start proxy: closed")
	}
	if p.cancel != nil {
		p.life.Unlock()
		return errors.New("start proxy: already started")
	}
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.lifeCtx = base
	p.wg.Add(2) // the accept loop and the fast path's watchdog
	p.life.Unlock()
	p.srv.BaseContext = func(net.Listener) context.Context {
		return context.WithValue(base, baseKey{}, base)
	}
	go func() { _ = p.srv.Serve(p.handoff) }()
	go p.accept()
	go p.watchdog()
	context.AfterFunc(ctx, func() { _ = p.Close() })
	return nil
}

// Addr returns the listen address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns http://Addr.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Arm replaces the armed rules with rules, in order, and restarts their
// counters and the after/until clock. It returns an error naming the first
// invalid rule and then leaves the armed rules as they were.
func (p *Proxy) Arm(rules []Rule) error {
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("arm rule %d (%s): %w", i, r.Name, err)
		}
	}
	s := &ruleSet{rules: append([]Rule(nil), rules...), counters: make([]RuleCounter, len(rules)), armedAt: p.now()}
	for i, r := range rules {
		s.counters[i].Name = r.Name
		s.needsHeaders = s.needsHeaders || len(r.Match.Headers) > 0
	}
	p.rules.Store(s)
	return nil
}

// Disarm removes every rule; requests are then forwarded untouched.
func (p *Proxy) Disarm() {
	p.rules.Store(nil)
}

// Counters returns the counters of the armed rules, in rule order.
func (p *Proxy) Counters() []RuleCounter {
	s := p.rules.Load()
	if s == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RuleCounter(nil), s.counters...)
}

// SetRun sets the run and attempt written to the journal for requests that
// arrive from now on.
func (p *Proxy) SetRun(run, attempt int) {
	p.run.Store(int64(run))
	p.attempt.Store(int64(attempt))
}

// Close stops the proxy: it stops listening, ends held and hung requests,
// cuts connections still open and waits for handlers to write their
// journal lines. It returns the first journal write error. Calling it again
// returns the same result.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.life.Lock()
		p.closed = true
		if p.cancel != nil {
			p.cancel()
		}
		for c := range p.hijacked {
			_ = c.Close()
		}
		for f := range p.fast {
			f.abort()
		}
		p.life.Unlock()
		_ = p.ln.Close()
		_ = p.handoff.Close()
		_ = p.srv.Close()
		p.wg.Wait()
		p.up.close()
		p.closeErr = p.journal.flush()
	})
	return p.closeErr
}

// enter registers a handler; false when the proxy is closing.
func (p *Proxy) enter() bool {
	p.life.Lock()
	defer p.life.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

// pick evaluates the armed rules for req. The lock is taken only when a
// rule matches, to count and draw.
func (p *Proxy) pick(req *http.Request, now time.Time) *Rule {
	s := p.rules.Load()
	if s == nil {
		return nil
	}
	var buf [16]int
	matched := s.matching(req, buf[:0])
	if len(matched) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return s.fire(matched, now, p.rng)
}

// hopHeaders are removed when forwarding, both ways.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHop(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopHeaders {
		if k == "Te" && h.Get("Te") == "trailers" {
			continue
		}
		h.Del(k)
	}
}

// forwardHeader returns a copy of h without the fields removeHop removes;
// the value slices are shared.
func forwardHeader(h http.Header) http.Header {
	out := make(http.Header, len(h)+1) // room for User-Agent
	for k, vv := range h {
		out[k] = vv
	}
	removeHop(out)
	return out
}

// ServeHTTP handles one request: it picks the rule, applies it and
// forwards, then writes the journal line.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.enter() {
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = c.Close()
		}
		return
	}
	defer p.wg.Done()
	x := p.newExchange(w, r)
	defer x.finish()
	x.serve()
	if !x.wroteHeader && !x.hijacked {
		// Nothing was answered (the client left, or the proxy is
		// closing): close the connection rather than let net/http answer
		// an empty 200 of its own, which a client still there would take
		// for a success.
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = c.Close()
		}
	}
}

// bufPool holds copy buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}
