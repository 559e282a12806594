package gameday_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday"
	. "github.com/gameday/gameday/matchers"
	"github.com/gameday/gameday/scenarios"
)

const uploadYAML = `name: upload
seed: 3
targets:
  storage: {kind: minio, buckets: [models]}
workload: {exec: ["true"]}
faults:
  - {name: one-503, target: storage, match: {method: PUT, path: "/models/*"}, action: {status: 503}, times: 1}
  - {name: throttle-get, target: storage, match: {method: GET, path: "/models/*"}, action: {status: 429, retry_after: 1s}, times: 1}
  - {name: storage-blip, target: storage, action: {crash: {restart_after: 100ms}}, after: 50ms}
expect:
  outcome: success
  pages: 0
  attempts_per_operation: "<=2"
  requests:
    - {target: storage, status: 503, count: 1}
`

// client is an S3 client on the stack's proxy that does not retry, so each
// call is one request on the wire.
func client(st *gameday.Stack) *minio.Client {
	c := st.Credentials("storage")
	cl, err := minio.New(strings.TrimPrefix(st.URL("storage"), "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Region: "us-east-1", MaxRetries: 1})
	Expect(err).NotTo(HaveOccurred())
	return cl
}

// put writes key and returns the status the client got (200 or the error's).
func put(ctx context.Context, cl *minio.Client, key string) int {
	_, err := cl.PutObject(ctx, "models", key, bytes.NewReader([]byte("m")), 1, minio.PutObjectOptions{})
	if err != nil {
		return minio.ToErrorResponse(err).StatusCode
	}
	return http.StatusOK
}

func get(ctx context.Context, cl *minio.Client, key string) int {
	o, err := cl.GetObject(ctx, "models", key, minio.GetObjectOptions{})
	if err == nil {
		_, err = io.ReadAll(o)
		o.Close()
	}
	if err != nil {
		return minio.ToErrorResponse(err).StatusCode
	}
	return http.StatusOK
}

var _ = Describe("Start", func() {
	It("boots disarmed, arms a fault by name mid-test, and judges what crossed the wire", func(ctx SpecContext) {
		st, err := gameday.Start(ctx, gameday.YAML("upload.yaml", uploadYAML), gameday.WithBackend(gameday.Process), gameday.WithFaultsDisarmed())
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Name()).To(Equal("upload"))
		Expect(st.Seed()).To(Equal(int64(3)))
		Expect(st.Backend()).To(Equal(gameday.Process))
		Expect(st.Targets()).To(Equal([]string{"storage"}))
		Expect(st.URL("storage")).NotTo(Equal(st.DirectURL("storage")))
		Expect(st.Getenv("AWS_ENDPOINT_URL")).To(Equal(st.URL("storage")))
		Expect(st.Getenv("AWS_SECRET_ACCESS_KEY")).To(Equal(st.Credentials("storage").SecretKey))
		Expect(st.Faults()).To(Equal([]string{"one-503", "throttle-get", "storage-blip"}))
		Expect(st.Armed()).To(BeEmpty())

		cl := client(st)
		Expect(put(ctx, cl, "run-1/model.bin")).To(Equal(200), "nothing armed")
		Expect(st.Arm("one-503")).To(Succeed())
		Expect(st.Armed()).To(Equal([]string{"one-503"}))
		Expect(put(ctx, cl, "run-1/model.bin")).To(Equal(503))
		Expect(put(ctx, cl, "run-1/model.bin")).To(Equal(200), "times: 1")

		journal, err := st.Journal()
		Expect(err).NotTo(HaveOccurred())
		Expect(journal).To(HaveLen(3))
		Expect(journal[1]).To(And(HaveField("Fault", "one-503"), HaveField("Status", 503)))

		Expect(st).To(FailFastOn(401, 403))
		Expect(st).To(HaveAtMostAttemptsPerOperation(2).On("storage"))
		Expect(st).To(HaveNoPages())
		Expect(st).To(RecoverWithin(5 * time.Second))
		// Two versions of one key: the first write and the one after the 503.
		Expect(failure(func() { Expect(st).To(HaveNoDuplicateArtifacts()) })).To(HavePrefix(
			"artifacts: want duplicates ==0 in models/, got 1 (run-1/model.bin has 2 versions, identical content"))

		res, err := st.Judge(ctx)
		Expect(err).NotTo(HaveOccurred())
		verdicts := map[string]string{}
		for _, v := range res.Expectations {
			verdicts[v.Name] = v.Got
		}
		Expect(verdicts).To(Equal(map[string]string{"outcome": "not judged", "pages": "0", "attempts_per_operation": "2",
			"requests[0]": "1", "faults_fired": "1 of 3 injected"}))
		Expect(res.Name).To(Equal("upload"))
		Expect(res.Metrics.FaultsInjected).To(Equal(1))
		Expect(failure(func() { Expect(res).To(HavePassed()) })).To(HavePrefix("faults_fired: throttle-get never injected"))
	})

	It("keeps the progress of armed faults when another is armed beside them, and arms afresh by name", func(ctx SpecContext) {
		st, err := gameday.Start(ctx, gameday.YAML("upload.yaml", uploadYAML), gameday.WithBackend(gameday.Process), gameday.WithFaultsDisarmed())
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		cl := client(st)
		Expect(st.Arm("one-503")).To(Succeed())
		Expect(put(ctx, cl, "a")).To(Equal(503))
		Expect(st.Arm("throttle-get")).To(Succeed())
		Expect(put(ctx, cl, "a")).To(Equal(200), "one-503 fired once: arming another fault on its proxy does not make it fire again")
		Expect(get(ctx, cl, "a")).To(Equal(429))
		Expect(st.Arm("one-503")).To(Succeed())
		Expect(put(ctx, cl, "a")).To(Equal(503), "arming by name arms afresh")
		Expect(st.Disarm()).To(Succeed())
		Expect(st.Armed()).To(BeEmpty())
		Expect(put(ctx, cl, "a")).To(Equal(200))

		Expect(st.Arm("nope", "one-503")).To(MatchError(`no fault "nope" (faults: one-503, throttle-get, storage-blip)`))
		Expect(st.Armed()).To(BeEmpty(), "an unknown name arms nothing")
	})

	It("arms every fault at start by default, timer faults included, and crashes and restarts by hand", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		st, err := gameday.Start(ctx, gameday.YAML("upload.yaml", uploadYAML), gameday.WithBackend(gameday.Process), gameday.WithJournalDir(dir))
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Armed()).To(Equal([]string{"one-503", "throttle-get", "storage-blip"}))
		Eventually(func(g Gomega) {
			n, err := st.Snapshot(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(n.TimerFaults).To(ConsistOf(HaveField("Name", "storage-blip")))
		}, 10*time.Second).Should(Succeed())
		cl := client(st)
		Eventually(func() int { return put(ctx, cl, "b") }, 10*time.Second).Should(Equal(200), "back after restart_after (the 503 first)")

		Expect(st.Crash(ctx, "storage")).To(Succeed())
		Expect(put(ctx, cl, "b")).NotTo(Equal(200))
		Expect(st.Restart(ctx, "storage")).To(Succeed())
		Expect(put(ctx, cl, "b")).To(Equal(200))
		Expect(st.Crash(ctx, "nope")).To(MatchError(ContainSubstring(`no target "nope"`)))

		Expect(st.Close(ctx)).To(Succeed())
		Expect(st.Close(ctx)).To(Succeed(), "idempotent")
		Expect(filepath.Join(dir, "journal-storage.jsonl")).To(BeAnExistingFile(), "WithJournalDir keeps the journal")
	})

	It("applies WithEnv and WithPolicy through the checked override, and refuses what the harness owns", func(ctx SpecContext) {
		st, err := gameday.Start(ctx, gameday.YAML("upload.yaml", uploadYAML), gameday.WithBackend(gameday.Process),
			gameday.WithEnv("RETRY_MODE", "adaptive"), gameday.WithPolicy("policies/ci.yaml"))
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Getenv("RETRY_MODE")).To(Equal("adaptive"))
		abs, _ := filepath.Abs("policies/ci.yaml")
		Expect(st.Getenv("GAMEDAY_POLICY")).To(Equal(abs))

		_, err = gameday.Start(ctx, gameday.YAML("upload.yaml", uploadYAML), gameday.WithEnv("AWS_ENDPOINT_URL", "x"))
		Expect(err).To(MatchError("upload: AWS_ENDPOINT_URL is set by the harness for every run and cannot be overridden"))
	})

	It("refuses bad input before starting anything", func(ctx SpecContext) {
		for _, c := range []struct {
			src  gameday.Source
			opts []gameday.Option
			want string
		}{
			{gameday.YAML("u.yaml", uploadYAML), []gameday.Option{gameday.WithBackend("vm")}, `gameday: backend "vm": want auto, docker or process`},
			{gameday.YAML("u.yaml", "name: x\n"), nil, "u.yaml:1:1: missing required key \"targets\""},
			{gameday.File("scenarios/testdata/good/matrix.yaml"), nil, `scenarios/testdata/good/matrix.yaml has a matrix of 6 combinations: start one with gameday.Combination("scenarios/testdata/good/matrix.yaml", "matrix[RETRY_MODE=standard,policy=default]")`},
			{gameday.Combination("scenarios/testdata/good/matrix.yaml", "matrix[RETRY_MODE=x]"), nil, `no combination "matrix[RETRY_MODE=x]"`},
			{gameday.Loaded(&scenarios.Scenario{Name: "by-hand"}), nil, "scenario by-hand was not loaded"},
			{gameday.Source{}, nil, "gameday: no scenario"},
		} {
			st, err := gameday.Start(ctx, c.src, c.opts...)
			Expect(err).To(MatchError(ContainSubstring(c.want)))
			Expect(st).To(BeNil())
			Expect(st.Close(ctx)).To(Succeed(), "Close is safe on what Start returned")
		}
	})

	It("starts one combination of a matrix", func(ctx SpecContext) {
		st, err := gameday.Start(ctx, gameday.Combination("scenarios/testdata/good/matrix.yaml", "matrix[RETRY_MODE=legacy,policy=ci]"), gameday.WithBackend(gameday.Process))
		DeferCleanup(st.Close)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Getenv("RETRY_MODE")).To(Equal("legacy"))
		Expect(st.Getenv("GAMEDAY_POLICY")).To(HaveSuffix("/policies/ci.yaml"))
		Expect(st.Getenv("GAMEDAY_RUN_ID")).To(Equal("matrix-RETRY_MODE-legacy-policy-ci-7"))
	})
})

// failure is the message Gomega fails with.
func failure(f func()) string {
	err := InterceptGomegaFailure(f)
	Expect(err).To(HaveOccurred(), "the assertion should have failed")
	return err.Error()
}
