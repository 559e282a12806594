package injectors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/testenv"
)

// freshClient makes one request per connection, so nothing is retried on a
// reused connection behind the test's back.
func freshClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
}

// presign returns a presigned GET URL for key that points at the proxy.
func presign(ctx context.Context, p *injectors.Proxy, key string) string {
	GinkgoHelper()
	u, err := s3Client(p.Addr(), 0).PresignedGetObject(ctx, bucket, key, time.Hour, nil)
	Expect(err).NotTo(HaveOccurred())
	return u.String()
}

func status503(name string) injectors.Rule {
	return injectors.Rule{Name: name, Action: &injectors.Status{Code: 503}}
}

var _ = Describe("the proxy in front of MinIO", func() {
	It("lets minio-go's own retries get the object through two 503s, as three requests of one operation", func(ctx SpecContext) {
		putObject(ctx, "day/part-0.bin", bytes.Repeat([]byte("a"), 4096))
		rule := status503("two-503")
		rule.Match = injectors.Match{Methods: []string{"GET"}, Path: "/features/*"}
		rule.Schedule.Times = 2
		p, buf := startProxy(injectors.Config{}, rule)

		obj, err := s3Client(p.Addr(), 0).GetObject(ctx, bucket, "day/part-0.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		data, err := io.ReadAll(obj)
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(HaveLen(4096))

		Expect(p.Counters()).To(Equal([]injectors.RuleCounter{{Name: "two-503", Matched: 3, Injected: 2}}))
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(3))
		for _, e := range entries {
			Expect(e.OpKey).To(Equal(entries[0].OpKey))
			Expect(e.Path).To(Equal("/features/day/part-0.bin"))
		}
		Expect(entries[0].Fault).To(Equal("two-503"))
		Expect(entries[0].Status).To(Equal(503))
		Expect(entries[0].UpstreamStatus).To(Equal(0))
		Expect(entries[1].Fault).To(Equal("two-503"))
		Expect(entries[2].Fault).To(BeEmpty())
		Expect(entries[2].Status).To(Equal(200))
		Expect(entries[2].UpstreamStatus).To(Equal(200))
		Expect(entries[2].BytesOut).To(BeEquivalentTo(4096))
		Expect(entries[2].Delivered).To(BeTrue())
	})

	It("answers an injected 403 as S3 AccessDenied, which minio-go does not retry: exactly 1 request", func(ctx SpecContext) {
		putObject(ctx, "day/secret.bin", []byte("x"))
		rule := injectors.Rule{Name: "deny", Action: &injectors.Status{Code: 403}}
		p, buf := startProxy(injectors.Config{}, rule)

		obj, err := s3Client(p.Addr(), 0).GetObject(ctx, bucket, "day/secret.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = io.ReadAll(obj)
		Expect(minio.ToErrorResponse(err).Code).To(Equal("AccessDenied"))
		Expect(minio.ToErrorResponse(err).StatusCode).To(Equal(403))

		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Method).To(Equal("GET"))
		Expect(entries[0].Status).To(Equal(403))
		Expect(entries[0].Fault).To(Equal("deny"))
	})

	It("answers HEAD errors the way MinIO does, without a body", func(ctx SpecContext) {
		putObject(ctx, "day/secret.bin", []byte("x"))
		rule := injectors.Rule{Name: "deny", Action: &injectors.Status{Code: 403}}
		p, buf := startProxy(injectors.Config{}, rule)
		_, err := s3Client(p.Addr(), 0).StatObject(ctx, bucket, "day/secret.bin", minio.StatObjectOptions{})
		Expect(minio.ToErrorResponse(err).Code).To(Equal("AccessDenied"))
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].BytesOut).To(BeZero())
	})

	It("uses the s3_code override", func(ctx SpecContext) {
		putObject(ctx, "day/slow.bin", []byte("x"))
		rule := injectors.Rule{Name: "slow", Action: &injectors.Status{Code: 503, S3Code: "SlowDown"}}
		p, _ := startProxy(injectors.Config{}, rule)
		obj, err := s3Client(p.Addr(), 1).GetObject(ctx, bucket, "day/slow.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = io.ReadAll(obj)
		Expect(minio.ToErrorResponse(err).Code).To(Equal("SlowDown"))
		Expect(minio.ToErrorResponse(err).StatusCode).To(Equal(503))
	})

	It("forwards SigV4-signed requests unchanged, Host included", func(ctx SpecContext) {
		// A rule that matches nothing is armed, as in a scenario.
		miss := status503("never")
		miss.Match.Path = "/nothing/*"
		p, buf := startProxy(injectors.Config{}, miss)
		c := s3Client(p.Addr(), 1)
		payload := bytes.Repeat([]byte("sigv4"), 10000)
		_, err := c.PutObject(ctx, bucket, "signed/obj.bin", bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		obj, err := c.GetObject(ctx, bucket, "signed/obj.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		got, err := io.ReadAll(obj)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(payload))

		// Signed for a host name that is not the proxy's or MinIO's:
		// MinIO accepts it only if the Host header arrives as signed.
		other, err := minio.New("storage.test:9000", &minio.Options{Creds: credentials.NewStaticV4(server.AccessKey, server.SecretKey, ""), Region: "us-east-1"})
		Expect(err).NotTo(HaveOccurred())
		u, err := other.PresignedGetObject(ctx, bucket, "signed/obj.bin", time.Hour, nil)
		Expect(err).NotTo(HaveOccurred())
		u.Host = p.Addr()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		Expect(err).NotTo(HaveOccurred())
		req.Host = "storage.test:9000"
		resp, err := freshClient(10 * time.Second).Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		got, err = io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(payload))

		Expect(p.Counters()[0].Matched).To(BeZero())
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(3))
		Expect(entries[0].Method).To(Equal("PUT"))
		Expect(entries[0].BytesIn).To(BeNumerically(">=", len(payload)))
		Expect(entries[0].Status).To(Equal(200))
	})

	It("matches a nested key with a path glob", func(ctx SpecContext) {
		putObject(ctx, "day/part-9.bin", []byte("nested"))
		rule := status503("nested")
		rule.Match.Path = "/features/*"
		p, _ := startProxy(injectors.Config{}, rule)
		obj, err := s3Client(p.Addr(), 1).GetObject(ctx, bucket, "day/part-9.bin", minio.GetObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		_, err = io.ReadAll(obj)
		Expect(minio.ToErrorResponse(err).Code).To(Equal("ServiceUnavailable"))
		Expect(p.Counters()).To(Equal([]injectors.RuleCounter{{Name: "nested", Matched: 1, Injected: 1}}))
	})

	It("sends 429 with Retry-After in whole seconds and an S3 XML error", func(ctx SpecContext) {
		rule := injectors.Rule{Name: "throttled", Action: &injectors.Status{Code: 429, RetryAfter: &injectors.RetryAfter{Delay: 2 * time.Second}}}
		p, buf := startProxy(injectors.Config{}, rule)
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/features/day/part-0.bin?versionId=null")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(429))
		Expect(resp.Header.Get("Retry-After")).To(Equal("2"))
		Expect(resp.Header.Get("Content-Type")).To(Equal("application/xml"))
		var body struct {
			Code, Message, Resource, RequestId string
		}
		raw, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(xml.Unmarshal(raw, &body)).To(Succeed())
		Expect(body.Code).To(Equal("SlowDown"))
		Expect(body.Resource).To(Equal("/features/day/part-0.bin"))
		Expect(body.RequestId).NotTo(BeEmpty())
		Expect(resp.Header.Get("X-Amz-Request-Id")).To(Equal(body.RequestId))

		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].RetryAfterMS).To(BeEquivalentTo(2000))
		Expect(entries[0].Query).To(Equal("versionId=null"))
	})

	It("sends an HTTP-date Retry-After verbatim", func(ctx SpecContext) {
		when := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
		date := when.Format(http.TimeFormat)
		rule := injectors.Rule{Name: "dated", Action: &injectors.Status{Code: 503, RetryAfter: &injectors.RetryAfter{Date: when}}}
		p, buf := startProxy(injectors.Config{}, rule)
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/features/x")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.Header.Get("Retry-After")).To(Equal(date))
		Expect(journalOf(p, buf)[0].RetryAfterMS).To(BeNumerically("~", 2500, 1500))
	})

	It("answers a JSON error for stub targets", func(ctx SpecContext) {
		rule := injectors.Rule{Name: "down", Action: &injectors.Status{Code: 503, Headers: map[string]string{"X-Trace": "1"}}}
		p, _ := startProxy(injectors.Config{Kind: injectors.KindJSON, Target: "feature-api"}, rule)
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/v1/schema")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(503))
		Expect(resp.Header.Get("Content-Type")).To(Equal("application/json"))
		Expect(resp.Header.Get("X-Trace")).To(Equal("1"))
		var body map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&body)).To(Succeed())
		Expect(body).To(HaveKeyWithValue("status", BeEquivalentTo(503)))
		Expect(body).To(HaveKey("error"))
	})

	It("resets the connection with a TCP RST", func(ctx SpecContext) {
		p, buf := startProxy(injectors.Config{}, injectors.Rule{Name: "rst", Action: &injectors.Reset{On: true}})
		_, err := freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		Expect(err).To(MatchError(syscall.ECONNRESET))
		e := journalOf(p, buf)[0]
		Expect(e.Error).To(Equal(injectors.ErrReset))
		Expect(e.Status).To(Equal(0))
		Expect(e.Delivered).To(BeFalse())
	})

	It("truncates the body, so the client sees an unexpected EOF", func(ctx SpecContext) {
		putObject(ctx, "day/big.bin", bytes.Repeat([]byte("b"), 1<<20))
		p, buf := startProxy(injectors.Config{}, injectors.Rule{Name: "cut", Action: &injectors.Truncate{Bytes: 1000}})
		resp, err := freshClient(10 * time.Second).Get(presign(ctx, p, "day/big.bin"))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		got, err := io.ReadAll(resp.Body)
		Expect(err).To(MatchError(io.ErrUnexpectedEOF))
		Expect(got).To(HaveLen(1000))
		e := journalOf(p, buf)[0]
		Expect(e.BytesOut).To(BeEquivalentTo(1000))
		Expect(e.Error).To(Equal(injectors.ErrTruncated))
		Expect(e.Delivered).To(BeFalse())
		Expect(e.Status).To(Equal(200))
	})

	It("delays a request by at least the delay", func(ctx SpecContext) {
		p, _ := startProxy(injectors.Config{}, injectors.Rule{Name: "slow", Action: &injectors.Delay{D: 200 * time.Millisecond}})
		start := time.Now()
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		Expect(time.Since(start)).To(BeNumerically(">=", 200*time.Millisecond))
	})

	It("delays the answer on: response, after the upstream did the work", func(ctx SpecContext) {
		rule := injectors.Rule{Name: "slow-answer", On: injectors.OnResponse, Action: &injectors.Delay{D: 200 * time.Millisecond}}
		p, _ := startProxy(injectors.Config{}, rule)
		start := time.Now()
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(time.Since(start)).To(BeNumerically(">=", 200*time.Millisecond))
	})

	It("throttles a 2 MiB body at 1 MiB/s to at least 1.9 s", func(ctx SpecContext) {
		putObject(ctx, "day/2mib.bin", bytes.Repeat([]byte("t"), 2<<20))
		p, _ := startProxy(injectors.Config{}, injectors.Rule{Name: "narrow", Action: &injectors.Throttle{Rate: 1 << 20}})
		start := time.Now()
		resp, err := freshClient(30 * time.Second).Get(presign(ctx, p, "day/2mib.bin"))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(2 << 20))
		Expect(time.Since(start)).To(BeNumerically(">=", 1900*time.Millisecond))
		Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second))
	}, SpecTimeout(time.Minute))

	It("holds a hung request until the client gives up, and Close ends the rest", func(ctx SpecContext) {
		p, buf := startProxy(injectors.Config{}, injectors.Rule{Name: "stuck", Action: &injectors.Hang{On: true}})
		_, err := freshClient(300 * time.Millisecond).Get(p.URL() + "/minio/health/live")
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("Client.Timeout"))

		done := make(chan error, 1)
		go func() {
			_, err := freshClient(0).Get(p.URL() + "/minio/health/live")
			done <- err
		}()
		Eventually(p.Counters).Should(ContainElement(HaveField("Matched", 2)))
		Expect(p.Close()).To(Succeed())
		Eventually(done).WithTimeout(5 * time.Second).Should(Receive(HaveOccurred()))

		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(2))
		for _, e := range entries {
			Expect(e.Error).To(Equal(injectors.ErrHang))
			Expect(e.Status).To(Equal(0))
			Expect(e.Delivered).To(BeFalse())
		}
	})

	It("resets the client, never an invented 502, when the upstream is down", func(ctx SpecContext) {
		down, err := testenv.StartMinIO(ctx, GinkgoT().TempDir())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(down.Stop)
		u, err := url.Parse(down.URL())
		Expect(err).NotTo(HaveOccurred())
		p, buf := startProxy(injectors.Config{Upstream: u})
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))

		down.Stop()
		resp, err = freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			Fail("got status " + resp.Status + " from a dead upstream")
		}
		Expect(err).To(MatchError(syscall.ECONNRESET))
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(2))
		Expect(entries[1].Error).To(Equal(injectors.ErrUpstreamDown))
		Expect(entries[1].Status).To(Equal(0))
		Expect(entries[1].Delivered).To(BeFalse())
	}, SpecTimeout(time.Minute))

	It("holds the answer of an on: response workload crash until the callback returns, then closes unanswered", func(ctx SpecContext) {
		var clientReturned atomic.Bool
		type seen struct {
			rule          injectors.Rule
			storedAlready bool
			clientWaiting bool
		}
		calls := make(chan seen, 4)
		direct := s3Client(server.Endpoint, 0)
		onCrash := func(ctx context.Context, r injectors.Rule) error {
			_, err := direct.StatObject(ctx, bucket, "crash/model.bin", minio.StatObjectOptions{})
			calls <- seen{rule: r, storedAlready: err == nil, clientWaiting: !clientReturned.Load()}
			return nil
		}
		rule := injectors.Rule{
			Name: "worker-dies-after-upload", Workload: true, On: injectors.OnResponse,
			Match:    injectors.Match{Methods: []string{"PUT"}, Path: "/features/crash/*"},
			Action:   &injectors.Crash{},
			Schedule: injectors.Schedule{Times: 1},
		}
		p, buf := startProxy(injectors.Config{OnCrash: onCrash}, rule)
		_, err := s3Client(p.Addr(), 1).PutObject(ctx, bucket, "crash/model.bin", strings.NewReader("model"), 5, minio.PutObjectOptions{})
		clientReturned.Store(true)
		Expect(err).To(HaveOccurred())

		var s seen
		Expect(calls).To(Receive(&s))
		Expect(s.rule.Workload).To(BeTrue())
		Expect(s.storedAlready).To(BeTrue(), "the upstream completed before the crash")
		Expect(s.clientWaiting).To(BeTrue(), "the answer was held while the callback ran")
		_, err = direct.StatObject(ctx, bucket, "crash/model.bin", minio.StatObjectOptions{})
		Expect(err).NotTo(HaveOccurred())

		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Delivered).To(BeFalse())
		Expect(entries[0].Status).To(Equal(0))
		Expect(entries[0].UpstreamStatus).To(Equal(200))
		Expect(entries[0].Fault).To(Equal("worker-dies-after-upload"))
		Expect(entries[0].Action).To(Equal("crash"))
		Expect(entries[0].Error).To(Equal(injectors.ErrCrash))
	})

	It("hands a target crash on request to the callback, then forwards", func(ctx SpecContext) {
		calls := make(chan injectors.Rule, 1)
		rule := injectors.Rule{Name: "storage-crash", Action: &injectors.Crash{RestartAfter: ptr(2 * time.Second)}}
		p, _ := startProxy(injectors.Config{OnCrash: func(_ context.Context, r injectors.Rule) error { calls <- r; return nil }}, rule)
		resp, err := freshClient(10 * time.Second).Get(p.URL() + "/minio/health/live")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200), "the fake callback killed nothing")
		var r injectors.Rule
		Expect(calls).To(Receive(&r))
		Expect(r.Workload).To(BeFalse())
		Expect(*r.Action.(*injectors.Crash).RestartAfter).To(Equal(2 * time.Second))
	})

	Describe("rule order and schedules", func() {
		get := func(p *injectors.Proxy, c *http.Client) int {
			GinkgoHelper()
			resp, err := c.Get(p.URL() + "/minio/health/live")
			Expect(err).NotTo(HaveOccurred())
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}

		It("injects skip: 2, every: 2, times: 3 on matches 4, 6 and 8", func(ctx SpecContext) {
			rule := status503("sched")
			rule.Schedule = injectors.Schedule{Skip: 2, Every: 2, Times: 3}
			p, _ := startProxy(injectors.Config{}, rule)
			var injected []int
			for i := 1; i <= 12; i++ {
				if get(p, http.DefaultClient) == 503 {
					injected = append(injected, i)
				}
			}
			Expect(injected).To(Equal([]int{4, 6, 8}))
			Expect(p.Counters()).To(Equal([]injectors.RuleCounter{{Name: "sched", Matched: 12, Injected: 3}}))
		})

		It("lets every matching rule count, and the first that fires win", func(ctx SpecContext) {
			first := injectors.Rule{Name: "first", Match: injectors.Match{Path: "/minio/health/*"},
				Action: &injectors.Status{Code: 500}, Schedule: injectors.Schedule{Skip: 1}}
			second := status503("second")
			unmatched := status503("unmatched")
			unmatched.Match.Methods = []string{"PUT"}
			p, _ := startProxy(injectors.Config{}, first, second, unmatched)
			Expect(get(p, http.DefaultClient)).To(Equal(503))
			Expect(get(p, http.DefaultClient)).To(Equal(500))
			Expect(p.Counters()).To(Equal([]injectors.RuleCounter{
				{Name: "first", Matched: 2, Injected: 1},
				{Name: "second", Matched: 2, Injected: 1},
				{Name: "unmatched"},
			}))
			p.Disarm()
			Expect(get(p, http.DefaultClient)).To(Equal(200))
			Expect(p.Counters()).To(BeNil())
		})

		It("fires only between after and until, on the proxy's clock", func(ctx SpecContext) {
			var offset atomic.Int64
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := func() time.Time { return t0.Add(time.Duration(offset.Load())) }
			rule := status503("window")
			rule.Schedule = injectors.Schedule{After: time.Second, Until: 2 * time.Second}
			p, _ := startProxy(injectors.Config{Now: now}, rule)
			var got []int
			for _, at := range []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond} {
				offset.Store(int64(at))
				got = append(got, get(p, http.DefaultClient))
			}
			Expect(got).To(Equal([]int{200, 503, 200}))
		})

		It("replays the same probability draws for the same seed", func(ctx SpecContext) {
			sequence := func(seed int64) []bool {
				rule := status503("coin")
				rule.Schedule.Probability = ptr(0.3)
				p, _ := startProxy(injectors.Config{Seed: seed}, rule)
				c := &http.Client{Transport: &http.Transport{Proxy: nil}}
				out := make([]bool, 1000)
				for i := range out {
					out[i] = get(p, c) == 503
				}
				Expect(p.Close()).To(Succeed())
				return out
			}
			a, b, other := sequence(7), sequence(7), sequence(8)
			Expect(a).To(Equal(b))
			Expect(a).NotTo(Equal(other))
			n := 0
			for _, hit := range a {
				if hit {
					n++
				}
			}
			Expect(float64(n) / 1000).To(BeNumerically(">=", 0.25))
			Expect(float64(n) / 1000).To(BeNumerically("<=", 0.35))
		}, SpecTimeout(2*time.Minute))
	})

	It("writes journal lines that carry every documented field and no secret", func(ctx SpecContext) {
		putObject(ctx, "day/journal.bin", []byte("journal"))
		p, buf := startProxy(injectors.Config{}, injectors.Rule{Name: "late", Match: injectors.Match{Methods: []string{"DELETE"}}, Action: &injectors.Reset{On: true}})
		p.SetRun(2, 1)
		c := s3Client(p.Addr(), 1)
		_, err := c.StatObject(ctx, bucket, "day/journal.bin", minio.StatObjectOptions{})
		Expect(err).NotTo(HaveOccurred())
		u, err := s3Client(p.Addr(), 0).PresignedGetObject(ctx, bucket, "day/journal.bin", time.Hour, url.Values{"api_token": {"tok123"}, "page": {"2"}})
		Expect(err).NotTo(HaveOccurred())
		presigned := u.String()
		signature := regexpSignature(presigned)
		Expect(signature).NotTo(BeEmpty())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, presigned, nil)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Range", "bytes=0-3")
		req.Header.Set("Idempotency-Key", "op-1")
		resp, err := freshClient(10 * time.Second).Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(p.Close()).To(Succeed())

		raw := buf.Bytes()
		for _, secret := range []string{server.SecretKey, server.AccessKey, signature, "tok123", "AWS4-HMAC-SHA256 Credential"} {
			Expect(string(raw)).NotTo(ContainSubstring(secret))
		}
		fields := []string{}
		t := reflect.TypeOf(injectors.Entry{})
		for i := range t.NumField() {
			fields = append(fields, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
		}
		Expect(fields).To(ConsistOf("seq", "target", "run", "attempt", "start", "end", "method", "path", "query",
			"op_header", "op_key", "range", "status", "upstream_status", "retry_after_ms", "fault", "action",
			"delivered", "bytes_in", "bytes_out", "error"))
		lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
		Expect(lines).To(HaveLen(2))
		for _, line := range lines {
			var m map[string]json.RawMessage
			Expect(json.Unmarshal(line, &m)).To(Succeed())
			Expect(m).To(HaveLen(len(fields)))
			for _, f := range fields {
				Expect(m).To(HaveKey(f))
			}
		}
		entries, err := injectors.ReadJournal(bytes.NewReader(raw))
		Expect(err).NotTo(HaveOccurred())
		e := entries[1]
		Expect(e.Seq).To(BeEquivalentTo(2))
		Expect(e.Target).To(Equal("storage"))
		Expect(e.Run).To(Equal(2))
		Expect(e.Attempt).To(Equal(1))
		Expect(e.End).To(BeTemporally(">=", e.Start))
		Expect(e.Range).To(Equal("bytes=0-3"))
		Expect(e.OpHeader).To(Equal("op-1"))
		Expect(e.Status).To(Equal(206))
		Expect(e.Query).To(ContainSubstring("X-Amz-Signature=***"))
		Expect(e.Query).To(ContainSubstring("api_token=***"))
		Expect(e.OpKey).To(Equal("GET /features/day/journal.bin?api_token=#4f6e1f650552&page=2 bytes=0-3")) // sha256("tok123")[:12]
		Expect(e.BytesOut).To(BeEquivalentTo(4))
		Expect(e.Delivered).To(BeTrue())
	})
})

