package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// checkOneVersion asserts that the run's artifacts exist and that every key
// of the bucket has exactly one version.
func checkOneVersion(ctx context.Context, bucket, runID string) {
	v := versions(ctx, bucket)
	Expect(v).To(HaveKeyWithValue(runID+"/model.bin", 1))
	Expect(v).To(HaveKeyWithValue(runID+"/meta.json", 1))
	for key, n := range v {
		Expect(n).To(Equal(1), "key %s has %d versions", key, n)
	}
}

// phase says how far a killed run got, from what it left in the bucket.
func phase(ctx context.Context, bucket, runID string) string {
	v := versions(ctx, bucket)
	switch {
	case v[runID+"/meta.json"] > 0:
		return "committed"
	case v[runID+"/model.bin"] > 0:
		return "model-written"
	}
	return "nothing-written"
}

var _ = Describe("crash safety (SIGKILL from outside, restart with the same run_id)", func() {
	var ctx context.Context
	var policy string
	BeforeEach(func() {
		ctx = context.Background()
		policy = writePolicy(testPolicy)
	})

	It("leaves exactly one version of every key after kills at 50+ seeded random moments", func() {
		seed := uint64(GinkgoRandomSeed())
		GinkgoWriter.Printf("crash seed %d (replay: ginkgo --seed %d)\n", seed, seed)
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		var rngMu sync.Mutex
		draw := func(n int64) int64 { rngMu.Lock(); defer rngMu.Unlock(); return rng.Int64N(n) }

		f := newFixture(ctx, 4, 3000)
		px := newProxy(server.URL())
		// A few ms of seeded latency per request spreads every step of a
		// run over time, so random kill moments land in all of them.
		px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-time.After(time.Duration(1+draw(6)) * time.Millisecond):
			case <-r.Context().Done():
			}
			return false
		})

		// How long a clean run takes, start to exit.
		t0 := time.Now()
		r, code := runToEnd(pipelineEnv(f, px.srv.URL, "probe", policy, int(seed)))
		Expect(code).To(Equal(0), r.stderr.String())
		span := time.Since(t0) * 11 / 10
		GinkgoWriter.Printf("a clean run takes %s; kill moments drawn from [0, %s)\n", span*10/11, span)

		kills, phases := 0, map[string]int{}
		for i := 0; kills < 52; i++ {
			Expect(i).To(BeNumerically("<", 150), "too few kills landed on a live process")
			runID := fmt.Sprintf("crash-%d", i)
			env := pipelineEnv(f, px.srv.URL, runID, policy, int(seed)+i)
			// first start, killed at a random moment; sometimes the restart
			// is killed too
			for k := 0; k < 2; k++ {
				if k == 1 && draw(3) != 0 {
					break
				}
				at := time.Duration(draw(int64(span)))
				run := start(env)
				select {
				case <-run.done:
				case <-time.After(at):
				}
				if run.kill() {
					kills++
					phases[phase(ctx, f.models, runID)]++
				}
			}
			// restart to the end with the same run_id
			rr, code := runToEnd(env)
			Expect(code).To(Equal(0), rr.stderr.String())
			checkOneVersion(ctx, f.models, runID)
		}
		GinkgoWriter.Printf("%d kills on live processes; state at the kill: %v\n", kills, phases)
		AddReportEntry("crash kills", fmt.Sprintf("seed=%d kills=%d phases=%v", seed, kills, phases))
		Expect(kills).To(BeNumerically(">=", 50))
		for key, n := range versions(ctx, f.models) {
			Expect(n).To(Equal(1), "key %s", key)
		}
	})

	It("survives a kill in the gap between model.bin and meta.json (meta.json PUT held in the proxy)", func() {
		f := newFixture(ctx, 2, 500)
		px := newProxy(server.URL())
		held := make(chan struct{}, 1)
		px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/meta.json") {
				// Read the body, so the server notices when the client's
				// connection closes, then never forward it: the client dies
				// waiting.
				_, _ = io.Copy(io.Discard, r.Body)
				held <- struct{}{}
				<-r.Context().Done()
				return true
			}
			return false
		})
		for i := range 3 {
			runID := fmt.Sprintf("gap-%d", i)
			env := pipelineEnv(f, px.srv.URL, runID, policy, i)
			run := start(env)
			Eventually(held).WithTimeout(30 * time.Second).Should(Receive())
			Expect(run.kill()).To(BeTrue())
			Expect(phase(ctx, f.models, runID)).To(Equal("model-written"))

			direct := pipelineEnv(f, server.URL(), runID, policy, i)
			rr, code := runToEnd(direct)
			Expect(code).To(Equal(0), rr.stderr.String())
			Expect(rr.stderr.String()).To(ContainSubstring("reason=identical"), "the restart finds model.bin and does not rewrite it")
			checkOneVersion(ctx, f.models, runID)
		}
	})

	It("survives a kill right after model.bin was stored, before its answer arrived", func() {
		f := newFixture(ctx, 2, 500)
		u, err := url.Parse(server.URL())
		Expect(err).NotTo(HaveOccurred())
		upstream := &httputil.ReverseProxy{Director: func(r *http.Request) { r.URL.Scheme, r.URL.Host = u.Scheme, u.Host }}
		px := newProxy(server.URL())
		stored := make(chan struct{}, 1)
		px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/model.bin") {
				rec := httptest.NewRecorder()
				upstream.ServeHTTP(rec, r) // the object is stored upstream
				stored <- struct{}{}
				<-r.Context().Done() // the answer is held until the client is gone
				return true
			}
			return false
		})
		for i := range 3 {
			runID := fmt.Sprintf("after-upload-%d", i)
			run := start(pipelineEnv(f, px.srv.URL, runID, policy, i))
			Eventually(stored).WithTimeout(30 * time.Second).Should(Receive())
			Expect(run.kill()).To(BeTrue())
			Expect(phase(ctx, f.models, runID)).To(Equal("model-written"))

			rr, code := runToEnd(pipelineEnv(f, server.URL(), runID, policy, i))
			Expect(code).To(Equal(0), rr.stderr.String())
			checkOneVersion(ctx, f.models, runID)
		}
	})
})
