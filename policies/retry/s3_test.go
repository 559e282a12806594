package retry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies/retry"
)

// Ordered: the first spec measures minio-go as it ships, the second after
// DisableClientBackoff, which changes package state for the rest of the
// process (no other spec of this suite builds a minio-go client).
var _ = Describe("NewS3Client and DisableClientBackoff", Ordered, func() {
	// lag returns, for n StatObject calls against a server answering 503,
	// the time from the server's answer to StatObject returning, and the
	// number of requests the server saw.
	lag := func(n int) ([]time.Duration, int) {
		var mu sync.Mutex
		var answered []time.Time
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			mu.Lock()
			answered = append(answered, time.Now())
			mu.Unlock()
		}))
		DeferCleanup(srv.Close)
		c, err := retry.NewS3Client(srv.URL, "ak", "sk")
		Expect(err).NotTo(HaveOccurred())
		var out []time.Duration
		for i := range n {
			_, err := c.StatObject(context.Background(), "features", "day/part-0.bin", minio.StatObjectOptions{})
			returned := time.Now()
			Expect(minio.ToErrorResponse(err).StatusCode).To(Equal(http.StatusServiceUnavailable))
			mu.Lock()
			Expect(answered).To(HaveLen(i+1), "one request per call: MaxRetries is 1")
			out = append(out, returned.Sub(answered[i]))
			mu.Unlock()
		}
		mu.Lock()
		defer mu.Unlock()
		return out, len(answered)
	}

	It("without it, minio-go sleeps up to 200 ms after a 503 before returning it (why the pipeline disables it)", func() {
		// exponentialBackoffWait(0) is uniform in (0, 200ms]: the chance
		// that all of 6 draws stay under 40 ms is 0.2^6 = 6e-5.
		lags, reqs := lag(6)
		Expect(reqs).To(Equal(6))
		Expect(lags).To(ContainElement(BeNumerically(">", 40*time.Millisecond)), "lags %v", lags)
	})

	It("with it, the 503 comes back at once: the only waits left are the policy's", func() {
		retry.DisableClientBackoff()
		Expect(minio.DefaultRetryUnit).To(BeZero())
		Expect(minio.DefaultRetryCap).To(BeZero())
		lags, reqs := lag(6)
		Expect(reqs).To(Equal(6))
		for _, l := range lags {
			Expect(l).To(BeNumerically("<", 30*time.Millisecond), "lags %v", lags)
		}
	})
})
