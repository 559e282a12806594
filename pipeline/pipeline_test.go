package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/pipeline"
)

// featureAPI is a stub feature API that records its requests.
type featureAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	status map[string]int // path → status to answer instead of 2xx
}

func newFeatureAPI() *featureAPI {
	f := &featureAPI{status: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		st := f.status[r.URL.Path]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if st != 0 {
			w.WriteHeader(st)
			_, _ = w.Write([]byte(`{"error":{"code":"denied","message":"no"}}`))
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/schema":
			_, _ = w.Write([]byte(`{"version":3}`))
		case r.Method == http.MethodPost && r.URL.Path == "/v1/runs":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"ok":true}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	DeferCleanup(f.srv.Close)
	return f
}

func (f *featureAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		out = append(out, r.Method+" "+r.URL.Path)
	}
	return out
}

func inputsOf(f fixture) []pipeline.Input {
	var in []pipeline.Input
	for k, v := range f.inputs {
		in = append(in, pipeline.Input{Key: k, Data: v})
	}
	slices.SortFunc(in, func(a, b pipeline.Input) int { return strings.Compare(a.Key, b.Key) })
	return in
}

var _ = Describe("gameday pipeline", func() {
	var ctx context.Context
	var policy string
	BeforeEach(func() {
		ctx = context.Background()
		policy = writePolicy(testPolicy)
	})

	It("reads every feature, calls the feature API, writes model.bin and meta.json once; a rerun does no work", func() {
		f := newFixture(ctx, 3, 1000)
		api := newFeatureAPI()
		env := pipelineEnv(f, server.URL(), "nightly-1", policy, 42)
		env["GAMEDAY_FEATURE_API_URL"] = api.srv.URL
		r, code := runToEnd(env)
		Expect(code).To(Equal(0), r.stderr.String())
		Expect(r.lastLine()).To(ContainSubstring("result=success"))
		Expect(api.requests()).To(Equal([]string{"GET /v1/schema", "POST /v1/runs"}))
		api.mu.Lock()
		Expect(api.reqs[0].Header.Get("X-Gameday-Operation")).NotTo(BeEmpty())
		Expect(api.reqs[1].Header.Get("Idempotency-Key")).To(Equal("nightly-1/runs"))
		api.mu.Unlock()

		Expect(versions(ctx, f.models)).To(Equal(map[string]int{"nightly-1/model.bin": 1, "nightly-1/meta.json": 1}))
		Expect(read(ctx, f.models, "nightly-1/model.bin")).To(Equal(pipeline.Train(inputsOf(f), []byte(`{"version":3}`))))
		var meta map[string]any
		Expect(json.Unmarshal(read(ctx, f.models, "nightly-1/meta.json"), &meta)).To(Succeed())
		Expect(meta).To(HaveKeyWithValue("run_id", "nightly-1"))
		Expect(meta).To(HaveKeyWithValue("inputs", BeNumerically("==", 3)))

		r2, code := runToEnd(env)
		Expect(code).To(Equal(0), r2.stderr.String())
		Expect(r2.stderr.String()).To(ContainSubstring("msg=committed"))
		Expect(r2.lastLine()).To(ContainSubstring("skipped=true"))
		Expect(api.requests()).To(HaveLen(2), "a committed run calls nothing")
		Expect(versions(ctx, f.models)).To(Equal(map[string]int{"nightly-1/model.bin": 1, "nightly-1/meta.json": 1}))
	})

	It("skips the feature API when there is none, and trains deterministically", func() {
		f := newFixture(ctx, 2, 500)
		for _, id := range []string{"a", "b"} {
			r, code := runToEnd(pipelineEnv(f, server.URL(), id, policy, 1))
			Expect(code).To(Equal(0), r.stderr.String())
			Expect(r.stderr.String()).To(ContainSubstring("skipped=true reason=\"GAMEDAY_FEATURE_API_URL not set\""))
		}
		Expect(read(ctx, f.models, "a/model.bin")).To(Equal(read(ctx, f.models, "b/model.bin")))
		Expect(read(ctx, f.models, "a/model.bin")).To(Equal(pipeline.Train(inputsOf(f), nil)))
	})

	It("honours GAMEDAY_FEATURES and GAMEDAY_MODELS prefixes", func() {
		f := newFixture(ctx, 3, 100)
		env := pipelineEnv(f, server.URL(), "r1", policy, 1)
		env["GAMEDAY_FEATURES"] = f.features + "/day/part-1"
		env["GAMEDAY_MODELS"] = f.models + "/team-a"
		r, code := runToEnd(env)
		Expect(code).To(Equal(0), r.stderr.String())
		Expect(r.stderr.String()).To(ContainSubstring("msg=features objects=1"))
		Expect(versions(ctx, f.models)).To(HaveKey("team-a/r1/model.bin"))
	})

	It("fails fast on a permanent feature-API error: one request, exit 1, the class in the last line", func() {
		f := newFixture(ctx, 1, 100)
		api := newFeatureAPI()
		api.mu.Lock()
		api.status["/v1/schema"] = http.StatusForbidden
		api.mu.Unlock()
		env := pipelineEnv(f, server.URL(), "denied", policy, 1)
		env["GAMEDAY_FEATURE_API_URL"] = api.srv.URL
		r, code := runToEnd(env)
		Expect(code).To(Equal(1))
		Expect(r.lastLine()).To(MatchRegexp(`result=failure class=permanent err=".*403 Forbidden denied.*" op="feature-api GET /v1/schema" attempts=1`))
		Expect(api.requests()).To(Equal([]string{"GET /v1/schema"}))
		Expect(versions(ctx, f.models)).To(BeEmpty())
	})

	It("fails with class permanent when the features bucket does not exist", func() {
		f := newFixture(ctx, 0, 0)
		env := pipelineEnv(f, server.URL(), "nobucket", policy, 1)
		env["GAMEDAY_FEATURES"] = "no-such-bucket"
		r, code := runToEnd(env)
		Expect(code).To(Equal(1))
		Expect(r.lastLine()).To(ContainSubstring("class=permanent"))
		Expect(r.lastLine()).To(ContainSubstring("NoSuchBucket"))
	})

	It("never logs the credentials", func() {
		f := newFixture(ctx, 1, 100)
		r, code := runToEnd(pipelineEnv(f, server.URL(), "creds", policy, 1))
		Expect(code).To(Equal(0))
		Expect(r.stderr.String()).NotTo(ContainSubstring(server.SecretKey))
		Expect(r.stderr.String()).NotTo(ContainSubstring(server.AccessKey))
	})

	It("exits 2 on a bad environment or policy file, naming the problem", func() {
		f := newFixture(ctx, 0, 0)
		env := pipelineEnv(f, server.URL(), "", writePolicy("retry: {max_attempts: 0}\n"), 1)
		r, code := runToEnd(env)
		Expect(code).To(Equal(2))
		Expect(r.stderr.String()).To(ContainSubstring("GAMEDAY_RUN_ID is not set"))
		Expect(r.stderr.String()).To(ContainSubstring("policy.yaml:1:23: retry.max_attempts: must be at least 1, got 0"))
	})

	Describe("attempts on the wire", func() {
		It("shows exactly the policy's attempts when storage answers 503 three times: no hidden minio-go retries", func() {
			f := newFixture(ctx, 2, 100)
			px := newProxy(server.URL())
			var n atomic.Int32
			px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/day/part-1.bin") && n.Add(1) <= 3 {
					s3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable")
					return true
				}
				return false
			})
			r, code := runToEnd(pipelineEnv(f, px.srv.URL, "wire", policy, 1))
			Expect(code).To(Equal(0), r.stderr.String())
			var gets []record
			for _, rec := range px.records() {
				if rec.Method == http.MethodGet && strings.HasSuffix(rec.Path, "/day/part-1.bin") {
					gets = append(gets, rec)
				}
			}
			Expect(gets).To(HaveLen(4), "3 × 503 then one 200")
			Expect([]int{gets[0].Status, gets[1].Status, gets[2].Status, gets[3].Status}).To(Equal([]int{503, 503, 503, 200}))
			for _, g := range gets {
				Expect(g.Op).To(Equal(gets[0].Op), "one operation id across its attempts")
			}
			Expect(gets[0].Op).NotTo(BeEmpty())
			Expect(strings.Count(r.stderr.String(), "class=transient")).To(Equal(3))
		})

		It("waits exactly the policy's delays between attempts under jitter: none: no hidden minio-go sleep", func() {
			// minio-go sleeps U(0, 200ms] (DefaultRetryUnit, full jitter)
			// after every retryable answer before returning it, even with
			// MaxRetries: 1, unless the process disabled it
			// (retry.DisableClientBackoff, first thing in `gameday
			// pipeline`). Two reads, three 503s each: six waits.
			f := newFixture(ctx, 2, 100)
			px := newProxy(server.URL())
			var mu sync.Mutex
			seen := map[string]int{}
			px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/day/") {
					return false
				}
				mu.Lock()
				seen[r.URL.Path]++
				n := seen[r.URL.Path]
				mu.Unlock()
				if n <= 3 {
					s3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable")
					return true
				}
				return false
			})
			p := writePolicy(`
retry:
  max_attempts: 5
  backoff: {initial: 100ms, max: 2s, multiplier: 2, jitter: none}
  attempt_timeout: 2s
  overall_timeout: 15s
`)
			r, code := runToEnd(pipelineEnv(f, px.srv.URL, "nojitter", p, 1))
			Expect(code).To(Equal(0), r.stderr.String())
			for _, key := range []string{"part-0.bin", "part-1.bin"} {
				for i, sleep := range []string{"100ms", "200ms", "400ms"} {
					Expect(r.stderr.String()).To(MatchRegexp(`op="get [^"]*/day/%s" attempt=%d class=transient .*sleep=%s`,
						regexp.QuoteMeta(key), i+1, sleep))
				}
			}
			delays := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
			var gaps, over []time.Duration
			for _, key := range []string{"part-0.bin", "part-1.bin"} {
				var gets []record
				for _, rec := range px.records() {
					if rec.Method == http.MethodGet && strings.HasSuffix(rec.Path, "/day/"+key) {
						gets = append(gets, rec)
					}
				}
				Expect(gets).To(HaveLen(4), "%s: 3 × 503 then one 200", key)
				// From the end of one answer to the start of the next
				// attempt: the policy's delay plus the client's own
				// overhead. A timer never fires early, so a gap below the
				// delay is a bug; above it by more than 40 ms is minio-go's
				// sleep or, once in a while on a loaded machine, a
				// scheduling spike.
				for i, d := range delays {
					gap := gets[i+1].Start.Sub(gets[i].End)
					gaps = append(gaps, gap)
					Expect(gap).To(BeNumerically(">=", d), "%s gap %d: %v", key, i+1, gap)
					if gap > d+40*time.Millisecond {
						over = append(over, gap-d)
					}
				}
			}
			GinkgoWriter.Printf("wire gaps (answer end → next attempt start): %v\n", gaps)
			// With minio-go's sleep, each excess is U(0, 200ms]: at most one
			// of six above 40 ms has a chance of 0.2%.
			Expect(len(over)).To(BeNumerically("<=", 1), "gaps %v: excess over the policy's delay %v", gaps, over)
		})

		It("sends storage exactly one request per operation in a clean run: no location lookup, no HEAD before GET", func() {
			f := newFixture(ctx, 2, 100)
			px := newProxy(server.URL())
			r, code := runToEnd(pipelineEnv(f, px.srv.URL, "clean", policy, 1))
			Expect(code).To(Equal(0), r.stderr.String())
			var got []string
			ops := map[string]bool{}
			for _, rec := range px.records() {
				got = append(got, fmt.Sprintf("%s %s %d", rec.Method, strings.TrimPrefix(rec.Path, "/"), rec.Status))
				Expect(rec.Op).NotTo(BeEmpty(), "every request belongs to an operation: %s %s", rec.Method, rec.Path)
				Expect(ops).NotTo(HaveKey(rec.Op), "one request per operation: %s %s", rec.Method, rec.Path)
				ops[rec.Op] = true
			}
			Expect(got).To(Equal([]string{
				"HEAD " + f.models + "/clean/meta.json 404",
				"GET " + f.features + "/ 200", // the listing
				"GET " + f.features + "/day/part-0.bin 200",
				"GET " + f.features + "/day/part-1.bin 200",
				"HEAD " + f.models + "/clean/model.bin 404",
				"PUT " + f.models + "/clean/model.bin 200",
				"PUT " + f.models + "/clean/meta.json 200",
			}))
		})

		It("stops at max_attempts when storage keeps answering 503", func() {
			f := newFixture(ctx, 1, 100)
			px := newProxy(server.URL())
			px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/day/part-0.bin") {
					s3Error(w, http.StatusServiceUnavailable, "SlowDown")
					return true
				}
				return false
			})
			p := writePolicy(strings.Replace(testPolicy, "max_attempts: 5", "max_attempts: 3", 1))
			r, code := runToEnd(pipelineEnv(f, px.srv.URL, "wire-fail", p, 1))
			Expect(code).To(Equal(1))
			gets := 0
			for _, rec := range px.records() {
				if rec.Method == http.MethodGet && strings.HasSuffix(rec.Path, "/day/part-0.bin") {
					gets++
				}
			}
			Expect(gets).To(Equal(3))
			Expect(r.lastLine()).To(ContainSubstring("result=failure class=throttled"))
			Expect(r.lastLine()).To(ContainSubstring("attempts=3"))
		})

		It("waits out a 429's Retry-After before the next attempt", func() {
			f := newFixture(ctx, 1, 100)
			px := newProxy(server.URL())
			var once sync.Once
			px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				hit := false
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/day/part-0.bin") {
					once.Do(func() {
						hit = true
						w.Header().Set("Retry-After", "1")
						s3Error(w, http.StatusTooManyRequests, "SlowDown")
					})
				}
				return hit
			})
			r, code := runToEnd(pipelineEnv(f, px.srv.URL, "ra", policy, 1))
			Expect(code).To(Equal(0), r.stderr.String())
			var starts []record
			for _, rec := range px.records() {
				if rec.Method == http.MethodGet && strings.HasSuffix(rec.Path, "/day/part-0.bin") {
					starts = append(starts, rec)
				}
			}
			Expect(starts).To(HaveLen(2))
			Expect(starts[1].Start.Sub(starts[0].Start).Seconds()).To(BeNumerically(">=", 0.95))
		})
	})
})
