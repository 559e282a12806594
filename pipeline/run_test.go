package pipeline_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/pipeline"
	"github.com/gameday/gameday/policies"
)

var _ = Describe("ConfigFromEnv", func() {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	base := []string{"GAMEDAY_RUN_ID", "r1", "AWS_ENDPOINT_URL", "http://127.0.0.1:9000",
		"AWS_ACCESS_KEY_ID", "ak", "AWS_SECRET_ACCESS_KEY", "sk"}

	It("applies the conventions: features and models buckets, built-in policy, no feature API", func() {
		c, err := pipeline.ConfigFromEnv(env(append(base, "GAMEDAY_SEED", "42")...))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.RunID).To(Equal("r1"))
		Expect(c.Seed).To(Equal(uint64(42)))
		Expect(c.S3Endpoint).To(Equal("http://127.0.0.1:9000"))
		Expect(c.Features).To(Equal(pipeline.Location{Bucket: "features"}))
		Expect(c.Models).To(Equal(pipeline.Location{Bucket: "models"}))
		Expect(c.FeatureAPIURL).To(BeEmpty())
		Expect(c.Policy.Retry.MaxAttempts).To(Equal(5))
	})

	It("prefers GAMEDAY_S3_ENDPOINT and reads every override", func() {
		c, err := pipeline.ConfigFromEnv(env(append(base,
			"GAMEDAY_S3_ENDPOINT", "http://127.0.0.1:1", "GAMEDAY_FEATURES", "in/day/2026", "GAMEDAY_MODELS", "out",
			"GAMEDAY_FEATURE_API_URL", "http://127.0.0.1:2/", "GAMEDAY_POLICY", "../policies/ci.yaml",
			"GAMEDAY_SCHEDULED_AT", "2026-11-27T00:00:00Z", "GAMEDAY_RUN_STARTED_AT", "2026-11-27T00:00:01.5Z", "GAMEDAY_SLA", "10m")...))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.S3Endpoint).To(Equal("http://127.0.0.1:1"))
		Expect(c.Features).To(Equal(pipeline.Location{Bucket: "in", Prefix: "day/2026"}))
		Expect(c.Models).To(Equal(pipeline.Location{Bucket: "out"}))
		Expect(c.FeatureAPIURL).To(Equal("http://127.0.0.1:2"))
		Expect(c.Policy.Retry.Backoff.Initial).To(Equal(50 * time.Millisecond))
		Expect(c.ScheduledAt).To(Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)))
		Expect(c.RunStartedAt).To(Equal(time.Date(2026, 11, 27, 0, 0, 1, 5e8, time.UTC)))
		Expect(c.SLA).To(Equal(10 * time.Minute))
	})

	It("reports every problem together", func() {
		_, err := pipeline.ConfigFromEnv(env("GAMEDAY_SEED", "x", "GAMEDAY_SLA", "soon", "GAMEDAY_MODELS", "/p", "GAMEDAY_POLICY", "nope.yaml"))
		Expect(err).To(HaveOccurred())
		for _, want := range []string{"GAMEDAY_RUN_ID is not set", "neither GAMEDAY_S3_ENDPOINT nor AWS_ENDPOINT_URL",
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", `GAMEDAY_SEED "x"`, `GAMEDAY_SLA "soon"`, "GAMEDAY_MODELS", "nope.yaml: no such file"} {
			Expect(err.Error()).To(ContainSubstring(want))
		}
	})

	It("rejects a run id that would escape its prefix", func() {
		_, err := pipeline.ConfigFromEnv(env("GAMEDAY_RUN_ID", "a/b", "AWS_ENDPOINT_URL", "x", "AWS_ACCESS_KEY_ID", "a", "AWS_SECRET_ACCESS_KEY", "b"))
		Expect(err).To(MatchError(ContainSubstring("must not contain '/'")))
	})
})

var _ = Describe("Run in-process", func() {
	cfg := func(f fixture, endpoint, runID string) pipeline.Config {
		p, err := policies.Parse("test.yaml", []byte(testPolicy), nil)
		Expect(err).NotTo(HaveOccurred())
		return pipeline.Config{
			RunID: runID, Seed: 1, Policy: p, S3Endpoint: endpoint,
			AccessKey: server.AccessKey, SecretKey: server.SecretKey,
			Features: pipeline.Location{Bucket: f.features}, Models: pipeline.Location{Bucket: f.models},
			RunStartedAt: time.Now(), SLA: time.Hour,
		}
	}

	It("calls AfterRun once with the outcome of a success, then logs the result line last", func() {
		ctx := context.Background()
		f := newFixture(ctx, 2, 100)
		var log bytes.Buffer
		var got []pipeline.Outcome
		o := pipeline.Run(ctx, cfg(f, server.URL(), "ok-1"), pipeline.Options{Log: &log,
			AfterRun: func(_ context.Context, o pipeline.Outcome) { got = append(got, o) }})
		Expect(o.Success).To(BeTrue())
		Expect(got).To(HaveLen(1))
		Expect(got[0]).To(Equal(o))
		Expect(o.Pipeline).To(Equal("reference"))
		Expect(o.ErrorClass).To(BeEmpty())
		Expect(o.Inputs).To(Equal(2))
		Expect(o.ModelKey).To(Equal("ok-1/model.bin"))
		Expect(o.SLA).To(Equal(time.Hour))
		Expect(o.EndedAt).NotTo(BeZero())
		Expect(o.LastLogLines).NotTo(BeEmpty())
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		Expect(lines[len(lines)-1]).To(ContainSubstring("msg=end result=success"))
		Expect(o.LastLogLines[len(o.LastLogLines)-1]).NotTo(ContainSubstring("msg=end"))
	})

	It("reports the failing operation's class, attempts and error", func() {
		ctx := context.Background()
		f := newFixture(ctx, 1, 100)
		px := newProxy(server.URL())
		px.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/day/") {
				s3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable")
				return true
			}
			return false
		})
		var after pipeline.Outcome
		o := pipeline.Run(ctx, cfg(f, px.srv.URL, "fail-1"), pipeline.Options{
			AfterRun: func(_ context.Context, o pipeline.Outcome) { after = o }})
		Expect(o.Success).To(BeFalse())
		Expect(after.Success).To(BeFalse())
		Expect(o.ErrorClass).To(Equal(policies.ClassTransient))
		Expect(o.Attempts).To(Equal(5))
		Expect(o.FailedOperation).To(Equal("get " + f.features + "/day/part-0.bin"))
		Expect(o.Error).To(ContainSubstring("503 ServiceUnavailable"))
		Expect(strings.Join(o.LastLogLines, "\n")).To(ContainSubstring("attempt=4 class=transient"))
	})

	It("trains deterministically and sensitively", func() {
		a := pipeline.Train([]pipeline.Input{{Key: "a", Data: []byte("xy")}}, nil)
		Expect(pipeline.Train([]pipeline.Input{{Key: "a", Data: []byte("xy")}}, nil)).To(Equal(a))
		Expect(pipeline.Train([]pipeline.Input{{Key: "a", Data: []byte("xz")}}, nil)).NotTo(Equal(a))
		Expect(pipeline.Train([]pipeline.Input{{Key: "b", Data: []byte("xy")}}, nil)).NotTo(Equal(a))
		Expect(pipeline.Train([]pipeline.Input{{Key: "a", Data: []byte("xy")}}, []byte("{}"))).NotTo(Equal(a))
		Expect(a).To(HavePrefix("GDMODEL1"))
	})
})
