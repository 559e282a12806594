package alerting_test

import (
	"context"
	"time"

	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/testenv"
	"github.com/gameday/gameday/policies/alerting"
)

var _ = Describe("S3Store against a real MinIO", Ordered, func() {
	var (
		env    map[string]string
		getenv func(string) string
	)

	BeforeAll(func(ctx SpecContext) {
		m, err := testenv.StartMinIO(ctx, GinkgoT().TempDir())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(m.Stop)
		env = map[string]string{
			"AWS_ENDPOINT_URL": m.URL(), "AWS_ACCESS_KEY_ID": m.AccessKey, "AWS_SECRET_ACCESS_KEY": m.SecretKey,
		}
		getenv = func(k string) string { return env[k] }
		store, err := alerting.OpenStore(ctx, "s3://alert-state/gameday", getenv)
		Expect(err).NotTo(HaveOccurred())
		Expect(store.(*alerting.S3Store).Client.MakeBucket(ctx, "alert-state", minio.MakeBucketOptions{})).To(Succeed())
	}, NodeTimeout(60*time.Second))

	It("creates once, updates on the right ETag and reports a stale write as ErrConflict", func(ctx SpecContext) {
		store, err := alerting.OpenStore(ctx, "s3://alert-state/gameday", getenv)
		Expect(err).NotTo(HaveOccurred())
		data, v, err := store.Load(ctx, "k")
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(BeNil())
		Expect(v).To(BeEmpty())
		Expect(store.Save(ctx, "k", []byte(`{"a":1}`), "")).To(Succeed())
		Expect(store.Save(ctx, "k", []byte(`{"a":2}`), "")).To(MatchError(alerting.ErrConflict))
		data, v1, err := store.Load(ctx, "k")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal(`{"a":1}`))
		Expect(store.Save(ctx, "k", []byte(`{"a":3}`), v1)).To(Succeed())
		Expect(store.Save(ctx, "k", []byte(`{"a":4}`), v1)).To(MatchError(alerting.ErrConflict))
		data, _, err = store.Load(ctx, "k")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal(`{"a":3}`))
	})

	It("keeps alert state across alerters (new processes), so three failures page once", func(ctx SpecContext) {
		team, oncall := &recorder{}, &recorder{}
		for i, id := range []string{"s-1", "s-2", "s-3"} {
			store, err := alerting.OpenStore(ctx, "s3://alert-state/gameday", getenv)
			Expect(err).NotTo(HaveOccurred())
			a, err := alerting.New(defaultPolicy(), store, alerting.WithNotifier("team", team), alerting.WithNotifier("oncall", oncall),
				alerting.WithGetenv(getenv))
			Expect(err).NotTo(HaveOccurred())
			rep, err := a.Evaluate(context.Background(), failed(id, t0.Add(time.Duration(i)*time.Hour)))
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Vars.ConsecutiveFailures).To(Equal(i + 1))
		}
		Expect(describe(team.take())).To(Equal("first-failure/trigger/info@team"))
		Expect(describe(oncall.take())).To(Equal("sustained/trigger/page@oncall"))
	})
})
