package injectors_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
)

// rawUpstream is a TCP server the spec controls byte by byte: serve runs
// for each connection; closed receives once per connection when the proxy
// side closed it (a read ended).
type rawUpstream struct {
	ln       net.Listener
	accepted atomic.Int64
	closed   chan struct{}
}

func startRawUpstream(serve func(c net.Conn)) *rawUpstream {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	u := &rawUpstream{ln: ln, closed: make(chan struct{}, 16)}
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.accepted.Add(1)
			go func() {
				defer c.Close()
				serve(c)
				_, _ = io.Copy(io.Discard, c) // until the proxy closes its side
				u.closed <- struct{}{}
			}()
		}
	}()
	return u
}

func (u *rawUpstream) url() *url.URL { return &url.URL{Scheme: "http", Host: u.ln.Addr().String()} }

// rawRequest writes req to the proxy on a fresh connection and reads the
// answer, within 2 s.
func rawRequest(p *injectors.Proxy, req string) *http.Response {
	GinkgoHelper()
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	Expect(c.SetDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
	_, err = io.WriteString(c, req)
	Expect(err).NotTo(HaveOccurred())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	Expect(err).NotTo(HaveOccurred(), "an answer within 2 s")
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp
}

// journalLines returns the journal written so far, without closing the
// proxy.
func journalLines(buf *syncBuffer) []injectors.Entry {
	entries, err := injectors.ReadJournal(strings.NewReader(string(buf.Bytes())))
	Expect(err).NotTo(HaveOccurred())
	return entries
}

var _ = Describe("hostile requests and upstreams", func() {
	It("answers a malformed chunked body 400, closes the upstream connection and journals at once", func() {
		up := startRawUpstream(func(c net.Conn) {}) // reads, never answers
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})

		resp := rawRequest(p, "POST /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(resp.Close).To(BeTrue(), "Connection: close")
		Eventually(up.closed).WithTimeout(2*time.Second).Should(Receive(), "the upstream connection is closed")
		Eventually(func() []injectors.Entry { return journalLines(buf) }).WithTimeout(2 * time.Second).Should(ConsistOf(
			And(HaveField("Status", 400), HaveField("Error", injectors.ErrBadRequestBody), HaveField("Delivered", true))))
	})

	It("answers a body cut short by a half-closed client 400 as well", func() {
		up := startRawUpstream(func(c net.Conn) {})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		c, err := net.Dial("tcp", p.Addr())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		_, err = io.WriteString(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.(*net.TCPConn).CloseWrite()).To(Succeed())
		Expect(c.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Eventually(up.closed).WithTimeout(2 * time.Second).Should(Receive())
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(HaveLen(1))
		Expect(journalLines(buf)[0].BytesIn).To(BeEquivalentTo(10))
	})

	It("answers 408 to a client that stops sending its body, closes the upstream connection and journals it", func() {
		up := startRawUpstream(func(c net.Conn) {}) // reads, never answers
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON, BodyIdleTimeout: 500 * time.Millisecond})
		c, err := net.Dial("tcp", p.Addr())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		// Ten bytes of a hundred, then nothing; the connection stays open.
		_, err = io.WriteString(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		Expect(err).NotTo(HaveOccurred(), "an answer within 2 s")
		Expect(resp.StatusCode).To(Equal(http.StatusRequestTimeout))
		Expect(resp.Close).To(BeTrue(), "Connection: close")
		Eventually(up.closed).WithTimeout(2*time.Second).Should(Receive(), "the upstream connection is closed")
		Eventually(func() []injectors.Entry { return journalLines(buf) }).WithTimeout(2 * time.Second).Should(ConsistOf(
			And(HaveField("Status", 408), HaveField("Error", injectors.ErrClientBodyStalled), HaveField("BytesIn", BeEquivalentTo(10)))))
	})

	It("lets a body trickle for longer than the idle timeout as long as bytes keep coming, and waits out a slow answer after it", func() {
		const size = 60
		up := startRawUpstream(func(c net.Conn) {
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err != nil {
				return
			}
			body, _ := io.ReadAll(req.Body)
			time.Sleep(1500 * time.Millisecond) // a slow upstream: 3 idle timeouts
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON, BodyIdleTimeout: 500 * time.Millisecond})
		c, err := net.Dial("tcp", p.Addr())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		_, err = fmt.Fprintf(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
		Expect(err).NotTo(HaveOccurred())
		for range size / 5 { // 1.2 s in all (> the idle timeout), a chunk every 100 ms
			_, err = io.WriteString(c, "12345")
			Expect(err).NotTo(HaveOccurred())
			time.Sleep(100 * time.Millisecond)
		}
		Expect(c.SetReadDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(body).To(HaveLen(size))
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(ConsistOf(
			And(HaveField("Status", 200), HaveField("Error", ""), HaveField("BytesIn", BeEquivalentTo(size)))))
	})

	It("never answers a later request on a connection an empty 200 of net/http's own after an upstream answered before the body was through", func() {
		// The upstream answers each request once it has its head and
		// body: the answer can reach the proxy while the proxy's copy of
		// the body is still finishing, which once stopped reads on the
		// client connection just as net/http read ahead, cancelling every
		// later request on it.
		up := startRawUpstream(func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				status := "412 Precondition Failed"
				if req.Method == http.MethodGet {
					status = "200 OK"
				}
				if _, err := fmt.Fprintf(c, "HTTP/1.1 %s\r\nX-Upstream: yes\r\nContent-Length: 0\r\n\r\n", status); err != nil {
					return
				}
			}
		})
		p, _ := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindS3})
		for range 150 {
			c, err := net.Dial("tcp", p.Addr())
			Expect(err).NotTo(HaveOccurred())
			Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
			br := bufio.NewReader(c)
			_, err = io.WriteString(c, "PUT /models/m.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\nContent-Length: 7\r\n\r\nweights")
			Expect(err).NotTo(HaveOccurred())
			resp, err := http.ReadResponse(br, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode).To(Equal(http.StatusPreconditionFailed))
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.Close {
				c.Close()
				continue
			}
			// The next request on the connection: the upstream's answer,
			// or a closed connection (a client retries), never a 200 the
			// upstream did not send.
			if _, err := io.WriteString(c, "GET /models/m.bin HTTP/1.1\r\nHost: x\r\n\r\n"); err == nil {
				if resp, err := http.ReadResponse(br, nil); err == nil {
					Expect(resp.Header.Get("X-Upstream")).To(Equal("yes"), "status %d without the upstream's header", resp.StatusCode)
				}
			}
			c.Close()
		}
	})

	It("answers 502 when the upstream's headers pass MaxResponseHead, and closes that connection", func() {
		up := startRawUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n') // the request line is enough
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			line := "X-Big: " + strings.Repeat("a", 1000) + "\r\n"
			for range 4 * injectors.MaxResponseHead / len(line) {
				if _, err := io.WriteString(c, line); err != nil {
					return
				}
			}
		})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindS3})
		resp := rawRequest(p, "GET /features/a HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusBadGateway))
		Eventually(up.closed).WithTimeout(2 * time.Second).Should(Receive())
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(ConsistOf(
			And(HaveField("Status", 502), HaveField("UpstreamStatus", 0), HaveField("Error", injectors.ErrUpstreamHeadTooLarge))))
	})

	It("passes an answer whose headers are just under the cap", func() {
		up := startRawUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", injectors.MaxResponseHead-200)+"\r\nContent-Length: 2\r\n\r\nok")
		})
		p, _ := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		resp := rawRequest(p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
	})

	It("refuses a protocol upgrade with 501, without asking the upstream", func() {
		var asked atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Add(1) }))
		DeferCleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		p, buf := startProxy(injectors.Config{Upstream: u, Kind: injectors.KindJSON})
		resp := rawRequest(p, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusNotImplemented))
		Expect(asked.Load()).To(BeZero())
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(ConsistOf(
			And(HaveField("Status", 501), HaveField("Error", injectors.ErrUpgradeRefused))))
	})

	It("answers 502 to an upstream that switches protocols unasked", func() {
		up := startRawUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		resp := rawRequest(p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusBadGateway))
		Eventually(up.closed).WithTimeout(2 * time.Second).Should(Receive())
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(ConsistOf(HaveField("Error", injectors.ErrUpstreamUpgrade)))
	})

	It("writes each journal line as its request completes, not at Close", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		DeferCleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		p, buf := startProxy(injectors.Config{Upstream: u, Kind: injectors.KindJSON})
		for i := 1; i <= 3; i++ {
			Expect(rawRequest(p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").StatusCode).To(Equal(200))
			Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(HaveLen(i))
		}
	})
})
