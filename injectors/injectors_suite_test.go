package injectors_test

import (
	"bytes"
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/testenv"
)

func TestInjectors(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "injectors")
}

// server is the MinIO every spec talks to, through its own proxy.
var server *testenv.MinIO

const bucket = "features"

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	server, err = testenv.StartMinIO(ctx, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(server.Stop)
	c := s3Client(server.Endpoint, 0)
	Expect(c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})).To(Succeed())
}, NodeTimeout(time.Minute))

// s3Client returns a minio-go client for endpoint with the server's
// credentials; retries 0 keeps minio-go's default.
func s3Client(endpoint string, retries int) *minio.Client {
	c, err := minio.New(endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(server.AccessKey, server.SecretKey, ""),
		Region:     "us-east-1",
		MaxRetries: retries,
	})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// syncBuffer is a journal sink tests can read while the proxy writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// startProxy starts a proxy in front of upstream (default the suite's
// MinIO) and arms rules; Close is deferred.
func startProxy(cfg injectors.Config, rules ...injectors.Rule) (*injectors.Proxy, *syncBuffer) {
	GinkgoHelper()
	if cfg.Upstream == nil {
		u, err := url.Parse(server.URL())
		Expect(err).NotTo(HaveOccurred())
		cfg.Upstream = u
	}
	if cfg.Kind == "" {
		cfg.Kind = injectors.KindS3
	}
	if cfg.Target == "" {
		cfg.Target = "storage"
	}
	buf := &syncBuffer{}
	if cfg.Journal == nil {
		cfg.Journal = buf
	}
	p, err := injectors.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Start(context.Background())).To(Succeed())
	DeferCleanup(p.Close)
	Expect(p.Arm(rules)).To(Succeed())
	return p, buf
}

// journalOf closes p (flushing its journal) and parses the lines.
func journalOf(p *injectors.Proxy, buf *syncBuffer) []injectors.Entry {
	GinkgoHelper()
	Expect(p.Close()).To(Succeed())
	entries, err := injectors.ReadJournal(bytes.NewReader(buf.Bytes()))
	Expect(err).NotTo(HaveOccurred())
	return entries
}

// putObject writes an object directly (not through any proxy).
func putObject(ctx context.Context, key string, data []byte) {
	GinkgoHelper()
	_, err := s3Client(server.Endpoint, 0).PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	Expect(err).NotTo(HaveOccurred())
}

func ptr[T any](v T) *T { return &v }
