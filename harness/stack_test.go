package harness_test

import (
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/testenv"
	"github.com/gameday/gameday/scenarios"
)

const stackScenario = `name: stack-spec
seed: 5
targets:
  storage:
    kind: minio
    buckets: [features]
    objects:
      - {bucket: features, key: day/part-0.bin, size: 64KiB}
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["true"]
faults:
  - name: crash-on-read
    target: storage
    match: {method: GET, path: "/features/*"}
    action: {crash: {restart_after: 200ms}}
    times: 1
  - name: slow-schema
    target: feature-api
    match: {path: /v1/schema}
    action: {delay: 100ms}
`

var _ = DescribeTableSubtree("a booted stack", func(backend string) {
	It("serves through its proxies, crashes a target on a matching request and brings it back", func(ctx SpecContext) {
		if backend == lifecycle.BackendDocker {
			requireDocker()
		}
		sc, err := scenarios.Load("stack.yaml", GinkgoT().TempDir(), []byte(stackScenario))
		Expect(err).NotTo(HaveOccurred())
		s, err := harness.BootStack(ctx, sc, harness.StackOptions{Backend: backend, Seed: 5})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(s.Close(ctx)).To(Succeed()) })
		Expect(s.Backend.Name()).To(Equal(backend))
		Expect(s.Order).To(Equal([]string{"storage", "feature-api"}))

		env := harness.Environ(nil, s.WorkloadEnv())
		Expect(env).To(ContainElement("AWS_ENDPOINT_URL=" + s.Proxies["storage"].URL()))
		Expect(env).To(ContainElement("GAMEDAY_FEATURE_API_URL=" + s.Proxies["feature-api"].URL()))
		Expect(env).To(ContainElement("GAMEDAY_ALERT_URL=" + s.Receiver.AlertmanagerURL()))
		Expect(s.Redactor.String(strings.Join(env, "\n"))).NotTo(ContainSubstring(s.Targets["storage"].Credentials().SecretKey))

		start := time.Now()
		Expect(testenv.HTTPGet(ctx, s.Proxies["feature-api"].URL()+"/v1/schema")).To(Equal(http.StatusOK))
		Expect(time.Since(start)).To(BeNumerically(">=", 100*time.Millisecond), "the delay fault is armed")

		storage := s.Targets["storage"]
		addr := storage.Addr()
		cl, err := lifecycle.MinIOClient(strings.TrimPrefix(s.Proxies["storage"].URL(), "http://"), storage.Credentials())
		Expect(err).NotTo(HaveOccurred())
		// The first GET crashes MinIO; minio-go retries on its own, so
		// either the read fails or it succeeds after the restart.
		_, _ = testenv.ReadObject(ctx, cl, "features", "day/part-0.bin")
		Eventually(func() lifecycle.State { return storage.State() }, 10*time.Second).Should(Equal(lifecycle.StateRunning))
		Expect(s.Proxies["storage"].Counters()).To(ContainElement(HaveField("Injected", 1)))
		Expect(storage.Addr()).To(Equal(addr))
		Eventually(func() error {
			_, err := cl.StatObject(ctx, "features", "day/part-0.bin", minio.StatObjectOptions{})
			return err
		}, 10*time.Second).Should(Succeed())
		data, err := testenv.ReadObject(ctx, cl, "features", "day/part-0.bin")
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(HaveLen(64 << 10))

		runDir := s.Run.Dir
		Expect(s.Close(ctx)).To(Succeed())
		Expect(storage.State()).To(Equal(lifecycle.StateStopped))
		_, err = os.Stat(runDir)
		Expect(os.IsNotExist(err)).To(BeTrue())
	})
},
	Entry("process", lifecycle.BackendProcess),
	Entry("docker", Label("docker"), lifecycle.BackendDocker),
)
