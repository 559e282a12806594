package lifecycle_test

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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/stub"
	"github.com/gameday/gameday/internal/testenv"
)

// newRun makes a run whose record and dir go away with the spec.
func newRun(id string) *lifecycle.Run {
	run, err := lifecycle.NewRun(fmt.Sprintf("%s-%d", id, time.Now().UnixNano()), time.Now())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(run.Close)
	return run
}

// startTarget starts spec and stops it when the spec ends.
func startTarget(ctx context.Context, b lifecycle.Backend, spec lifecycle.TargetSpec) lifecycle.Target {
	t, err := b.Start(ctx, spec)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(t.Stop(ctx)).To(Succeed()) })
	return t
}

var _ = DescribeTableSubtree("a backend", func(name string) {
	var (
		run     *lifecycle.Run
		backend lifecycle.Backend
	)

	BeforeEach(func(ctx SpecContext) {
		if name == lifecycle.BackendDocker {
			requireDocker()
		}
		run = newRun("spec")
		var err error
		backend, err = lifecycle.NewBackend(ctx, name, lifecycle.Options{Run: run})
		Expect(err).NotTo(HaveOccurred())
		Expect(backend.Name()).To(Equal(name))
	})

	// actuallyRuns asserts what runs t: a live process in its own process
	// group running the expected program (process), or a running container
	// labelled with the run id (docker).
	actuallyRuns := func(ctx context.Context, t lifecycle.Target, program string) {
		id := t.Identity()
		switch name {
		case lifecycle.BackendProcess:
			Expect(id.PID).To(BeNumerically(">", 0))
			Expect(id.PGID).To(Equal(id.PID), "leads its own process group")
			Expect(id.PGID).NotTo(Equal(syscall.Getpgrp()))
			exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", id.PID))
			Expect(err).NotTo(HaveOccurred())
			Expect(filepath.Base(exe)).To(Equal(program))
			Expect(id.ContainerID).To(BeEmpty())
		case lifecycle.BackendDocker:
			Expect(id.ContainerID).NotTo(BeEmpty())
			cli, err := lifecycle.DockerClient(ctx)
			Expect(err).NotTo(HaveOccurred())
			defer cli.Close()
			c, err := testenv.ContainerInspect(ctx, cli, id.ContainerID)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Config.Labels).To(HaveKeyWithValue(lifecycle.LabelRun, run.ID))
			Expect(c.Config.Labels).To(HaveKeyWithValue(lifecycle.LabelTarget, t.Name()))
			Expect(c.State.Running).To(BeTrue())
			Expect(string(c.HostConfig.NetworkMode)).To(Equal("host"))
			Expect(c.Path).To(Equal("/" + program))
		}
	}

	// gone asserts that what ran t no longer runs.
	gone := func(ctx context.Context, id lifecycle.Identity) {
		switch name {
		case lifecycle.BackendProcess:
			Eventually(func() error { return syscall.Kill(id.PID, 0) }).Should(MatchError(syscall.ESRCH))
		case lifecycle.BackendDocker:
			cli, err := lifecycle.DockerClient(ctx)
			Expect(err).NotTo(HaveOccurred())
			defer cli.Close()
			_, err = testenv.ContainerInspect(ctx, cli, id.ContainerID)
			Expect(err).To(HaveOccurred(), "container removed")
		}
	}

	It("boots MinIO with random credentials and seeds versioned buckets", func(ctx SpecContext) {
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
		Expect(t.Addr()).To(HavePrefix("127.0.0.1:"))
		Expect(t.Credentials().SecretKey).To(HaveLen(40))
		actuallyRuns(ctx, t, "minio")

		file := filepath.Join(GinkgoT().TempDir(), "part-1.bin")
		Expect(os.WriteFile(file, []byte("from a file"), 0o600)).To(Succeed())
		objs := []lifecycle.Object{
			{Bucket: "features", Key: "day/part-0.bin", Size: 256 << 10},
			{Bucket: "features", Key: "day/schema.json", Content: `{"v":1}`, HasContent: true},
			{Bucket: "features", Key: "day/part-1.bin", FromFile: file},
		}
		Expect(lifecycle.SeedMinIO(ctx, t, []string{"features", "models"}, objs, 42)).To(Succeed())

		cl, err := lifecycle.MinIOClient(t.Addr(), t.Credentials())
		Expect(err).NotTo(HaveOccurred())
		want, _ := io.ReadAll(lifecycle.SeedBytes(42, "features", "day/part-0.bin", 256<<10))
		got, err := testenv.ReadObject(ctx, cl, "features", "day/part-0.bin")
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Equal(got, want)).To(BeTrue(), "deterministic seed bytes")
		other, _ := io.ReadAll(lifecycle.SeedBytes(43, "features", "day/part-0.bin", 256<<10))
		Expect(bytes.Equal(other, want)).To(BeFalse(), "another seed gives other bytes")
		Expect(testenv.ReadObject(ctx, cl, "features", "day/schema.json")).To(Equal([]byte(`{"v":1}`)))
		Expect(testenv.ReadObject(ctx, cl, "features", "day/part-1.bin")).To(Equal([]byte("from a file")))
		for _, b := range []string{"features", "models"} {
			v, err := cl.GetBucketVersioning(ctx, b)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Enabled()).To(BeTrue(), b)
		}

		id := t.Identity()
		Expect(t.Stop(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(lifecycle.StateStopped))
		gone(ctx, id)
	})

	It("crashes MinIO and restarts it on the same address with its data", func(ctx SpecContext) {
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
		Expect(lifecycle.SeedMinIO(ctx, t, []string{"models"},
			[]lifecycle.Object{{Bucket: "models", Key: "m/model.bin", Content: "weights", HasContent: true}}, 1)).To(Succeed())
		addr, before := t.Addr(), t.Identity()

		Expect(t.Crash(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(lifecycle.StateCrashed))
		_, err := http.Get(t.URL() + "/minio/health/live")
		Expect(err).To(HaveOccurred(), "nothing answers while crashed")
		if name == lifecycle.BackendProcess {
			gone(ctx, before)
		}

		Expect(t.Restart(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(lifecycle.StateRunning))
		Expect(t.Addr()).To(Equal(addr))
		after := t.Identity()
		if name == lifecycle.BackendProcess {
			Expect(after.PID).NotTo(Equal(before.PID), "a new process")
		} else {
			Expect(after.ContainerID).To(Equal(before.ContainerID), "the same container, started again")
		}
		actuallyRuns(ctx, t, "minio")
		cl, err := lifecycle.MinIOClient(t.Addr(), t.Credentials())
		Expect(err).NotTo(HaveOccurred())
		Expect(testenv.ReadObject(ctx, cl, "models", "m/model.bin")).To(Equal([]byte("weights")))
	})

	It("pauses a target: requests hang, then complete on resume", func(ctx SpecContext) {
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
		Expect(t.Pause(ctx)).To(Succeed())
		Expect(t.State()).To(Equal(lifecycle.StatePaused))

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
		Expect(t.State()).To(Equal(lifecycle.StateRunning))

		// A paused target can be crashed and restarted.
		Expect(t.Pause(ctx)).To(Succeed())
		Expect(t.Crash(ctx)).To(Succeed())
		Expect(t.Restart(ctx)).To(Succeed())
		Expect(testenv.HTTPGet(ctx, t.URL()+"/minio/health/ready")).To(Equal(http.StatusOK))
		Expect(t.Pause(ctx)).To(Succeed())
	})

	It("serves stub routes with globs and params, and 404 JSON otherwise", func(ctx SpecContext) {
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "feature-api", Kind: lifecycle.KindStub, Routes: []stub.Route{
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
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
		recs, _, err := lifecycle.LoadRunRecords()
		Expect(err).NotTo(HaveOccurred())
		var mine *lifecycle.RunRecord
		for i := range recs {
			if recs[i].RunID == run.ID {
				mine = &recs[i]
			}
		}
		Expect(mine).NotTo(BeNil())
		Expect(mine.Owner.PID).To(Equal(os.Getpid()))
		if name == lifecycle.BackendProcess {
			Expect(mine.Processes).To(ConsistOf(HaveField("PID", t.Identity().PID)))
		} else {
			Expect(mine.Containers).To(ConsistOf(HaveField("ID", t.Identity().ContainerID)))
		}
		data, err := os.ReadFile(run.RecordPath())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(t.Credentials().SecretKey))
	})
},
	Entry("process", lifecycle.BackendProcess),
	Entry("docker", Label("docker"), lifecycle.BackendDocker),
)