var _ = Describe("op_key of requests without an operation header", func() {
	It("tells ListObjectsV2 pages apart by their continuation-token and writes no token to the journal", func(ctx SpecContext) {
		p, buf := startProxy(injectors.Config{})
		get := func(token string) {
			GinkgoHelper()
			u := "http://" + p.Addr() + "/" + bucket + "?list-type=2&continuation-token=" + url.QueryEscape(token)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			Expect(err).NotTo(HaveOccurred())
			resp, err := freshClient(10 * time.Second).Do(req)
			Expect(err).NotTo(HaveOccurred())
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		tokens := []string{"page-token-one", "page-token-two", "page-token-three", "page-token-one"}
		for _, t := range tokens {
			get(t)
		}
		entries := journalOf(p, buf)
		Expect(entries).To(HaveLen(4))
		keys := map[string]int{}
		for _, e := range entries {
			Expect(e.OpHeader).To(BeEmpty())
			keys[e.OpKey]++
		}
		Expect(keys).To(HaveLen(3), "three token values, three operations: %v", keys)
		Expect(entries[0].OpKey).To(Equal(entries[3].OpKey))
		Expect(entries[0].OpKey).To(MatchRegexp(`^GET /` + bucket + `\?continuation-token=#[0-9a-f]{12}&list-type=2$`))
		for _, t := range tokens {
			Expect(string(buf.Bytes())).NotTo(ContainSubstring(t))
		}
	})
})

// regexpSignature returns the X-Amz-Signature of a presigned URL.
func regexpSignature(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Query().Get("X-Amz-Signature")
}
