package ginkgo_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday"
	"github.com/gameday/gameday/examples/ginkgo/uploader"
	. "github.com/gameday/gameday/matchers"
)

var _ = DescribeTableSubtree("the uploader against a gameday stack", func(backend string) {
	var (
		st *gameday.Stack
		up *uploader.Uploader
	)

	BeforeEach(func(ctx SpecContext) {
		requireBackend(backend)
		var err error
		st, err = gameday.Start(ctx, gameday.File("testdata/uploads.yaml"),
			gameday.WithBackend(backend), gameday.WithFaultsDisarmed())
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("stack %s on %s, seed %d\n", st.Name(), st.Backend(), st.Seed())
		cfg := uploader.FromEnv(st.Getenv)
		cfg.Rand = rand.New(rand.NewPCG(uint64(st.Seed()), 1))
		up, err = uploader.New(cfg)
		Expect(err).NotTo(HaveOccurred())
	})

	It("absorbs a 503 armed mid-spec: one retry, no page, no duplicate", func(ctx SpecContext) {
		Expect(up.Put(ctx, "run-1/features.parquet", []byte("warm-up"))).To(Succeed())
		Expect(st.Arm("one-503")).To(Succeed())
		Expect(up.Put(ctx, "run-1/model.bin", []byte("weights"))).To(Succeed())

		Expect(st).To(HaveAtMostAttemptsPerOperation(2).On("storage"))
		Expect(st).To(FailFastOn(401, 403))
		Expect(st).To(HaveNoPages())
		Expect(st).To(HaveNoDuplicateArtifacts())
		Expect(st).To(RecoverWithin(2 * time.Second))
		Expect(st.Judge(ctx)).To(HaveField("Metrics.FaultsInjected", 1))
	})

	It("writes once when the answer to a stored upload is lost, thanks to its conditional create", func(ctx SpecContext) {
		Expect(st.Arm("lost-answer")).To(Succeed())
		Expect(up.Put(ctx, "run-1/model.bin", []byte("weights"))).To(Succeed())
		Expect(st).To(HaveNoDuplicateArtifacts())

		// The same client without it stores a second copy; the matcher
		// fails with the message gameday run prints.
		cfg := uploader.FromEnv(st.Getenv)
		cfg.Unconditional = true
		careless, err := uploader.New(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Arm("lost-answer")).To(Succeed())
		Expect(careless.Put(ctx, "run-2/model.bin", []byte("weights"))).To(Succeed())
		msg := InterceptGomegaFailure(func() { Expect(st).To(HaveNoDuplicateArtifacts()) })
		Expect(msg).To(MatchError(HavePrefix("artifacts: want duplicates ==0 in models/, got 1 (run-2/model.bin has 2 versions, identical content")))
	})

	It("waits as long as a 429's Retry-After says", func(ctx SpecContext) {
		Expect(st.Arm("throttled")).To(Succeed())
		Expect(up.Put(ctx, "run-1/model.bin", []byte("weights"))).To(Succeed())
		Expect(st).To(HonorRetryAfter().On("storage"))
	})

	It("fails fast on a 403 and raises a warning, not a page", func(ctx SpecContext) {
		Expect(st.Arm("denied")).To(Succeed())
		err := up.Put(ctx, "run-1/model.bin", []byte("weights"))
		var perm *uploader.PermanentError
		Expect(err).To(BeAssignableToTypeOf(perm))
		Expect(st).To(FailFastOn(403))
		Expect(st).To(HaveNoPages())
		Eventually(st.Notifications).Should(ConsistOf(HaveField("Severity", "warning")))
	})

	It("backs off with jitter between retries", func(ctx SpecContext) {
		for i := range 6 {
			Expect(st.Arm("flaky")).To(Succeed()) // afresh: three 503s for this upload
			Expect(up.Put(ctx, fmt.Sprintf("run-1/shard-%d.bin", i), []byte("weights"))).To(Succeed())
		}
		Expect(st).To(HaveAtMostAttemptsPerOperation(4))
		Expect(st).To(HaveJitteredBackoff())
	})
},
	Entry("process", gameday.Process),
	Entry("docker", Label("docker"), gameday.Docker),
)
