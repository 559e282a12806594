package injectors_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/testenv"
)

// The benchmarks compare minio-go GETs against a real MinIO, directly and
// through a proxy that writes its journal to a file and has a rule armed.
// Each does a fixed amount of work once (`make bench` runs -benchtime 1x)
// and reports its figures with b.ReportMetric. The paths (direct, the fault
// proxy, a raw TCP proxy, a plain ReverseProxy) take turns in rotating
// order with identical clients, so load from elsewhere on the machine hits
// all alike. GAMEDAY_BENCH_ROUNDS sets the 64 MiB rounds (default 25);
// GAMEDAY_BENCH_ONLY=proxy|rawtcp|reverseproxy keeps only that path and
// direct, for profiling a path with perf or -cpuprofile.

// benchEnv is a MinIO, a proxy in front of it and a client for each.
type benchEnv struct {
	direct, proxied *minio.Client
	proxy           *injectors.Proxy
	// reference goes through a plain httputil.ReverseProxy (Host kept),
	// the yardstick the issue quotes, measured in the same run.
	reference *minio.Client
	// raw goes through a minimal TCP proxy (accept, dial, two io.Copy,
	// which Go turns into splice): the ceiling of any proxy on this
	// machine, as it pays for the extra loopback hop and nothing else.
	raw *minio.Client
	// minioPID is the MinIO server's process, for its CPU time.
	minioPID int
}

func newBenchEnv(b *testing.B, rule injectors.Rule) *benchEnv {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := b.TempDir()
	m, err := testenv.StartMinIO(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Stop)
	journal, err := os.Create(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { journal.Close() })
	u, _ := url.Parse(m.URL())
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
	client := func(endpoint string) *minio.Client {
		c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""), Region: "us-east-1"})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = u.Scheme, u.Host
		r.Out.Host = r.In.Host
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: rp}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	raw := startRawProxy(b, m.Endpoint)
	env := &benchEnv{direct: client(m.Endpoint), proxied: client(p.Addr()), proxy: p,
		reference: client(ln.Addr().String()), raw: client(raw), minioPID: findPID(m.DataDir)}
	if err := env.direct.MakeBucket(ctx, "bench", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	return env
}

// path is one way to MinIO: directly or through one of the proxies.
type path struct {
	name string
	c    *minio.Client
}

// paths returns direct first, then the fault proxy and the yardsticks; with
// GAMEDAY_BENCH_ONLY set, direct and that one alone (a profiling aid).
func (e *benchEnv) paths() []path {
	ps := []path{{"direct", e.direct}, {"proxy", e.proxied}, {"rawtcp", e.raw}, {"reverseproxy", e.reference}}
	if only := os.Getenv("GAMEDAY_BENCH_ONLY"); only != "" {
		ps = slices.DeleteFunc(ps, func(p path) bool { return p.name != "direct" && p.name != only })
	}
	return ps
}

// matchNothing is the armed rule of the latency and throughput benchmarks.
var matchNothing = injectors.Rule{Name: "never", Match: injectors.Match{Path: "/no-such-bucket/*"},
	Action: &injectors.Status{Code: 503}}

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

