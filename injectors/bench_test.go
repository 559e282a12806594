package injectors_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/testenv"
)

// BenchmarkProxies compares minio-go GETs of a real MinIO, directly and
// through proxies that each run in a process of their own, as in use:
//
//   - direct: the baseline every ratio divides by;
//   - splice: a raw TCP proxy (accept, dial, two io.Copy, which Go turns
//     into splice): the floor of any proxy, the extra loopback hop alone;
//   - toxiproxy: Toxiproxy 2.12 (its Go module) with no toxics;
//   - httploop: a minimal HTTP/1.1 proxy loop, one goroutine per client
//     connection with its own upstream connection, net/http's parser and
//     writer (http.ReadRequest, Request.Write, http.ReadResponse,
//     Response.Write) but no http.Server: what parsing costs without the
//     server's per-request machinery (background read goroutine, deadlines,
//     contexts);
//   - rawloop: an HTTP/1.1 loop that parses nothing but the line ends and
//     Content-Length and forwards heads as the bytes they came in: the
//     floor of a proxy that reads HTTP;
//   - reverseproxy: a plain httputil.ReverseProxy, Host kept;
//   - gameday: `gameday proxy --faults` with no rule and no journal;
//   - gameday+journal: the same, writing its journal to a file;
//   - gameday+20rules: 20 armed rules that match nothing, no journal.
//
// The yardsticks run in a copy of the test binary (TestBenchHelper); the
// gameday paths run GAMEDAY_BIN, which `make bench` builds. Each of
// GAMEDAY_BENCH_ROUNDS rounds (default 5) does GAMEDAY_BENCH_SMALL 1 KiB
// GETs per path (default 1500), then GAMEDAY_BENCH_BIG 64 MiB GETs per path
// (default 4), the paths taking turns in rotating order so that load from
// elsewhere on the machine hits all alike. A round's ratio divides a path's
// figure by direct's in that round; the table gives the median over the
// rounds and their range, and each proxy process's CPU time per small GET.
//
// GAMEDAY_BENCH_ONLY=name,name keeps those paths (and direct), for
// profiling one; GAMEDAY_BENCH_COMPARE=/path/to/gameday adds the three
// gameday paths of another build as compare, compare+journal and
// compare+20rules, for a before/after measured in one run.
func BenchmarkProxies(b *testing.B) {
	env := startBenchMinIO(b)
	paths := env.paths(b)
	env.put(b, "small.bin", 1024)
	const bigSize = 64 << 20
	env.put(b, "big.bin", bigSize)
	rounds := envInt("GAMEDAY_BENCH_ROUNDS", 5)
	smallN := envInt("GAMEDAY_BENCH_SMALL", 1500)
	bigN := envInt("GAMEDAY_BENCH_BIG", 4)
	for range 200 {
		for _, p := range paths {
			get(b, p.c, "small.bin", 1024)
		}
	}
	for _, p := range paths {
		get(b, p.c, "big.bin", bigSize)
	}

	n := len(paths)
	res := make([]pathResult, n)
	for k := range res {
		res[k].name = paths[k].name
	}
	b.ResetTimer()
	for r := range rounds {
		took := make([][]time.Duration, n)
		cpu0 := make([]time.Duration, n)
		sw0 := make([]int64, n)
		for k, p := range paths {
			cpu0[k], sw0[k] = cpuTime(p.pid), switches(p.pid)
		}
		for i := range smallN {
			for j := range n {
				k := (i + j + r) % n
				took[k] = append(took[k], get(b, paths[k].c, "small.bin", 1024))
			}
		}
		d50, d99 := percentile(took[0], 0.5), percentile(took[0], 0.99)
		for k, p := range paths {
			p50, p99 := percentile(took[k], 0.5), percentile(took[k], 0.99)
			res[k].p50ms = append(res[k].p50ms, ms(p50))
			res[k].p50 = append(res[k].p50, float64(p50)/float64(d50))
			res[k].p99 = append(res[k].p99, float64(p99)/float64(d99))
			if p.pid != 0 {
				res[k].cpuUS = append(res[k].cpuUS, float64(cpuTime(p.pid)-cpu0[k])/float64(time.Microsecond)/float64(smallN))
				res[k].switches = append(res[k].switches, float64(switches(p.pid)-sw0[k])/float64(smallN))
			}
		}
		big := make([]time.Duration, n)
		for i := range bigN {
			for j := range n {
				k := (i + j + r) % n
				d := get(b, paths[k].c, "big.bin", bigSize)
				big[k] += d
				res[k].mibps = append(res[k].mibps, float64(bigSize)/(1<<20)/d.Seconds())
			}
		}
		for k := range paths {
			res[k].tput = append(res[k].tput, big[0].Seconds()/big[k].Seconds())
		}
	}
	b.StopTimer()

	for _, r := range res {
		if r.name == "direct" {
			b.ReportMetric(median(r.p50ms), "direct-p50-ms")
			b.ReportMetric(median(r.mibps), "direct-MiB/s")
			continue
		}
		b.ReportMetric(median(r.p50), r.name+"-p50-ratio")
		b.ReportMetric(median(r.p99), r.name+"-p99-ratio")
		b.ReportMetric(median(r.tput), r.name+"-tput-ratio")
	}
	printTable(os.Stdout, res, rounds, smallN, bigN)
}

