package injectors_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
)

// The proxy serves plain exchanges on a fast path of its own and hands
// every other connection to net/http's server (injectors/fastpath.go).
// These specs hold the two paths to the same answers and journal lines.

// neverFires matches every request and never fires: it sends each request
// down the http.Server path without changing what happens to it.
var neverFires = injectors.Rule{Name: "never", Action: &injectors.Status{Code: 500}, Schedule: injectors.Schedule{Probability: ptr(0.0)}}

// variety is an upstream with answers of every shape the fast path tells
// apart.
func variety() *url.URL {
	GinkgoHelper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "hello "+r.Header.Get("Range"))
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "busy")
		case "/missing":
			http.NotFound(w, r)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			for i := range 3 {
				_, _ = fmt.Fprintf(w, "part %d;", i)
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3")
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, "bye")
		case "/nodate":
			w.Header()["Date"] = nil
			w.Header().Set("Content-Length", "2")
			_, _ = io.WriteString(w, "nd")
		default:
			_, _ = io.WriteString(w, r.Method+" "+r.URL.String())
		}
	}))
	DeferCleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	Expect(err).NotTo(HaveOccurred())
	return u
}

// seen is what a client saw of one answer, less what differs by the clock.
type seen struct {
	Status  int
	Header  http.Header
	Body    string
	Trailer http.Header
}

func ask(c *http.Client, method, u string, h map[string]string) seen {
	GinkgoHelper()
	req, err := http.NewRequest(method, u, nil)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	resp.Header.Del("Date")
	Expect(resp.Header).NotTo(HaveKey("Connection"))
	return seen{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Trailer: resp.Trailer}
}

// sameLine blanks the fields of a journal line that differ by the clock.
func sameLine(e injectors.Entry) injectors.Entry {
	e.Seq, e.Start, e.End, e.Fault, e.Action = 0, time.Time{}, time.Time{}, "", ""
	return e
}

// silentExchange sends GET path through a proxy to an upstream that reads
// the request and never answers, and returns once the upstream has it.
func silentExchange(path string) (*rawUpstream, *injectors.Proxy, *syncBuffer, net.Conn) {
	GinkgoHelper()
	asked := make(chan struct{}, 1)
	up := startRawUpstream(func(c net.Conn) {
		_, _ = bufio.NewReader(c).ReadString('\n')
		asked <- struct{}{}
	})
	p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = c.Close() }) // a spec may have closed it
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
	Expect(err).NotTo(HaveOccurred())
	Eventually(asked).WithTimeout(2 * time.Second).Should(Receive())
	return up, p, buf, c
}

