package injectors_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday/gameday/injectors"
)

// lockedLog collects what net/http reports, to catch a handler panic (the
// server recovers it and only logs it).
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fuzzDeadline bounds how long the proxy may take over one input.
const fuzzDeadline = 5 * time.Second

// maxFuzzAnswer bounds what the proxy may send back for one input.
const maxFuzzAnswer = 4 << 20

// FuzzProxyRequest writes raw bytes to a real proxy listener over TCP,
// half-closes, and reads what comes back. The proxy stands in front of a
// small local HTTP server, with rules armed on some paths. Whatever the
// bytes, the proxy must not panic, must be done with the connection (EOF)
// within fuzzDeadline, and must not answer more than maxFuzzAnswer bytes.
func FuzzProxyRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /fault/503 HTTP/1.1\r\nHost: x\r\n\r\nGET /fault/delay HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"PUT /fault/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",
		"PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
		"GET /fault/truncate HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /fault/response HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
		"GET http://elsewhere.example/x?X-Amz-Signature=s HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"HEAD /fault/503 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n",
		"\x00\xff garbage\r\n\r\n",
	} {
		f.Add([]byte(s))
	}

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Header().Set("X-Got", r.Method+" "+r.URL.Path)
		if r.URL.Path == "/echo" {
			w.Header().Set("Trailer", "X-Sum")
		}
		_, _ = w.Write(bytes.Repeat([]byte("u"), int(n%4096)+1))
		w.Header().Set("X-Sum", "1")
	}))
	defer upstream.Close()
	u, err := url.Parse(upstream.URL)
	if err != nil {
		f.Fatal(err)
	}
	errs := &lockedLog{}
	p, err := injectors.New(injectors.Config{Upstream: u, Kind: injectors.KindS3, Target: "fuzz", Seed: 1,
		Journal: io.Discard, ErrorLog: log.New(errs, "", 0)})
	if err != nil {
		f.Fatal(err)
	}
	if err := p.Start(f.Context()); err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	d := 10 * time.Millisecond
	one := int64(1)
	if err := p.Arm([]injectors.Rule{
		{Name: "s503", Match: injectors.Match{Path: "/fault/503*"}, Action: &injectors.Status{Code: 503, RetryAfter: &injectors.RetryAfter{Delay: time.Second}}},
		{Name: "delay", Match: injectors.Match{Path: "/fault/delay*"}, Action: &injectors.Delay{D: d}},
		{Name: "reset", Match: injectors.Match{Path: "/fault/reset*"}, Action: &injectors.Reset{On: true}},
		{Name: "truncate", Match: injectors.Match{Path: "/fault/truncate*"}, Action: &injectors.Truncate{Bytes: injectors.Size(one)}},
		{Name: "throttle", Match: injectors.Match{Path: "/fault/throttle*"}, Action: &injectors.Throttle{Rate: 1 << 20}},
		{Name: "response", Match: injectors.Match{Path: "/fault/response*"}, On: injectors.OnResponse, Action: &injectors.Status{Code: 500}},
		{Name: "sometimes", Match: injectors.Match{Methods: []string{"PUT"}}, Action: &injectors.Status{Code: 429}, Schedule: injectors.Schedule{Every: 3}},
	}); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		deadline := time.Now().Add(fuzzDeadline)
		if err := c.SetDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		// The proxy may answer and close before it read everything.
		_, _ = c.Write(data)
		_ = c.(*net.TCPConn).CloseWrite()
		n, err := io.Copy(io.Discard, io.LimitReader(c, maxFuzzAnswer+1))
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatalf("the proxy still held the connection after %s (%d bytes answered)", fuzzDeadline, n)
		case n > maxFuzzAnswer:
			t.Fatalf("the proxy answered more than %d bytes", maxFuzzAnswer)
		}
		if s := errs.String(); strings.Contains(s, "panic") {
			t.Fatalf("the proxy panicked: %s", s)
		}
	})
}