// pathResult holds one path's figures, one value per round (mibps: one
// per 64 MiB GET).
type pathResult struct {
	name                         string
	p50, p99, tput, p50ms, cpuUS []float64
	mibps, switches              []float64
}

// printTable writes the results as a Markdown table, then the figures the
// proxy's targets are stated in.
func printTable(w io.Writer, res []pathResult, rounds, smallN, bigN int) {
	span := func(v []float64, f string) string {
		return fmt.Sprintf(f+" ("+f+"–"+f+")", median(v), slices.Min(v), slices.Max(v))
	}
	pct := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = 100 * x
		}
		return out
	}
	fmt.Fprintf(w, "\nproxy paths: %d rounds of %d 1 KiB GETs and %d 64 MiB GETs per path; median (range) over rounds\n\n", rounds, smallN, bigN)
	fmt.Fprintln(w, "| path | 1 KiB GET p50 vs direct | p99 vs direct | 64 MiB throughput vs direct | proxy CPU per 1 KiB GET | proxy context switches per 1 KiB GET |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range res {
		if r.name == "direct" {
			fmt.Fprintf(w, "| direct | 1.00× (%.3f ms) | 1.00× | 100%% (%.0f MiB/s) | | |\n", median(r.p50ms), median(r.mibps))
			continue
		}
		cpu, sw := "", ""
		if len(r.cpuUS) > 0 {
			cpu = fmt.Sprintf("%.0f µs", median(r.cpuUS))
			sw = fmt.Sprintf("%.1f", median(r.switches))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.name, span(r.p50, "%.2f×"), span(r.p99, "%.2f×"), span(pct(r.tput), "%.0f%%"), cpu, sw)
	}
	by := map[string]pathResult{}
	for _, r := range res {
		by[r.name] = r
	}
	// Per round, then the median: both figures of a difference come from
	// the same round.
	diff := func(a, c string, f func(x, y float64) float64) (float64, bool) {
		ra, oka := by[a]
		rc, okc := by[c]
		if !oka || !okc {
			return 0, false
		}
		d := make([]float64, len(ra.p50))
		for i := range d {
			d[i] = f(ra.p50[i], rc.p50[i])
		}
		return median(d), true
	}
	fmt.Fprintln(w)
	for _, g := range []string{"gameday", "compare"} {
		if d, ok := diff(g, "splice", func(x, y float64) float64 { return x - y }); ok {
			fmt.Fprintf(w, "%s p50 minus splice p50: %+.3f× (target ≤ +0.05×)\n", g, d)
		}
		if d, ok := diff(g, "toxiproxy", func(x, y float64) float64 { return x - y }); ok {
			fmt.Fprintf(w, "%s p50 minus toxiproxy p50: %+.3f× (target ≤ +0.02×)\n", g, d)
		}
		if gr, ok := by[g]; ok {
			if t, ok := by["toxiproxy"]; ok {
				fmt.Fprintf(w, "%s p99 %.2f× against toxiproxy %.2f× (target ≤)\n", g, median(gr.p99), median(t.p99))
			}
			if s, ok := by["splice"]; ok {
				fmt.Fprintf(w, "%s throughput %.0f%% against splice %.0f%% (target within 5 points)\n", g, 100*median(gr.tput), 100*median(s.tput))
			}
		}
		if d, ok := diff(g+"+20rules", g, func(x, y float64) float64 { return 100 * (x/y - 1) }); ok {
			fmt.Fprintf(w, "%s+20rules p50 against %s: %+.1f%% (target within 2%%)\n", g, g, d)
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchMinIO is a MinIO with a bucket and the test binary's way to it.
type benchMinIO struct {
	m      *testenv.MinIO
	direct *minio.Client
}

func startBenchMinIO(b *testing.B) *benchMinIO {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := testenv.StartMinIO(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Stop)
	e := &benchMinIO{m: m}
	e.direct = e.client(b, m.Endpoint)
	if err := e.direct.MakeBucket(ctx, "bench", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	return e
}

func (e *benchMinIO) client(b *testing.B, endpoint string) *minio.Client {
	c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(e.m.AccessKey, e.m.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchPath is one way to MinIO: directly or through a proxy process.
type benchPath struct {
	name string
	c    *minio.Client
	pid  int // the proxy's process; 0 for direct
}

// paths starts the proxies and returns direct first, then one path per
// proxy (see BenchmarkProxies).
func (e *benchMinIO) paths(b *testing.B) []benchPath {
	b.Helper()
	ps := []benchPath{{name: "direct", c: e.direct}}
	add := func(name, addr string, pid int) {
		ps = append(ps, benchPath{name: name, c: e.client(b, addr), pid: pid})
	}
	only := os.Getenv("GAMEDAY_BENCH_ONLY")
	wanted := func(name string) bool {
		return only == "" || slices.Contains(strings.Split(only, ","), name)
	}
	for _, y := range []string{"splice", "toxiproxy", "httploop", "rawloop", "reverseproxy"} {
		if wanted(y) {
			addr, pid := startYardstick(b, y, e.m.Endpoint)
			add(y, addr, pid)
		}
	}
	dir := b.TempDir()
	none := filepath.Join(dir, "none.yaml")
	twenty := filepath.Join(dir, "twenty.yaml")
	writeBenchFile(b, none, "faults: []\n")
	var rules strings.Builder
	rules.WriteString("faults:\n")
	for i := range 20 {
		fmt.Fprintf(&rules, "  - {name: never-%d, match: {method: [GET, PUT], path: /no-such-bucket-%d/*}, action: {status: 503}}\n", i, i)
	}
	writeBenchFile(b, twenty, rules.String())
	builds := []struct{ name, bin string }{{"gameday", os.Getenv("GAMEDAY_BIN")}}
	if other := os.Getenv("GAMEDAY_BENCH_COMPARE"); other != "" {
		builds = append(builds, struct{ name, bin string }{"compare", other})
	}
	for _, g := range builds {
		if g.bin == "" {
			g.bin = filepath.Join(moduleRoot(b), "bin", "gameday")
		}
		variants := []struct {
			suffix string
			args   []string
		}{
			{"", []string{"--faults", none}},
			{"+journal", []string{"--faults", none, "--journal", filepath.Join(dir, g.name+"-journal.jsonl")}},
			{"+20rules", []string{"--faults", twenty}},
		}
		for _, v := range variants {
			if !wanted(g.name + v.suffix) {
				continue
			}
			args := append([]string{"proxy", "--upstream", e.m.URL(), "--listen", "127.0.0.1:0", "--kind", "s3", "--seed", "1"}, v.args...)
			addr, pid := startProcess(b, exec.Command(g.bin, args...))
			add(g.name+v.suffix, addr, pid)
		}
	}
	return ps
}

func moduleRoot(b *testing.B) string {
	root, err := testenv.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	return root
}

func writeBenchFile(b *testing.B, path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
}

// listeningRE finds the address a proxy process prints once it listens.
var listeningRE = regexp.MustCompile(`listening on (?:http://)?(\S+)`)

// startYardstick runs a yardstick proxy in a copy of the test binary.
func startYardstick(b *testing.B, kind, upstream string) (addr string, pid int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GAMEDAY_BENCH_HELPER="+kind, "GAMEDAY_BENCH_UPSTREAM="+upstream)
	return startProcess(b, cmd)
}

// startProcess starts a proxy process, waits for the address it listens
// on, and interrupts it at cleanup (killing it if it does not end).
func startProcess(b *testing.B, cmd *exec.Cmd) (addr string, pid int) {
	b.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr lockedLog // shown if it fails to start
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case addr = <-found:
		return addr, cmd.Process.Pid
	case <-done:
		b.Fatalf("%s exited before listening: %s", cmd.Path, stderr.String())
	case <-time.After(10 * time.Second):
		b.Fatalf("%s did not say where it listens within 10 s: %s", cmd.Path, stderr.String())
	}
	return "", 0
}

// TestBenchHelper is a yardstick proxy process of BenchmarkProxies; it
// skips unless GAMEDAY_BENCH_HELPER names one. It prints its address and
// serves until interrupted.
func TestBenchHelper(t *testing.T) {
	kind, upstream := os.Getenv("GAMEDAY_BENCH_HELPER"), os.Getenv("GAMEDAY_BENCH_UPSTREAM")
	if kind == "" {
		t.Skip("a helper process of BenchmarkProxies")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var addr string
	switch kind {
	case "splice":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer serveSplice(ln, upstream)()
		addr = ln.Addr().String()
	case "toxiproxy":
		srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
		p := toxiproxy.NewProxy(srv, "minio", "127.0.0.1:0", upstream)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		addr = p.Listen
	case "httploop":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer serveHTTPLoop(ln, upstream)()
		addr = ln.Addr().String()
	case "rawloop":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer serveRawLoop(ln, upstream)()
		addr = ln.Addr().String()
	case "reverseproxy":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", upstream
			r.Out.Host = r.In.Host
		}}
		srv := &http.Server{Handler: rp}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		addr = ln.Addr().String()
	default:
		t.Fatalf("GAMEDAY_BENCH_HELPER=%q: want splice, toxiproxy, httploop, rawloop or reverseproxy", kind)
	}
	fmt.Printf("listening on %s\n", addr)
	<-ctx.Done()
}

// serveConns accepts on ln, dials upstream for each client connection and
// runs serve(c, u) on its own goroutine. The returned func stops it:
// closes ln and every connection, and waits for the goroutines.
func serveConns(ln net.Listener, upstream string, serve func(c, u net.Conn)) (stop func()) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn) {
		mu.Lock()
		conns[c] = true
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			track(c)
			track(u)
			wg.Go(func() { serve(c, u) })
		}
	})
	return func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// serveSplice serves a minimal TCP proxy to upstream on ln: accept, dial,
