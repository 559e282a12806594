package injectors_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/gameday/gameday/injectors"
)

// BenchmarkProxyRequest measures the proxy's own cost per request, with
// -benchmem: a raw keep-alive client sends a minio-go-like GET through the
// proxy to a raw upstream that answers a MinIO-like 1 KiB object. Client
// and upstream allocate nothing per request, so allocs/op and B/op are the
// proxy's. Sub-benchmarks: no rule and no journal; a journal file; 20
// armed rules that do not match.
func BenchmarkProxyRequest(b *testing.B) {
	up := startFixedUpstream(b)
	// The floors: the upstream itself and a raw TCP splice in front of it.
	b.Run("direct", func(b *testing.B) { loopGets(b, up) })
	b.Run("splice", func(b *testing.B) { loopGets(b, startRawProxy(b, up)) })
	cases := []struct {
		name    string
		journal bool
		rules   []injectors.Rule
	}{
		{name: "plain"},
		{name: "journal", journal: true},
		{name: "rules20", rules: nonMatchingRules(20)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := injectors.Config{Upstream: &url.URL{Scheme: "http", Host: up}, Kind: injectors.KindS3, Target: "storage", Seed: 1}
			if c.journal {
				f, err := os.Create(filepath.Join(b.TempDir(), "journal.jsonl"))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { f.Close() })
				cfg.Journal = f
			}
			p, err := injectors.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.Close() })
			if err := p.Arm(c.rules); err != nil {
				b.Fatal(err)
			}
			loopGets(b, p.Addr())
		})
	}
}

// loopGets warms a raw client up on addr, then GETs b.N times.
func loopGets(b *testing.B, addr string) {
	cl := dialRawClient(b, addr)
	for range 100 {
		cl.get(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cl.get(b)
	}
}

// nonMatchingRules returns n status rules whose paths no benchmark request
// takes.
func nonMatchingRules(n int) []injectors.Rule {
	rules := make([]injectors.Rule, n)
	for i := range rules {
		rules[i] = injectors.Rule{Name: "never-" + strconv.Itoa(i),
			Match:  injectors.Match{Methods: []string{"GET", "PUT"}, Path: fmt.Sprintf("/no-such-bucket-%d/*", i)},
			Action: &injectors.Status{Code: 503}}
	}
	return rules
}

// smallGET is what minio-go sends for a GetObject of bench/small.bin.
const smallGET = "GET /bench/small.bin HTTP/1.1\r\n" +
	"Host: 127.0.0.1:9000\r\n" +
	"User-Agent: MinIO (linux; amd64) minio-go/v7.4.1\r\n" +
	"Authorization: AWS4-HMAC-SHA256 Credential=minioadmin/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n" +
	"X-Amz-Content-Sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n" +
	"X-Amz-Date: 20260101T000000Z\r\n" +
	"Accept-Encoding: gzip\r\n\r\n"

// smallAnswer is what MinIO answers it with, 1 KiB of body.
var smallAnswer = []byte("HTTP/1.1 200 OK\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"Content-Length: 1024\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Etag: \"0f343b0931126a20f133d67c2b018a3b\"\r\n" +
	"Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n" +
	"Server: MinIO\r\n" +
	"Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n" +
	"Vary: Origin\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"X-Amz-Id-2: dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8\r\n" +
	"X-Amz-Request-Id: 1880F2D3A9E1B2C4\r\n" +
	"X-Content-Type-Options: nosniff\r\n" +
	"X-Xss-Protection: 1; mode=block\r\n" +
	"Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n" +
	string(bytes.Repeat([]byte{'x'}, 1024)))

// startFixedUpstream serves smallAnswer to every request on keep-alive
// connections and returns its address.
func startFixedUpstream(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
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
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				br := bufio.NewReader(c)
				for {
					if err := skipHead(br); err != nil {
						_ = c.Close()
						return
					}
					if _, err := c.Write(smallAnswer); err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

// skipHead reads a message head up to its empty line (bodies: none).
func skipHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			return nil
		}
	}
}

// rawClient sends smallGET on one keep-alive connection and reads the
// answer without allocating.
type rawClient struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
	buf []byte
}

func dialRawClient(b *testing.B, addr string) *rawClient {
	b.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return &rawClient{c: c, br: bufio.NewReaderSize(c, 8<<10), req: []byte(smallGET), buf: make([]byte, 4<<10)}
}

var contentLength = []byte("content-length:")

func (r *rawClient) get(b *testing.B) {
	if _, err := r.c.Write(r.req); err != nil {
		b.Fatal(err)
	}
	n := -1
	status := true
	for {
		line, err := r.br.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if status {
			if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
				b.Fatalf("answer %q", line)
			}
			status = false
			continue
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(contentLength):])))
		}
	}
	if n != 1024 {
		b.Fatalf("content-length %d", n)
	}
	if _, err := io.ReadFull(r.br, r.buf[:n]); err != nil {
		b.Fatal(err)
	}
}
