package injectors_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
)

var _ = Describe("forwarding", func() {
	It("streams a multipart upload and ranged reads through unchanged", func(ctx SpecContext) {
		p, buf := startProxy(injectors.Config{})
		c := s3Client(p.Addr(), 1)
		data := make([]byte, 12<<20)
		for i := range data {
			data[i] = byte(i * 31)
		}
		_, err := c.PutObject(ctx, bucket, "multi/obj.bin", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{PartSize: 5 << 20})
		Expect(err).NotTo(HaveOccurred())
		opts := minio.GetObjectOptions{}
		Expect(opts.SetRange(1000, 1999)).To(Succeed())
		obj, err := c.GetObject(ctx, bucket, "multi/obj.bin", opts)
		Expect(err).NotTo(HaveOccurred())
		got, err := io.ReadAll(obj)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(data[1000:2000]))
		obj, err = c.GetObject(ctx, bucket, "multi/obj.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		got, err = io.ReadAll(obj)
		Expect(err).NotTo(HaveOccurred())
		Expect(sha256.Sum256(got)).To(Equal(sha256.Sum256(data)))

		entries := journalOf(p, buf)
		var posts, parts int
		for _, e := range entries {
			Expect(e.Delivered).To(BeTrue(), "%+v", e)
			if e.Method == "POST" {
				posts++
			}
			if e.Method == "PUT" {
				parts++
				Expect(e.Query).To(ContainSubstring("partNumber="))
			}
		}
		Expect(posts).To(Equal(2), "initiate and complete")
		Expect(parts).To(Equal(3))
	})

	It("passes an early answer to a large upload on, without waiting for the body", func(ctx SpecContext) {
		p, _ := startProxy(injectors.Config{})
		wrong, err := minio.New(p.Addr(), &minio.Options{Creds: credentials.NewStaticV4(server.AccessKey, "not-the-secret", ""), Region: "us-east-1", MaxRetries: 1})
		Expect(err).NotTo(HaveOccurred())
		data := bytes.Repeat([]byte("x"), 8<<20)
		_, err = wrong.PutObject(ctx, bucket, "early/obj.bin", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{DisableMultipart: true})
		Expect(minio.ToErrorResponse(err).Code).To(Equal("SignatureDoesNotMatch"))
		// The proxy still serves afterwards.
		_, err = s3Client(p.Addr(), 1).ListBuckets(ctx)
		Expect(err).NotTo(HaveOccurred())
	}, SpecTimeout(time.Minute))

	It("forwards chunked answers and their trailers, and keeps a custom Host", func(ctx SpecContext) {
		hosts := make(chan string, 4)
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hosts <- r.Host
			w.Header().Set("Trailer", "X-Sum")
			for i := range 3 {
				fmt.Fprintf(w, "part-%d;", i)
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3")
		}))
		DeferCleanup(up.Close)
		u, err := url.Parse(up.URL)
		Expect(err).NotTo(HaveOccurred())
		p, buf := startProxy(injectors.Config{Upstream: u, Kind: injectors.KindJSON})
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/stream", nil)
		Expect(err).NotTo(HaveOccurred())
		req.Host = "feature-api.test"
		resp, err := freshClient(10 * time.Second).Do(req)
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal("part-0;part-1;part-2;"))
		Expect(resp.Trailer.Get("X-Sum")).To(Equal("3"))
		Expect(hosts).To(Receive(Equal("feature-api.test")))
		Expect(hosts).NotTo(Receive())
		Expect(journalOf(p, buf)[0].BytesOut).To(BeEquivalentTo(len(body)))
	})

	It("journals concurrent requests once each, with distinct seq", func(ctx SpecContext) {
		rule := status503("coin")
		rule.Schedule.Probability = ptr(0.5)
		p, buf := startProxy(injectors.Config{Seed: 3}, rule)
		const n = 50
		var wg sync.WaitGroup
		statuses := make(chan int, n)
		for range n {
			wg.Go(func() {
				defer GinkgoRecover()
				resp, err := http.Get(p.URL() + "/minio/health/live")
				Expect(err).NotTo(HaveOccurred())
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses <- resp.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		injected := 0
		for s := range statuses {
			if s == 503 {
				injected++
			}
		}
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(n))
		seqs := map[uint64]bool{}
		faults := 0
		for _, e := range entries {
			seqs[e.Seq] = true
			if e.Fault != "" {
				faults++
			}
		}
		Expect(seqs).To(HaveLen(n))
		Expect(faults).To(Equal(injected))
		Expect(p.Counters()[0].Injected).To(Equal(injected))
	})
})