// two io.Copy. The returned func stops it.
func serveSplice(ln net.Listener, upstream string) (stop func()) {
	return serveConns(ln, upstream, func(c, u net.Conn) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(u, c)
			_ = u.(*net.TCPConn).CloseWrite()
		}()
		_, _ = io.Copy(c, u)
		_ = c.(*net.TCPConn).CloseWrite()
		<-done
	})
}

// serveHTTPLoop serves the httploop yardstick on ln (see
// BenchmarkProxies); the returned func stops it.
func serveHTTPLoop(ln net.Listener, upstream string) (stop func()) {
	return serveConns(ln, upstream, func(c, u net.Conn) {
		defer c.Close()
		defer u.Close()
		cr, cw := bufio.NewReader(c), bufio.NewWriter(c)
		ur, uw := bufio.NewReader(u), bufio.NewWriter(u)
		for {
			req, err := http.ReadRequest(cr)
			if err != nil {
				return
			}
			if req.Write(uw) != nil || uw.Flush() != nil {
				return
			}
			resp, err := http.ReadResponse(ur, req)
			if err != nil {
				return
			}
			if resp.Write(cw) != nil || cw.Flush() != nil {
				return
			}
		}
	})
}

// startRawProxy serves a raw TCP splice proxy to upstream in this process
// until the benchmark ends and returns its address.
func startRawProxy(b *testing.B, upstream string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(serveSplice(ln, upstream))
	return ln.Addr().String()
}

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ left int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	n = min(n, r.left)
	for i := range p[:n] {
		p[i] = byte(i*7 + 3)
	}
	r.left -= n
	return int(n), nil
}

