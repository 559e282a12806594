package idempotency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"syscall"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/idempotency"
	"github.com/gameday/gameday/policies/retry"
)

var bucketSeq atomic.Int32

// versionedBucket creates a fresh versioned bucket and returns its name.
func versionedBucket(ctx context.Context, c *minio.Client) string {
	name := fmt.Sprintf("models-%d", bucketSeq.Add(1))
	Expect(c.MakeBucket(ctx, name, minio.MakeBucketOptions{})).To(Succeed())
	Expect(c.EnableVersioning(ctx, name)).To(Succeed())
	return name
}

// versions returns key → number of versions (delete markers left aside).
func versions(ctx context.Context, c *minio.Client, bucket string) map[string]int {
	out := map[string]int{}
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		Expect(o.Err).NotTo(HaveOccurred())
		if !o.IsDeleteMarker {
			out[o.Key]++
		}
	}
	return out
}

func ciPolicy() *policies.Policy {
	p, err := policies.Load("../ci.yaml")
	Expect(err).NotTo(HaveOccurred())
	return p
}

// admin is a plain client for set-up and checks, outside any policy.
func admin() *minio.Client {
	c, err := minio.New(server.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(server.AccessKey, server.SecretKey, ""), Region: "us-east-1"})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// loseFirstPUT forwards requests, but the answer of the first PUT whose path
// ends in suffix never reaches the client: it gets a connection reset
// instead, after the server stored the object.
type loseFirstPUT struct {
	base   http.RoundTripper
	suffix string
	lost   atomic.Bool
	before func() // runs before the PUT is forwarded, once
}

func (t *loseFirstPUT) RoundTrip(r *http.Request) (*http.Response, error) {
	match := r.Method == http.MethodPut && bytes.HasSuffix([]byte(r.URL.Path), []byte(t.suffix))
	if match && t.before != nil {
		f := t.before
		t.before = nil
		f()
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && match && t.lost.CompareAndSwap(false, true) {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("read: %w", syscall.ECONNRESET)
	}
	return resp, err
}

func store(ctx context.Context, bucket string, rt http.RoundTripper, log io.Writer) *idempotency.Store {
	c, err := minio.New(server.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(server.AccessKey, server.SecretKey, ""), Region: "us-east-1",
		BucketLookup: minio.BucketLookupPath, MaxRetries: 1, Transport: &retry.Transport{Base: rt},
	})
	Expect(err).NotTo(HaveOccurred())
	if log == nil {
		log = GinkgoWriter
	}
	l := slog.New(slog.NewTextHandler(log, nil))
	ex := retry.New(ciPolicy(), retry.Config{Logger: l, Rand: rand.New(rand.NewPCG(1, 1))})
	return &idempotency.Store{Client: c, Exec: ex, Bucket: bucket, Prefix: "run-1/", Marker: "meta.json", Logger: l}
}

var _ = Describe("Store against MinIO", func() {
	var ctx context.Context
	var a *minio.Client
	BeforeEach(func() {
		ctx = context.Background()
		a = admin()
	})

	It("writes an absent artifact once and skips identical rewrites", func() {
		b := versionedBucket(ctx, a)
		s := store(ctx, b, retry.NewHTTPTransport(), nil)
		wrote, err := s.Put(ctx, "model.bin", []byte("weights v1"))
		Expect(err).NotTo(HaveOccurred())
		Expect(wrote).To(BeTrue())
		for range 3 {
			wrote, err = s.Put(ctx, "model.bin", []byte("weights v1"))
			Expect(err).NotTo(HaveOccurred())
			Expect(wrote).To(BeFalse())
		}
		Expect(versions(ctx, a, b)).To(Equal(map[string]int{"run-1/model.bin": 1}))
	})

	It("replaces an artifact that differs, conditionally on its ETag", func() {
		b := versionedBucket(ctx, a)
		s := store(ctx, b, retry.NewHTTPTransport(), nil)
		_, err := s.Put(ctx, "model.bin", []byte("weights v1"))
		Expect(err).NotTo(HaveOccurred())
		wrote, err := s.Put(ctx, "model.bin", []byte("weights v2"))
		Expect(err).NotTo(HaveOccurred())
		Expect(wrote).To(BeTrue())
		obj, err := a.GetObject(ctx, b, "run-1/model.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(io.ReadAll(obj)).To(Equal([]byte("weights v2")))
	})

	It("commits the marker once; a second commit finds it", func() {
		b := versionedBucket(ctx, a)
		s := store(ctx, b, retry.NewHTTPTransport(), nil)
		done, err := s.Committed(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(done).To(BeFalse())
		created, err := s.Commit(ctx, []byte(`{"run_id":"run-1"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(created).To(BeTrue())
		created, err = s.Commit(ctx, []byte(`{"run_id":"run-1","other":true}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(created).To(BeFalse())
		done, err = s.Committed(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(done).To(BeTrue())
		Expect(versions(ctx, a, b)).To(Equal(map[string]int{"run-1/meta.json": 1}))
	})

	It("retries a PUT whose answer was lost without writing a second version", func() {
		b := versionedBucket(ctx, a)
		var log bytes.Buffer
		rt := &loseFirstPUT{base: retry.NewHTTPTransport(), suffix: "/model.bin"}
		s := store(ctx, b, rt, &log)
		wrote, err := s.Put(ctx, "model.bin", []byte("weights"))
		Expect(err).NotTo(HaveOccurred())
		Expect(wrote).To(BeFalse(), "the first attempt landed; the retry found it")
		Expect(rt.lost.Load()).To(BeTrue())
		Expect(log.String()).To(ContainSubstring("class=transient"))
		Expect(log.String()).To(ContainSubstring("reason=landed-earlier"))
		Expect(versions(ctx, a, b)).To(Equal(map[string]int{"run-1/model.bin": 1}))
	})

	It("retries a lost commit-marker answer as already committed", func() {
		b := versionedBucket(ctx, a)
		rt := &loseFirstPUT{base: retry.NewHTTPTransport(), suffix: "/meta.json"}
		s := store(ctx, b, rt, nil)
		created, err := s.Commit(ctx, []byte("{}"))
		Expect(err).NotTo(HaveOccurred())
		Expect(created).To(BeFalse())
		Expect(versions(ctx, a, b)).To(Equal(map[string]int{"run-1/meta.json": 1}))
	})

	It("reports a conflict when another writer stored different bytes in between", func() {
		b := versionedBucket(ctx, a)
		rt := &loseFirstPUT{base: retry.NewHTTPTransport(), suffix: "/never", before: nil}
		rt.suffix = "/model.bin"
		rt.lost.Store(true) // lose nothing
		rt.before = func() {
			_, err := a.PutObject(ctx, b, "run-1/model.bin", bytes.NewReader([]byte("theirs")), 6, minio.PutObjectOptions{})
			Expect(err).NotTo(HaveOccurred())
		}
		s := store(ctx, b, rt, nil)
		_, err := s.Put(ctx, "model.bin", []byte("ours"))
		Expect(errors.Is(err, idempotency.ErrConflict)).To(BeTrue(), "%v", err)
		Expect(versions(ctx, a, b)).To(Equal(map[string]int{"run-1/model.bin": 1}))
	})

	It("fails fast on a missing bucket (permanent)", func() {
		s := store(ctx, "no-such-bucket", retry.NewHTTPTransport(), nil)
		_, err := s.Put(ctx, "model.bin", []byte("x"))
		Expect(err).To(HaveOccurred())
		Expect(retry.ClassOf(err)).To(Equal(policies.ClassPermanent))
	})
})
