package idempotency_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gameday/gameday/internal/testenv"
	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/idempotency"
	"github.com/gameday/gameday/policies/retry"
)

var port = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// dropFirstAnswer lets the first PUT reach the server, then tells the
// client the connection was reset: the classic lost answer.
type dropFirstAnswer struct {
	base    http.RoundTripper
	dropped atomic.Bool
}

func (t *dropFirstAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && t.dropped.CompareAndSwap(false, true) {
		resp.Body.Close()
		return nil, fmt.Errorf("read: %w", syscall.ECONNRESET)
	}
	return resp, err
}

// A retrying, idempotent upload against a real MinIO: the first PUT of
// model.bin lands but its answer is lost, the policy retries, the
// conditional PUT answers 412 and the store finds the bytes already there.
// A restart of the same run finds the commit marker and does nothing. The
// versioned bucket ends with exactly one version of every key.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, _ := os.MkdirTemp("", "example-minio-")
	defer os.RemoveAll(dir)
	srv, err := testenv.StartMinIO(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()

	p, err := policies.Load("../ci.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			if a.Key == "err" { // the port differs from run to run
				return slog.String("err", port.ReplaceAllString(a.Value.String(), "127.0.0.1:PORT"))
			}
			return a
		},
	}))
	// retry.NewS3Client builds the same client with MaxRetries: 1; here the
	// transport also loses the first answer.
	client, err := retry.NewS3Client(srv.URL(), srv.AccessKey, srv.SecretKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Set-up goes through a client with minio-go's own retries: a MinIO
	// that has just turned ready may still answer a first bucket call with a
	// transient 503, and the policy's client (MaxRetries: 1) would not retry.
	admin, _ := minio.New(srv.Endpoint, &minio.Options{Creds: credentialsOf(srv), Region: "us-east-1"})
	if err := admin.MakeBucket(ctx, "models", minio.MakeBucketOptions{}); err != nil {
		fmt.Println("make bucket:", err)
		return
	}
	if err := admin.EnableVersioning(ctx, "models"); err != nil {
		fmt.Println("versioning:", err)
		return
	}
	flaky, _ := minio.New(srv.Endpoint, &minio.Options{
		Creds: credentialsOf(srv), Region: "us-east-1", BucketLookup: minio.BucketLookupPath, MaxRetries: 1,
		Transport: &retry.Transport{Base: &dropFirstAnswer{base: retry.NewHTTPTransport()}},
	})

	run := func(c *minio.Client) {
		ex := retry.New(p, retry.Config{Logger: log, Rand: rand.New(rand.NewPCG(7, 7))})
		st := &idempotency.Store{Client: c, Exec: ex, Bucket: "models", Prefix: "run-1/", Marker: p.Idempotency.CommitMarker, Logger: log}
		if done, err := st.Committed(ctx); err != nil || done {
			fmt.Println("committed already:", done, err)
			return
		}
		if _, err := st.Put(ctx, "model.bin", []byte("deterministic weights")); err != nil {
			fmt.Println(err)
			return
		}
		created, err := st.Commit(ctx, []byte(`{"run_id":"run-1"}`))
		fmt.Println("committed:", created, err)
	}
	run(flaky)  // first start
	run(client) // a restart with the same run_id

	for o := range client.ListObjects(ctx, "models", minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		fmt.Println(o.Key, "version", o.VersionID != "")
	}
	// Output:
	// level=INFO msg=attempt op="stat models/run-1/meta.json" attempt=1 result=ok
	// level=INFO msg=attempt op="stat models/run-1/model.bin" attempt=1 result=ok
	// level=WARN msg=attempt op="put models/run-1/model.bin" attempt=1 class=transient err="Put \"http://127.0.0.1:PORT/models/run-1/model.bin\": read: connection reset by peer" sleep=48ms
	// level=INFO msg=attempt op="put models/run-1/model.bin" attempt=2 result=ok
	// level=INFO msg=attempt op="stat models/run-1/model.bin" attempt=1 result=ok
	// level=INFO msg=artifact key=run-1/model.bin action=skip reason=landed-earlier
	// level=INFO msg=attempt op="put models/run-1/meta.json" attempt=1 result=ok
	// level=INFO msg=artifact key=run-1/meta.json action=commit
	// committed: true <nil>
	// level=INFO msg=attempt op="stat models/run-1/meta.json" attempt=1 result=ok
	// committed already: true <nil>
	// run-1/meta.json version true
	// run-1/model.bin version true
}

func credentialsOf(m *testenv.MinIO) *credentials.Credentials {
	return credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")
}