func (e *benchMinIO) put(b *testing.B, key string, size int64) {
	b.Helper()
	_, err := e.direct.PutObject(context.Background(), "bench", key, &patternReader{left: size}, size, minio.PutObjectOptions{PartSize: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
}

// get downloads key with c and returns how long it took.
func get(b *testing.B, c *minio.Client, key string, want int64) time.Duration {
	start := time.Now()
	obj, err := c.GetObject(context.Background(), "bench", key, minio.GetObjectOptions{})
	if err != nil {
		b.Fatal(err)
	}
	buf := readBuf.Get().(*[]byte)
	n, err := io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{obj}, *buf)
	readBuf.Put(buf)
	obj.Close()
	if err != nil || n != want {
		b.Fatalf("get %s: %d bytes, %v", key, n, err)
	}
	return time.Since(start)
}

// readBuf holds 1 MiB read buffers: the client reads in large chunks, so
// that its own syscalls do not dominate the comparison.
var readBuf = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// onlyReader and onlyWriter hide ReadFrom/WriteTo, so io.CopyBuffer uses
// the given buffer.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkGet1GiBMemory downloads 1 GiB through an in-process proxy with
// a matching on: response rule that does not fire and reports the growth
// of the process's heap during the download (target < 64 MiB).
func BenchmarkGet1GiBMemory(b *testing.B) {
	env := startBenchMinIO(b)
	rule := injectors.Rule{Name: "armed-not-firing", On: injectors.OnResponse,
		Match:    injectors.Match{Methods: []string{"GET"}, Path: "/bench/*"},
		Action:   &injectors.Delay{D: time.Second},
		Schedule: injectors.Schedule{Skip: 1 << 30}}
	journal, err := os.Create(filepath.Join(b.TempDir(), "journal.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { journal.Close() })
	u, _ := url.Parse(env.m.URL())
	p, err := injectors.New(injectors.Config{Upstream: u, Kind: injectors.KindS3, Target: "storage", Journal: journal, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	if err := p.Arm([]injectors.Rule{rule}); err != nil {
		b.Fatal(err)
	}
	proxied := env.client(b, p.Addr())
	const size = 1 << 30
	env.put(b, "huge.bin", size)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	peak.Store(before.HeapInuse)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	})
	b.ResetTimer()
	took := get(b, proxied, "huge.bin", size)
	b.StopTimer()
	close(stop)
	wg.Wait()
	if c := p.Counters(); c[0].Matched != 1 || c[0].Injected != 0 {
		b.Fatalf("rule counters %+v, want matched 1, injected 0", c)
	}
	b.ReportMetric(float64(peak.Load()-before.HeapInuse)/(1<<20), "heap-growth-MiB")
	b.ReportMetric(float64(size)/(1<<20)/took.Seconds(), "proxy-MiB/s")
}

// switches returns the context switches of process pid's threads so far,
// voluntary or not (0 for none): each is a thread put to sleep or woken.
func switches(pid int) int64 {
	if pid == 0 {
		return 0
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, t := range tasks {
		status, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

// cpuTime returns the user+system CPU time of process pid so far (0 for
// none).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with ')'.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
