package harness_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/stub"
)

func readObject(ctx context.Context, cl *minio.Client, bucket, key string) ([]byte, error) {
	o, err := cl.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// newRun makes a run whose record and dir go away with the spec.
func newRun(id string) *harness.Run {
	run, err := harness.NewRun(fmt.Sprintf("%s-%d", id, time.Now().UnixNano()), time.Now())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(run.Close)
	return run
}

// startTarget starts spec and stops it when the spec ends.
func startTarget(ctx context.Context, b harness.Backend, spec harness.TargetSpec) harness.Target {
	t, err := b.Start(ctx, spec)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(t.Stop(ctx)).To(Succeed()) })
	return t
}

var _ = DescribeTableSubtree("a backend", func(name string) {
	var (
		run     *harness.Run
		backend harness.Backend
	)

	BeforeEach(func(ctx SpecContext) {
		if name == harness.BackendDocker {
			requireDocker()
		}
		run = newRun("spec")
		var err error
		backend, err = harness.NewBackend(ctx, name, harness.Options{Run: run})
		Expect(err).NotTo(HaveOccurred())
		Expect(backend.Name()).To(Equal(name))
	})

	// actuallyRuns asserts what runs t: a live process in its own process
	// group running the expected program (process), or a running container
	// labelled with the run id (docker).
	actuallyRuns := func(ctx context.Context, t harness.Target, program string) {
		id := t.Identity()
		switch name {
		case harness.BackendProcess:
			Expect(id.PID).To(BeNumerically(">", 0))
			Expect(id.PGID).To(Equal(id.PID), "leads its own process group")
			Expect(id.PGID).NotTo(Equal(syscall.Getpgrp()))
			exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", id.PID))
			Expect(err).NotTo(HaveOccurred())
			Expect(filepath.Base(exe)).To(Equal(program))
			Expect(id.ContainerID).To(BeEmpty())
		case harness.BackendDocker:
			Expect(id.ContainerID).NotTo(BeEmpty())
			cli, err := harness.DockerClient(ctx)
			Expect(err).NotTo(HaveOccurred())
			defer cli.Close()
			c, err := containerInspect(ctx, cli, id.ContainerID)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Config.Labels).To(HaveKeyWithValue(harness.LabelRun, run.ID))
			Expect(c.Config.Labels).To(HaveKeyWithValue(harness.LabelTarget, t.Name()))
			Expect(c.State.Running).To(BeTrue())
			Expect(string(c.HostConfig.NetworkMode)).To(Equal("host"))
			Expect(c.Path).To(Equal("/" + program))
		}
	}

	// gone asserts that what ran t no longer runs.
	gone := func(ctx context.Context, id harness.Identity) {
		switch name {
		case harness.BackendProcess:
			Eventually(func() error { return syscall.Kill(id.PID, 0) }).Should(MatchError(syscall.ESRCH))
		case harness.BackendDocker:
			cli, err := harness.DockerClient(ctx)
			Expect(err).NotTo(HaveOccurred())
			defer cli.Close()
			_, err = containerInspect(ctx, cli, id.ContainerID)
			Expect(err).To(HaveOccurred(), "container removed")
		}
	}

	It("boots MinIO with random credentials and seeds versioned buckets", func(ctx SpecContext) {
		t := startTarget(ctx, backend, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
		Expect(t.Addr()).To(HavePrefix("127.0.0.1:"))
		Expect(t.Credentials().SecretKey).To(HaveLen(40))
		actuallyRuns(ctx, t, "minio")

		file := filepath.Join(GinkgoT().TempDir(), "part-1.bin")
		Expect(os.WriteFile(file, []byte("from a file"), 0o600)).To(Succeed())
		objs := []harness.Object{
			{Bucket: "features", Key: "day/part-0.bin", Size: 256 << 10},
			{Bucket: "features", Key: "day/schema.json", Content: `{"v":1}`, HasContent: true},
			{Bucket: "features", Key: "day/part-1.bin", FromFile: file},
		}
		Expect(harness.SeedMinIO(ctx, t, []string{"features", "models"}, objs, 42)).To(Succeed())

		cl, err := harness.MinIOClient(t.Addr(), t.Credentials())
		Expect(err).NotTo(HaveOccurred())
		want, _ := io.ReadAll(harness.SeedBytes(42, "features", "day/part-0.bin", 256<<10))
		got, err := readObject(ctx, cl, "features", "day/part-0.bin")
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Equal(got, want)).To(BeTrue(), "deterministic seed bytes")
		other, _ := io.ReadAll(harness.SeedBytes(43, "features", "day/part-0.bin", 256<<10))
		Expect(bytes.Equal(other, want)).To(BeFalse(), "another seed gives other bytes")
		Expect(readObject(ctx, cl, "features", "day/schema.json")).To(Equal([]byte(`{"v":1}`)))
		Expect(readObject(ctx, cl, "features", "day/part-1.bin")).To(Equal([]byte("from a file")))
		for _, b := range []string{"features", "models"} {
			v, err := cl.GetBucketVersioning(ctx, b)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Enabled()).To(BeTrue(), b)
		}

		id := t.Identity()
		Expect(t.Stop(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(harness.StateStopped))
		gone(ctx, id)
	})

	It("crashes MinIO and restarts it on the same address with its data", func(ctx SpecContext) {
		t := startTarget(ctx, backend, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
		Expect(harness.SeedMinIO(ctx, t, []string{"models"},
			[]harness.Object{{Bucket: "models", Key: "m/model.bin", Content: "weights", HasContent: true}}, 1)).To(Succeed())
		addr, before := t.Addr(), t.Identity()

		Expect(t.Crash(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(harness.StateCrashed))
		_, err := http.Get(t.URL() + "/minio/health/live")
		Expect(err).To(HaveOccurred(), "nothing answers while crashed")
		if name == harness.BackendProcess {
			gone(ctx, before)
		}

		Expect(t.Restart(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(harness.StateRunning))
		Expect(t.Addr()).To(Equal(addr))
		after := t.Identity()
		if name == harness.BackendProcess {
			Expect(after.PID).NotTo(Equal(before.PID), "a new process")
		} else {
			Expect(after.ContainerID).To(Equal(before.ContainerID), "the same container, started again")
		}
		actuallyRuns(ctx, t, "minio")
		cl, err := harness.MinIOClient(t.Addr(), t.Credentials())
		Expect(err).NotTo(HaveOccurred())
		Expect(readObject(ctx, cl, "models", "m/model.bin")).To(Equal([]byte("weights")))
	})

	It("pauses a target: requests hang, then complete on resume", func(ctx SpecContext) {
		t := startTarget(ctx, backend, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
		Expect(t.Pause(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(harness.StatePaused))

		done := make(chan int, 1)
		go func() {
			defer GinkgoRecover()
			resp, err := http.Get(t.URL() + "/minio/health/ready")
			if err != nil {
				done <- -1
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		Consistently(done, 400*time.Millisecond).ShouldNot(Receive(), "the request hangs while paused")
		Expect(t.Resume(ctx)).To(Succeed())
		Eventually(done, 10*time.Second).Should(Receive(Equal(http.StatusOK)))
		Expect(t.State()).To(Equal(harness.StateRunning))

		// A paused target can be crashed and restarted.
		Expect(t.Pause(ctx)).To(Succeed())
		Expect(t.Crash(ctx)).To(Succeed())
		Expect(t.Restart(ctx)).To(Succeed())
		Expect(httpGet(ctx, t.URL()+"/minio/health/ready")).To(Equal(http.StatusOK))
		Expect(t.Pause(ctx)).To(Succeed())
	})

	It("serves stub routes with globs and params, and 404 JSON otherwise", func(ctx SpecContext) {
		t := startTarget(ctx, backend, harness.TargetSpec{Name: "feature-api", Kind: harness.KindStub, Routes: []stub.Route{
			{Method: stub.Methods{"GET"}, Path: "/v1/schema", Status: 200, JSON: map[string]any{"version": 3}},
			{Method: stub.Methods{"POST"}, Path: "/v1/runs/{id}/*", Status: 201, Body: "ok", Headers: map[string]string{"X-Trace": "1"}, Delay: stub.Duration(50 * time.Millisecond)},
		}})
		actuallyRuns(ctx, t, "gameday")

		resp, err := http.Get(t.URL() + "/v1/schema")
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		Expect(resp.Header.Get("Content-Type")).To(Equal("application/json"))
		Expect(body).To(MatchJSON(`{"version":3}`))

		start := time.Now()
		resp, err = http.Post(t.URL()+"/v1/runs/r1/steps/train", "text/plain", strings.NewReader("x"))
		Expect(err).NotTo(HaveOccurred())
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(time.Since(start)).To(BeNumerically(">=", 50*time.Millisecond))
		Expect(resp.StatusCode).To(Equal(201))
		Expect(resp.Header.Get("X-Trace")).To(Equal("1"))
		Expect(string(body)).To(Equal("ok"))

		for _, miss := range []struct{ method, path string }{
			{"GET", "/v1/runs/r1/x"},   // wrong method
			{"POST", "/v1/runs//x"},    // empty {id}
			{"GET", "/v1/schema/more"}, // no glob
		} {
			req, _ := http.NewRequestWithContext(ctx, miss.method, t.URL()+miss.path, nil)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(404), miss.path)
			Expect(body).To(MatchJSON(fmt.Sprintf(`{"error":"no route","status":404,"method":%q,"path":%q}`, miss.method, miss.path)))
		}

		logText := func() string { b, _ := os.ReadFile(t.LogPath()); return string(b) }
		Eventually(logText).Should(ContainSubstring("stub listening on http://" + t.Addr()))

		id := t.Identity()
		Expect(t.Crash(ctx)).To(Succeed())
		Expect(t.Restart(ctx)).To(Succeed())
		Eventually(func() int { return strings.Count(logText(), "stub listening") }).Should(Equal(2), "the log goes on after a restart")
		resp, err = http.Get(t.URL() + "/v1/schema")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		Expect(t.Stop(ctx)).To(Succeed())
		gone(ctx, id)
	})

	It("records what it started in the run record while it runs", func(ctx SpecContext) {
		t := startTarget(ctx, backend, harness.TargetSpec{Name: "storage", Kind: harness.KindMinIO})
		recs, _, err := harness.LoadRunRecords()
		Expect(err).NotTo(HaveOccurred())
		var mine *harness.RunRecord
		for i := range recs {
			if recs[i].RunID == run.ID {
				mine = &recs[i]
			}
		}
		Expect(mine).NotTo(BeNil())
		Expect(mine.Owner.PID).To(Equal(os.Getpid()))
		if name == harness.BackendProcess {
			Expect(mine.Processes).To(ConsistOf(HaveField("PID", t.Identity().PID)))
		} else {
			Expect(mine.Containers).To(ConsistOf(HaveField("ID", t.Identity().ContainerID)))
		}
		data, err := os.ReadFile(run.RecordPath())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(t.Credentials().SecretKey))
	})
},
	Entry("process", harness.BackendProcess),
	Entry("docker", Label("docker"), harness.BackendDocker),
)