func (e *benchEnv) put(b *testing.B, key string, size int64) {
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

// BenchmarkGet1KiB reports p50/p99 of a 1 KiB GET, direct and proxied, and
// the p50 ratio (target <= 1.2), with the raw TCP proxy and the plain
// ReverseProxy as yardsticks in the same run.
func BenchmarkGet1KiB(b *testing.B) {
	env := newBenchEnv(b, matchNothing)
	env.put(b, "small.bin", 1024)
	paths := env.paths()
	const warm, rounds = 200, 2000
	for range warm {
		for _, p := range paths {
			get(b, p.c, "small.bin", 1024)
		}
	}
	took := make([][]time.Duration, len(paths))
	for k := range took {
		took[k] = make([]time.Duration, 0, rounds)
	}
	b.ResetTimer()
	for i := range rounds {
		// Rotate the order, so that no path always follows another.
		for j := range paths {
			k := (i + j) % len(paths)
			took[k] = append(took[k], get(b, paths[k].c, "small.bin", 1024))
		}
	}
	b.StopTimer()
	d50, d99 := percentile(took[0], 0.5), percentile(took[0], 0.99)
	b.ReportMetric(ms(d50), "direct-p50-ms")
	b.ReportMetric(ms(d99), "direct-p99-ms")
	for k, p := range paths[1:] {
		p50, p99 := percentile(took[k+1], 0.5), percentile(took[k+1], 0.99)
		if p.name == "proxy" {
			b.ReportMetric(ms(p50), "proxy-p50-ms")
			b.ReportMetric(ms(p99), "proxy-p99-ms")
			b.ReportMetric(float64(p50)/float64(d50), "p50-ratio")
			b.ReportMetric(float64(p99)/float64(d99), "p99-ratio")
			continue
		}
		b.ReportMetric(float64(p50)/float64(d50), p.name+"-p50-ratio")
		b.ReportMetric(float64(p99)/float64(d99), p.name+"-p99-ratio")
	}
}

// BenchmarkGet64MiB reports the throughput of a 64 MiB GET, direct and
// through each proxy (median of rounds in rotating order), their ratios to
// direct (median of per-round ratios; target >= 0.95 for the fault proxy), and the CPU time per GET of
// MinIO and of this process (client, plus the proxy when there is one).
func BenchmarkGet64MiB(b *testing.B) {
	env := newBenchEnv(b, matchNothing)
	const size = 64 << 20
	env.put(b, "big.bin", size)
	paths := env.paths()
	for range 2 {
		for _, p := range paths {
			get(b, p.c, "big.bin", size)
		}
	}
	rounds := 25
	if s := os.Getenv("GAMEDAY_BENCH_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	took := make([][]time.Duration, len(paths))
	selfCPU := make([]time.Duration, len(paths))
	minioCPU := make([]time.Duration, len(paths))
	b.ResetTimer()
	for i := range rounds {
		// Rotate the order, so that no path always follows another.
		for j := range paths {
			k := (i + j) % len(paths)
			s0, m0 := cpuTime(0), cpuTime(env.minioPID)
			took[k] = append(took[k], get(b, paths[k].c, "big.bin", size))
			selfCPU[k] += cpuTime(0) - s0
			minioCPU[k] += cpuTime(env.minioPID) - m0
		}
	}
	b.StopTimer()
	mibps := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }
	// A ratio is the median of the per-round ratios (direct time over the
	// path's time): the two GETs of a round run back to back, so load from
	// elsewhere on the machine skews both alike.
	ratio := func(k int) float64 {
		r := make([]float64, rounds)
		for i := range rounds {
			r[i] = took[0][i].Seconds() / took[k][i].Seconds()
		}
		slices.Sort(r)
		return r[rounds/2]
	}
	for k, p := range paths {
		b.ReportMetric(mibps(percentile(took[k], 0.5)), p.name+"-MiB/s")
		if k > 0 {
			b.ReportMetric(ratio(k), p.name+"-ratio")
		}
		if env.minioPID != 0 {
			b.ReportMetric(ms(minioCPU[k]/time.Duration(rounds)), p.name+"-minio-cpu-ms")
		}
		b.ReportMetric(ms(selfCPU[k]/time.Duration(rounds)), p.name+"-self-cpu-ms")
	}
	if paths[1].name == "proxy" {
		b.ReportMetric(ratio(1), "throughput-ratio")
	}
}

// BenchmarkGet1GiBMemory downloads 1 GiB through a matching on: response
// rule that does not fire and reports the growth of the process's heap
// during the download (target < 64 MiB).
func BenchmarkGet1GiBMemory(b *testing.B) {
	rule := injectors.Rule{Name: "armed-not-firing", On: injectors.OnResponse,
		Match:    injectors.Match{Methods: []string{"GET"}, Path: "/bench/*"},
		Action:   &injectors.Delay{D: time.Second},
		Schedule: injectors.Schedule{Skip: 1 << 30}}
	env := newBenchEnv(b, rule)
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
	took := get(b, env.proxied, "huge.bin", size)
	b.StopTimer()
	close(stop)
	wg.Wait()
	if c := env.proxy.Counters(); c[0].Matched != 1 || c[0].Injected != 0 {
		b.Fatalf("rule counters %+v, want matched 1, injected 0", c)
	}
	b.ReportMetric(float64(peak.Load()-before.HeapInuse)/(1<<20), "heap-growth-MiB")
	b.ReportMetric(float64(size)/(1<<20)/took.Seconds(), "proxy-MiB/s")
}

// startRawProxy serves a minimal TCP proxy to upstream and returns its
// address.
func startRawProxy(b *testing.B, upstream string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn) {
		mu.Lock()
		conns[c] = true
		mu.Unlock()
	}
	b.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
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
			wg.Go(func() {
				_, _ = io.Copy(u, c)
				_ = u.(*net.TCPConn).CloseWrite()
			})
			wg.Go(func() {
				_, _ = io.Copy(c, u)
				_ = c.(*net.TCPConn).CloseWrite()
			})
		}
	})
	return ln.Addr().String()
}

// findPID returns the process whose command line names dir (the MinIO
// server), or 0.
func findPID(dir string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) && bytes.Contains(cmdline, []byte("server")) {
			return pid
		}
	}
	return 0
}

// cpuTime returns the user+system CPU time of pid (0: this process).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with ')'.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