var _ = Describe("the fast path", func() {
	It("answers and journals every kind of exchange as the http.Server path does", func() {
		up := variety()
		fast, fastBuf := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON})
		slow, slowBuf := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON}, neverFires)
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
		type call struct {
			method, path string
			header       map[string]string
		}
		calls := []call{
			{"GET", "/ok", nil},
			{"GET", "/ok?X-Amz-Signature=secret&part=2", map[string]string{"Range": "bytes=0-3", "amz-sdk-invocation-id": "op-1"}},
			{"HEAD", "/ok", nil},
			{"GET", "/busy", map[string]string{"Idempotency-Key": "k-1"}},
			{"GET", "/missing", nil},
			{"DELETE", "/empty", nil},
			{"GET", "/chunked", nil},
			{"GET", "/close", nil},
			{"GET", "/nodate", nil},
			{"OPTIONS", "/any?token=abc", map[string]string{"X-Gameday-Operation": "op-2"}},
		}
		for _, c := range calls {
			got := ask(client, c.method, fast.URL()+c.path, c.header)
			want := ask(client, c.method, slow.URL()+c.path, c.header)
			Expect(got).To(Equal(want), "%s %s", c.method, c.path)
		}
		fastLines, slowLines := journalOf(fast, fastBuf), journalOf(slow, slowBuf)
		Expect(fastLines).To(HaveLen(len(calls)))
		Expect(slowLines).To(HaveLen(len(calls)))
		for i := range calls {
			Expect(sameLine(fastLines[i])).To(Equal(sameLine(slowLines[i])), "%s %s", calls[i].method, calls[i].path)
			Expect(slowLines[i].Fault).To(BeEmpty())
		}
		Expect(fastLines[3].RetryAfterMS).To(Equal(int64(7000)))
		Expect(fastLines[1].Query).NotTo(ContainSubstring("secret"))
		Expect(fastLines[1].OpHeader).To(Equal("op-1"))
		Expect(fastLines[6].BytesOut).To(Equal(int64(len("part 0;part 1;part 2;"))))
	})

	It("hands a connection it does not serve to http.Server with the request unread, and that serves the rest", func() {
		up := variety()
		p, buf := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON})
		c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		br := bufio.NewReader(c)
		read := func() (int, string) {
			GinkgoHelper()
			resp, err := http.ReadResponse(br, nil)
			Expect(err).NotTo(HaveOccurred())
			b, err := io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			return resp.StatusCode, string(b)
		}
		// A plain GET (fast), a PUT with a body (handed over), then a GET
		// again on the same connection (served by http.Server now).
		_, err = io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		code, body := read()
		Expect(code).To(Equal(200))
		Expect(body).To(Equal("GET /a"))
		_, err = io.WriteString(c, "PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
		Expect(err).NotTo(HaveOccurred())
		code, body = read()
		Expect(code).To(Equal(200))
		Expect(body).To(Equal("PUT /b"))
		_, err = io.WriteString(c, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		_, body = read()
		Expect(body).To(Equal("GET /c"))
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(HaveLen(3))
	})

	DescribeTable("hands over the requests only http.Server's parser takes, and they get its answers",
		func(parts ...string) {
			up := variety()
			fast, _ := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON})
			slow, _ := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON}, neverFires)
			answer := func(p *injectors.Proxy) string {
				c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
				Expect(err).NotTo(HaveOccurred())
				defer c.Close()
				Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
				br := bufio.NewReader(c)
				for i, part := range parts {
					_, err = io.WriteString(c, part)
					Expect(err).NotTo(HaveOccurred())
					if i < len(parts)-1 {
						// The next piece only after the proxy has seen
						// this one: it waits for more or answers.
						Consistently(func() int { return br.Buffered() }).WithTimeout(50 * time.Millisecond).Should(BeZero())
					}
				}
				resp, err := http.ReadResponse(br, nil)
				for err == nil && resp.StatusCode == http.StatusContinue {
					// net/http's server sends it or not as the body
					// happens to arrive; the final answer counts.
					resp, err = http.ReadResponse(br, nil)
				}
				Expect(err).NotTo(HaveOccurred())
				b, _ := io.ReadAll(resp.Body)
				return fmt.Sprintf("%d %s", resp.StatusCode, b)
			}
			Expect(answer(fast)).To(Equal(answer(slow)))
		},
		Entry("a head in two pieces", "GET /split HTTP/1.1\r\nHo", "st: x\r\n\r\n"),
		Entry("HTTP/1.0", "GET /old HTTP/1.0\r\nHost: x\r\n\r\n"),
		Entry("bare LF line ends", "GET /lf HTTP/1.1\nHost: x\n\n"),
		Entry("no Host", "GET /nohost HTTP/1.1\r\n\r\n"),
		Entry("two Hosts", "GET /twohosts HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
		Entry("a chunked body", "POST /chunked-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
		Entry("Expect: 100-continue", "PUT /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"),
		Entry("a folded header", "GET /fold HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"),
		Entry("an absolute-form target", "GET http://x/abs HTTP/1.1\r\nHost: x\r\n\r\n"),
		Entry("a bad method", "G(T /bad HTTP/1.1\r\nHost: x\r\n\r\n"),
	)

	DescribeTable("passes odd upstream answers on as the http.Server path does",
		func(method, answer string, thenClose bool) {
			up := startRawUpstream(func(c net.Conn) {
				br := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					if _, err := io.WriteString(c, answer); err != nil || thenClose {
						_ = c.Close() // ends a close-delimited or cut body
						return
					}
				}
			})
			fast, fastBuf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
			slow, slowBuf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON}, neverFires)
			seenBy := func(p *injectors.Proxy) string {
				c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
				Expect(err).NotTo(HaveOccurred())
				defer c.Close()
				Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
				br := bufio.NewReader(c)
				var out strings.Builder
				for range 2 { // twice on one connection: it must stay usable
					if _, err = io.WriteString(c, method+" /odd HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
						out.WriteString("closed")
						break
					}
					resp, err := http.ReadResponse(br, &http.Request{Method: method})
					if err != nil {
						out.WriteString("no answer")
						break
					}
					b, err := io.ReadAll(resp.Body)
					resp.Header.Del("Date")
					fmt.Fprintf(&out, "%d %v %q cut=%v close=%v|", resp.StatusCode, resp.Header, b, err != nil, resp.Close)
				}
				return out.String()
			}
			Expect(seenBy(fast)).To(Equal(seenBy(slow)))
			fastLines, slowLines := journalOf(fast, fastBuf), journalOf(slow, slowBuf)
			Expect(fastLines).To(HaveLen(len(slowLines)))
			for i := range fastLines {
				Expect(sameLine(fastLines[i])).To(Equal(sameLine(slowLines[i])))
			}
		},
		Entry("HEAD answered chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false),
		Entry("204 with a Content-Length", "DELETE", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false),
		Entry("304 with a Content-Type", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Type: text/plain\r\nETag: \"a\"\r\n\r\n", false),
		Entry("a reason phrase of its own", "GET", "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok", false),
		Entry("Keep-Alive fields", "GET", "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false),
		Entry("a close-delimited body", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close", true),
		Entry("an informational answer first", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false),
		Entry("a signed Content-Length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false),
		Entry("a chunked body cut short", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true),
	)

	It("journals a client that leaves during a re-framed (chunked) body as client-gone", func() {
		up := startRawUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			chunk := fmt.Sprintf("%x\r\n%s\r\n", 4096, strings.Repeat("a", 4096))
			for range 10000 { // until the proxy gives up on the client
				if _, err := io.WriteString(c, chunk); err != nil {
					return
				}
			}
		})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		_, err = io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(200))
		Expect(c.Close()).To(Succeed())
		Eventually(func() []injectors.Entry { return journalLines(buf) }).WithTimeout(5 * time.Second).Should(ConsistOf(
			And(HaveField("Error", injectors.ErrClientGone), HaveField("Delivered", false))))
	})

	It("serves pipelined requests in order", func() {
		p, buf := startProxy(injectors.Config{Upstream: variety(), Kind: injectors.KindJSON})
		c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		_, err = io.WriteString(c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		br := bufio.NewReader(c)
		for _, want := range []string{"GET /one", "GET /two", "GET /three"} {
			resp, err := http.ReadResponse(br, nil)
			Expect(err).NotTo(HaveOccurred())
			b, _ := io.ReadAll(resp.Body)
			Expect(string(b)).To(Equal(want))
		}
		Eventually(func() []injectors.Entry { return journalLines(buf) }).Should(HaveLen(3))
	})

	It("notices a client that leaves while the upstream thinks, abandons the upstream request and journals client-gone", func() {
		up, _, buf, c := silentExchange("/slow")
		left := time.Now()
		Expect(c.Close()).To(Succeed())
		Eventually(up.closed).WithTimeout(2*time.Second).Should(Receive(), "the upstream request is abandoned")
		Eventually(func() []injectors.Entry { return journalLines(buf) }).WithTimeout(2 * time.Second).Should(ConsistOf(
			And(HaveField("Error", injectors.ErrClientGone), HaveField("Status", 0), HaveField("Delivered", false))))
		Expect(journalLines(buf)[0].End).To(BeTemporally("<", left.Add(time.Second)))
	})

	It("does not count an answer as delivered to a client that left before it came", func() {
		asked := make(chan struct{}, 1)
		release := make(chan struct{})
		up := startRawUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			asked <- struct{}{}
			<-release
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		})
		p, buf := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		_, err = io.WriteString(c, "GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		Eventually(asked).WithTimeout(2 * time.Second).Should(Receive())
		Expect(c.Close()).To(Succeed())
		// The answer comes before any hang-up watch starts (250 ms).
		time.AfterFunc(20*time.Millisecond, func() { close(release) })
		Eventually(func() []injectors.Entry { return journalLines(buf) }).WithTimeout(2 * time.Second).Should(ConsistOf(
			And(HaveField("Error", injectors.ErrClientGone), HaveField("Delivered", false), HaveField("UpstreamStatus", 0))))
	})

	It("keeps a pipelined request that arrives while the upstream thinks", func() {
		up := startRawUpstream(func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				time.Sleep(600 * time.Millisecond) // long enough for the hang-up watch to start
				_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(req.URL.Path), req.URL.Path)
			}
		})
		p, _ := startProxy(injectors.Config{Upstream: up.url(), Kind: injectors.KindJSON})
		c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		Expect(c.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		_, err = io.WriteString(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		br := bufio.NewReader(c)
		Consistently(func() int { return br.Buffered() }).WithTimeout(300 * time.Millisecond).Should(BeZero())
		_, err = io.WriteString(c, "GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		for _, want := range []string{"/first", "/second"} {
			resp, err := http.ReadResponse(br, nil)
			Expect(err).NotTo(HaveOccurred())
			b, _ := io.ReadAll(resp.Body)
			Expect(string(b)).To(Equal(want))
		}
	})

	It("ends a fast exchange held by a silent upstream when the proxy closes, journaling proxy-closed", func() {
		_, p, buf, c := silentExchange("/held")
		closed := make(chan error, 1)
		go func() { closed <- p.Close() }()
		Eventually(closed).WithTimeout(2 * time.Second).Should(Receive(Succeed()))
		Expect(journalLines(buf)).To(ConsistOf(HaveField("Error", injectors.ErrProxyClosed)))
		Expect(c.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		_, err := http.ReadResponse(bufio.NewReader(c), nil)
		Expect(err).To(HaveOccurred(), "no answer of the proxy's own")
		Expect(err).NotTo(MatchError(os.ErrDeadlineExceeded), "the connection is closed, not left open")
	})

	It("prefixes the path of an upstream URL that has one", func() {
		up := variety()
		up.Path = "/base"
		p, _ := startProxy(injectors.Config{Upstream: up, Kind: injectors.KindJSON})
		got := ask(&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}, "GET", p.URL()+"/x?y=1", nil)
		Expect(got.Body).To(Equal("GET /base/x?y=1"))
	})

	It("takes no request body on the fast path: a later one on the connection still reaches the upstream whole", func() {
		p, _ := startProxy(injectors.Config{Upstream: variety(), Kind: injectors.KindJSON})
		resp := rawRequest(p, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(200))
		Expect(strings.ToLower(resp.Header.Get("Connection"))).NotTo(Equal("close"))
	})
})
