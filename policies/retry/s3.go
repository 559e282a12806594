package retry

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// NewS3Client returns a minio-go client for endpoint (an http:// or https://
// URL, or host:port meaning http) whose attempts on the wire are exactly the
// executor's: MaxRetries is 1, so minio-go neither retries on its own nor
// swallows a Retry-After, and its transport is a Transport, so requests of
// one operation share an X-Gameday-Operation id. Region is us-east-1 and
// buckets are addressed by path, so no bucket-location lookups go out.
//
// MaxRetries: 1 alone does not make the timing the executor's: minio-go
// (v7.4.1, executeMethod/newRetryTimer) still sleeps a jittered
// 0–DefaultRetryUnit (200 ms) after an attempt whose answer it deems
// retryable (5xx, 429, SlowDown, a transport error) before it returns that
// answer, so a `jitter: none` policy would show jittered gaps on the wire.
// A process that uses this client under a policy must call
// DisableClientBackoff once at start, before any minio-go client is used.
func NewS3Client(endpoint, accessKey, secretKey string) (*minio.Client, error) {
	host, secure, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	return minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure:       secure,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
		Transport:    &Transport{Base: NewHTTPTransport()},
	})
}

// DisableClientBackoff sets minio-go's package-level backoff knobs
// (minio.DefaultRetryUnit and minio.DefaultRetryCap) to 0, so the sleep
// minio-go takes after each retryable answer — even with MaxRetries: 1, see
// NewS3Client — is 0 and the only waits on the wire are the policy's.
//
// It writes package variables that every minio-go client in the process
// reads on each request: call it once at process start (gameday pipeline
// does, first thing), before any minio-go client is used, never while other
// goroutines may be using one — that would be a data race. It affects every
// minio-go client in the process: one built with minio-go's default
// MaxRetries (10) then retries back to back.
func DisableClientBackoff() {
	minio.DefaultRetryUnit = 0
	minio.DefaultRetryCap = 0
}

// NewHTTPTransport returns a plain *http.Transport with no proxy (all
// traffic goes where the URL says) and modest timeouts for dialling; the
// executor's attempt timeout bounds the rest.
func NewHTTPTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 0,
	}
}

func splitEndpoint(endpoint string) (host string, secure bool, err error) {
	if endpoint == "" {
		return "", false, fmt.Errorf("s3 endpoint: empty")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		// host:port without a scheme
		if _, _, serr := net.SplitHostPort(endpoint); serr == nil {
			return endpoint, false, nil
		}
		return "", false, fmt.Errorf("s3 endpoint %q: not a URL or host:port", endpoint)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		return u.Host, true, nil
	}
	return "", false, fmt.Errorf("s3 endpoint %q: scheme must be http or https", endpoint)
}
