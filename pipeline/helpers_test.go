package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// testPolicy is ci.yaml's retry section without alert rules, so specs do
// not depend on alert receivers.
const testPolicy = `
retry:
  max_attempts: 5
  backoff: {initial: 20ms, max: 200ms, multiplier: 2, jitter: full}
  attempt_timeout: 2s
  overall_timeout: 15s
  retry_after: {honor: true, cap: 1s}
`

func writePolicy(text string) string {
	p := filepath.Join(GinkgoT().TempDir(), "policy.yaml")
	Expect(os.WriteFile(p, []byte(text), 0o644)).To(Succeed())
	return p
}

func admin() *minio.Client {
	c, err := minio.New(server.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(server.AccessKey, server.SecretKey, ""), Region: "us-east-1"})
	Expect(err).NotTo(HaveOccurred())
	return c
}

var seq atomic.Int32

// fixture is a pair of fresh versioned buckets with some feature objects.
type fixture struct {
	features, models string
	inputs           map[string][]byte
}

func newFixture(ctx context.Context, objects int, size int) fixture {
	a := admin()
	n := seq.Add(1)
	f := fixture{features: fmt.Sprintf("features-%d", n), models: fmt.Sprintf("models-%d", n), inputs: map[string][]byte{}}
	for _, b := range []string{f.features, f.models} {
		Expect(a.MakeBucket(ctx, b, minio.MakeBucketOptions{})).To(Succeed())
		Expect(a.EnableVersioning(ctx, b)).To(Succeed())
	}
	for i := range objects {
		key := fmt.Sprintf("day/part-%d.bin", i)
		data := bytes.Repeat([]byte{byte(i), byte(n), 7}, size/3+1)[:size]
		_, err := a.PutObject(ctx, f.features, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.inputs[key] = data
	}
	return f
}

// versions returns key → versions in bucket (delete markers left aside).
func versions(ctx context.Context, bucket string) map[string]int {
	out := map[string]int{}
	for o := range admin().ListObjects(ctx, bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		Expect(o.Err).NotTo(HaveOccurred())
		if !o.IsDeleteMarker {
			out[o.Key]++
		}
	}
	return out
}

func read(ctx context.Context, bucket, key string) []byte {
	obj, err := admin().GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	Expect(err).NotTo(HaveOccurred())
	defer obj.Close()
	data, err := io.ReadAll(obj)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// run describes one start of the pipeline binary.
type run struct {
	env    map[string]string
	stderr bytes.Buffer
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
}

// pipelineEnv is the workload environment for fixture f.
func pipelineEnv(f fixture, endpoint, runID, policy string, seed int) map[string]string {
	return map[string]string{
		"PATH":                  os.Getenv("PATH"),
		"HOME":                  os.Getenv("HOME"),
		"GAMEDAY_RUN_ID":        runID,
		"GAMEDAY_SEED":          fmt.Sprint(seed),
		"GAMEDAY_POLICY":        policy,
		"GAMEDAY_S3_ENDPOINT":   endpoint,
		"AWS_ENDPOINT_URL":      endpoint,
		"AWS_ACCESS_KEY_ID":     server.AccessKey,
		"AWS_SECRET_ACCESS_KEY": server.SecretKey,
		"AWS_REGION":            "us-east-1",
		"GAMEDAY_FEATURES":      f.features,
		"GAMEDAY_MODELS":        f.models,
		"GAMEDAY_STATE_DIR":     GinkgoT().TempDir(),
	}
}

func start(env map[string]string) *run {
	r := &run{env: env, done: make(chan struct{})}
	r.cmd = exec.Command(gamedayBin, "pipeline")
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stderr = &r.stderr
	r.cmd.Stdout = GinkgoWriter
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	Expect(r.cmd.Start()).To(Succeed())
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	DeferCleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	})
	return r
}

// wait waits for the run to end and returns its exit code (-1 when killed).
func (r *run) wait() int {
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
		Fail("pipeline did not end within 60s:\n" + r.stderr.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

// kill SIGKILLs the run's process group from outside; it reports whether
// the process was still running (and so was killed).
func (r *run) kill() bool {
	select {
	case <-r.done:
		return false
	default:
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
	ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func (r *run) lastLine() string {
	lines := strings.Split(strings.TrimSpace(r.stderr.String()), "\n")
	return lines[len(lines)-1]
}

func runToEnd(env map[string]string) (*run, int) {
	r := start(env)
	return r, r.wait()
}

// proxy is a recording, fault-injecting reverse proxy in front of an
// upstream. It forwards requests unchanged, Host header included (SigV4
// signs it). hook, when set, may answer a request itself.
type proxy struct {
	srv *httptest.Server

	mu   sync.Mutex
	reqs []record
	hook func(w http.ResponseWriter, r *http.Request) bool
}

type record struct {
	Method, Path, Op string
	Status           int
	// Start is when the request arrived, End when its answer was written
	// (the handler returned).
	Start, End time.Time
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func newProxy(upstream string) *proxy {
	u, err := url.Parse(upstream)
	Expect(err).NotTo(HaveOccurred())
	p := &proxy{}
	rp := &httputil.ReverseProxy{Director: func(r *http.Request) {
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record{Method: r.Method, Path: r.URL.Path, Op: r.Header.Get("X-Gameday-Operation"), Start: time.Now()}
		sr := &statusRecorder{ResponseWriter: w, status: 200}
		p.mu.Lock()
		hook := p.hook
		p.mu.Unlock()
		if hook == nil || !hook(sr, r) {
			rp.ServeHTTP(sr, r)
		}
		rec.Status, rec.End = sr.status, time.Now()
		p.mu.Lock()
		p.reqs = append(p.reqs, rec)
		p.mu.Unlock()
	}))
	DeferCleanup(p.srv.Close)
	return p
}

func (p *proxy) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	p.hook = h
	p.mu.Unlock()
}

func (p *proxy) records() []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]record(nil), p.reqs...)
}

// s3Error answers like S3 does.
func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "GAMEDAYTEST")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>GAMEDAYTEST</RequestId></Error>`, code)
}
