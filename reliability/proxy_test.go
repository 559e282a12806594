package reliability_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/injectors"
)

// standaloneProxy is a running `gameday proxy` with its journal file.
type standaloneProxy struct {
	session *gexec.Session
	addr    string // host:port
	journal string
	faults  string
}

var listening = regexp.MustCompile(`listening on http://(\S+) `)

// startStandaloneProxy starts `gameday proxy` in front of upstream with the
// faults in faultsYAML and a journal file, and waits for its address. It
// is interrupted (and its exit checked) at cleanup.
func startStandaloneProxy(upstream, faultsYAML string) *standaloneProxy {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	p := &standaloneProxy{journal: filepath.Join(dir, "journal.jsonl"), faults: writeFile(dir, "faults.yaml", []byte(faultsYAML))}
	cmd := exec.Command(gamedayBin, "proxy", "--upstream", upstream, "--faults", p.faults, "--journal", p.journal, "--kind", "json", "--seed", "1")
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	p.session = s
	DeferCleanup(func() { s.Kill() }) // runs last: whatever happened, no process is left
	DeferCleanup(func() {
		s.Interrupt()
		Eventually(s).WithTimeout(5 * time.Second).Should(gexec.Exit(0))
	})
	Eventually(s.Out).WithTimeout(5 * time.Second).Should(gbytes.Say(`listening on`))
	m := listening.FindSubmatch(s.Out.Contents())
	Expect(m).NotTo(BeNil())
	p.addr = string(m[1])
	return p
}

func (p *standaloneProxy) pid() int { return p.session.Command.Process.Pid }

// entries reads the journal file as it is on disk now.
func (p *standaloneProxy) entries() []injectors.Entry {
	GinkgoHelper()
	f, err := os.Open(p.journal)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	es, err := injectors.ReadJournal(f)
	Expect(err).NotTo(HaveOccurred())
	return es
}

// send writes raw to the proxy on a fresh connection and reads one answer
// within 2 s.
func send(addr, raw string) *http.Response {
	GinkgoHelper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	Expect(c.SetDeadline(time.Now().Add(quick))).To(Succeed())
	_, err = io.WriteString(c, raw)
	Expect(err).NotTo(HaveOccurred())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	Expect(err).NotTo(HaveOccurred(), "an answer within %s", quick)
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp
}

// tcpUpstream is an upstream the spec controls byte by byte. serve gets
// each accepted connection; once it returns, the upstream reads until the
// proxy closes its side and reports that on closed.
type tcpUpstream struct {
	ln     net.Listener
	closed chan struct{}
}

func startTCPUpstream(serve func(c net.Conn)) *tcpUpstream {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ln.Close)
	u := &tcpUpstream{ln: ln, closed: make(chan struct{}, 8)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer GinkgoRecover()
				defer c.Close()
				serve(c)
				_, _ = io.Copy(io.Discard, c)
				u.closed <- struct{}{}
			}()
		}
	}()
	return u
}

func (u *tcpUpstream) url() string { return "http://" + u.ln.Addr().String() }

const noFaults = "faults:\n  - {name: never, match: {path: /never}, action: {status: 503}}\n"

var _ = Describe("the standalone proxy against hostile peers", func() {
	It("answers a malformed chunked body 400 within 2 s, closes the upstream connection, and journals it before shutdown", func() {
		up := startTCPUpstream(func(c net.Conn) {}) // reads, never answers
		p := startStandaloneProxy(up.url(), noFaults)

		resp := send(p.addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Eventually(up.closed).WithTimeout(quick).Should(Receive(), "the proxy closed the upstream connection")
		Eventually(p.entries).WithTimeout(quick).Should(ConsistOf(And(
			HaveField("Status", 400), HaveField("Error", injectors.ErrBadRequestBody))))
		Expect(p.session.ExitCode()).To(Equal(-1), "still running")
	})

	It("answers 502 to 200 MB of upstream headers, in bounded memory", func() {
		up := startTCPUpstream(func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\n"); err != nil {
				return
			}
			line := "X-Flood: " + strings.Repeat("a", 4086) + "\r\n" // 4 KiB a line
			for range 200 << 20 / len(line) {
				if _, err := io.WriteString(c, line); err != nil {
					return // the proxy gave up, as it should
				}
			}
		})
		p := startStandaloneProxy(up.url(), noFaults)
		resp := send(p.addr, "GET /features/a HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusBadGateway))
		Eventually(up.closed).WithTimeout(quick).Should(Receive())
		Expect(rssKiB(p.pid())).To(BeNumerically("<", lowRSS))
		Eventually(p.entries).Should(ConsistOf(And(
			HaveField("Status", 502), HaveField("Error", injectors.ErrUpstreamHeadTooLarge))))
		p.session.Interrupt()
		Eventually(p.session).WithTimeout(5 * time.Second).Should(gexec.Exit(0))
		Expect(p.session.Command.ProcessState.SysUsage().(*syscall.Rusage).Maxrss).To(BeNumerically("<", lowRSS))
	})

	It("refuses a WebSocket upgrade with 501 and a journal line, without asking the upstream", func() {
		asked := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked <- struct{}{} }))
		DeferCleanup(srv.Close)
		p := startStandaloneProxy(srv.URL, noFaults)
		resp := send(p.addr, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		Expect(resp.StatusCode).To(Equal(http.StatusNotImplemented))
		Eventually(p.entries).Should(ConsistOf(And(HaveField("Status", 501), HaveField("Error", injectors.ErrUpgradeRefused))))
		Consistently(asked).WithTimeout(100 * time.Millisecond).ShouldNot(Receive())
	})

	It("has each journal line on disk as soon as its response is out, while it runs", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
		DeferCleanup(srv.Close)
		p := startStandaloneProxy(srv.URL, noFaults)
		for i := 1; i <= 3; i++ {
			Expect(send(p.addr, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n").StatusCode).To(Equal(200))
			Eventually(p.entries).WithTimeout(quick).Should(HaveLen(i))
		}
	})

	It("keeps its rules when a SIGHUP reload finds the faults file now links to /dev/zero, in bounded memory", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		DeferCleanup(srv.Close)
		p := startStandaloneProxy(srv.URL, "faults:\n  - {name: all-503, action: {status: 503}}\n")
		Expect(send(p.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").StatusCode).To(Equal(503))

		tmp := p.faults + ".new"
		Expect(os.Symlink("/dev/zero", tmp)).To(Succeed())
		Expect(os.Rename(tmp, p.faults)).To(Succeed())
		p.session.Signal(syscall.SIGHUP)
		Eventually(p.session.Err).WithTimeout(quick).Should(gbytes.Say(
			`reload ` + regexp.QuoteMeta(p.faults) + ` failed, keeping the previous 1 rules: ` + regexp.QuoteMeta(p.faults) + `: is a character device, not a regular file`))
		Expect(send(p.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").StatusCode).To(Equal(503), "the old rule still fires")
		Expect(rssKiB(p.pid())).To(BeNumerically("<", lowRSS))
	})
})
