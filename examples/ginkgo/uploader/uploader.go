// Package uploader is the small client the examples/ginkgo suite tests
// with gameday: it writes model artifacts to S3 with its own retries —
// exponential backoff with full jitter, Retry-After honoured, fail-fast on
// permanent errors, a conditional create so that a retried write never
// stores a second copy — and raises an alert when it gives up.
//
//	u, err := uploader.New(uploader.FromEnv(os.Getenv))
//	err = u.Put(ctx, "run-1/model.bin", weights)
package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config configures an Uploader. Endpoint, the keys and Bucket are
// required; every other field has a default.
type Config struct {
	// Endpoint is the S3 endpoint URL (AWS_ENDPOINT_URL).
	Endpoint             string
	AccessKey, SecretKey string
	Bucket               string
	// MaxAttempts bounds the tries of one Put; default 4.
	MaxAttempts int
	// Base and Cap shape the backoff (see Backoff); default 50ms and 1s.
	Base, Cap time.Duration
	// RetryAfterCap bounds an announced Retry-After; default 5s.
	RetryAfterCap time.Duration
	// Unconditional turns the conditional create off: a retried write
	// may then store a second version (the bug the suite shows).
	Unconditional bool
	// AlertURL receives an Alertmanager alert when a Put gives up
	// (GAMEDAY_ALERT_URL); "" sends none. Severity is its severity label;
	// default warning.
	AlertURL, Severity string
	// Rand draws the jitter; default a generator seeded from the clock.
	Rand *rand.Rand
}

// FromEnv reads the endpoint, keys and alert URL from the variables a
// gameday stack gives its clients (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, GAMEDAY_ALERT_URL), for the bucket models.
func FromEnv(getenv func(string) string) Config {
	return Config{Endpoint: getenv("AWS_ENDPOINT_URL"), AccessKey: getenv("AWS_ACCESS_KEY_ID"),
		SecretKey: getenv("AWS_SECRET_ACCESS_KEY"), AlertURL: getenv("GAMEDAY_ALERT_URL"), Bucket: "models"}
}

// Uploader writes artifacts. It is safe for concurrent use.
type Uploader struct {
	c   Config
	s3  *minio.Client
	rec *retryAfterRecorder

	mu sync.Mutex // guards c.Rand
}

// New returns an Uploader, or an error for a config it cannot use.
func New(c Config) (*Uploader, error) {
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 4
	}
	if c.Base == 0 {
		c.Base = 50 * time.Millisecond
	}
	if c.Cap == 0 {
		c.Cap = time.Second
	}
	if c.RetryAfterCap == 0 {
		c.RetryAfterCap = 5 * time.Second
	}
	if c.Severity == "" {
		c.Severity = "warning"
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("uploader: endpoint %q: want http://host:port", c.Endpoint)
	}
	if c.Bucket == "" {
		return nil, errors.New("uploader: no bucket")
	}
	rec := &retryAfterRecorder{base: http.DefaultTransport}
	s3, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Region: "us-east-1", Secure: u.Scheme == "https", Transport: rec, MaxRetries: 1})
	if err != nil {
		return nil, fmt.Errorf("uploader: %w", err)
	}
	return &Uploader{c: c, s3: s3, rec: rec}, nil
}

// Backoff is the wait before retry n (1, 2, ...): full jitter, a uniform
// draw from [0, min(cap, base·2^(n-1))).
func Backoff(n int, base, cap time.Duration, rng *rand.Rand) time.Duration {
	ceil := cap
	if n-1 < 30 {
		ceil = min(cap, base<<(n-1))
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(ceil)))
}

// PermanentError is a Put that failed for a reason retrying cannot fix.
type PermanentError struct {
	Status int
	Err    error
}

func (e *PermanentError) Error() string { return fmt.Sprintf("permanent (%d): %v", e.Status, e.Err) }
func (e *PermanentError) Unwrap() error { return e.Err }

// retryable reports whether a failed write with this status (0: no answer)
// may succeed when tried again.
func retryable(status int) bool {
	switch status {
	case 0, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Put writes data as key, trying up to MaxAttempts times. A retried write
// is a conditional create: when an earlier try stored the object after
// all (its answer was lost), the retry's 412 means done.
func (u *Uploader) Put(ctx context.Context, key string, data []byte) error {
	var last error
	for n := 1; ; n++ {
		opts := minio.PutObjectOptions{}
		if !u.c.Unconditional {
			opts.SetMatchETagExcept("*") // If-None-Match: *
		}
		u.rec.take()
		_, err := u.s3.PutObject(ctx, u.c.Bucket, key, bytes.NewReader(data), int64(len(data)), opts)
		if err == nil {
			return nil
		}
		status := minio.ToErrorResponse(err).StatusCode
		var ne net.Error
		if errors.As(err, &ne) {
			status = 0
		}
		if status == http.StatusPreconditionFailed && n > 1 {
			return nil // an earlier try stored it
		}
		last = err
		if !retryable(status) {
			u.alert(ctx, key, fmt.Sprintf("permanent error %d", status))
			return &PermanentError{Status: status, Err: err}
		}
		if n >= u.c.MaxAttempts {
			u.alert(ctx, key, fmt.Sprintf("gave up after %d attempts", n))
			return fmt.Errorf("put %s: gave up after %d attempts: %w", key, n, last)
		}
		wait := u.backoff(n)
		if ra := u.rec.take(); ra > 0 {
			wait = min(ra, u.c.RetryAfterCap)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (u *Uploader) backoff(n int) time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return Backoff(n, u.c.Base, u.c.Cap, u.c.Rand)
}

// alert posts one firing Alertmanager alert (webhook payload version 4).
func (u *Uploader) alert(ctx context.Context, key, why string) {
	if u.c.AlertURL == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "team",
		"alerts": []map[string]any{{
			"status":      "firing",
			"labels":      map[string]string{"alertname": "upload-failed", "severity": u.c.Severity},
			"annotations": map[string]string{"summary": "upload of " + key + ": " + why},
			"startsAt":    time.Now().UTC().Format(time.RFC3339),
		}},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.c.AlertURL, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// retryAfterRecorder keeps the Retry-After of the last answer, which the
// S3 client does not hand back.
type retryAfterRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last time.Duration
}

func (r *retryAfterRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if resp != nil {
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			r.mu.Lock()
			r.last = time.Duration(s) * time.Second
			r.mu.Unlock()
		}
	}
	return resp, err
}

// take returns the last Retry-After and forgets it.
func (r *retryAfterRecorder) take() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.last
	r.last = 0
	return d
}
