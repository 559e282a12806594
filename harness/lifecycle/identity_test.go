package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/stub"
)

// foreignServer answers 200 "foreign" to every request on 127.0.0.1:port.
// It sets SO_REUSEPORT, as MinIO does, so that a target may bind the same
// port beside it: the case a readiness probe alone cannot tell apart.
func foreignServer(port int) (hits *atomic.Int64) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	Expect(err).NotTo(HaveOccurred())
	hits = &atomic.Int64{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "foreign")
	})}
	go func() { _ = srv.Serve(l) }()
	DeferCleanup(srv.Close)
	return hits
}

var _ = DescribeTableSubtree("a backend whose target's port is taken by a foreign server", func(name string) {
	var (
		run     *lifecycle.Run
		backend lifecycle.Backend
	)

	BeforeEach(func(ctx SpecContext) {
		if name == lifecycle.BackendDocker {
			requireDocker()
		}
		run = newRun("foreign")
		var err error
		backend, err = lifecycle.NewBackend(ctx, name, lifecycle.Options{Run: run})
		Expect(err).NotTo(HaveOccurred())
	})

	// takeFirst puts a foreign server on the first attempt's port and
	// returns the ports each attempt got.
	takeFirst := func() func() [][]int {
		var (
			mu       sync.Mutex
			attempts [][]int
		)
		lifecycle.SetAfterAllocate(backend, func(ports []int) {
			mu.Lock()
			defer mu.Unlock()
			if len(attempts) == 0 {
				foreignServer(ports[0])
			}
			attempts = append(attempts, append([]int(nil), ports...))
		})
		return func() [][]int {
			mu.Lock()
			defer mu.Unlock()
			return attempts
		}
	}

	It("detects it behind a healthy readiness probe and starts a stub on other ports", func(ctx SpecContext) {
		attempts := takeFirst()
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "api", Kind: lifecycle.KindStub, Routes: []stub.Route{
			{Method: stub.Methods{"GET"}, Path: "/v1/who", Status: 200, Body: "stub"},
		}})
		Expect(attempts()).To(HaveLen(2), "one attempt lost its port, the next one won")
		Expect(t.Addr()).NotTo(Equal(fmt.Sprintf("127.0.0.1:%d", attempts()[0][0])))
		Expect(t.Addr()).To(Equal(fmt.Sprintf("127.0.0.1:%d", attempts()[1][0])))
		for range 20 { // with a shared port the kernel would spread these
			resp, err := http.Get(t.URL() + "/v1/who")
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(string(body)).To(Equal("stub"))
		}
	})

	It("detects a foreign server sharing MinIO's port and starts MinIO on other ports", func(ctx SpecContext) {
		attempts := takeFirst()
		t := startTarget(ctx, backend, lifecycle.TargetSpec{Name: "storage", Kind: lifecycle.KindMinIO})
		Expect(attempts()).To(HaveLen(2))
		Expect(t.Addr()).To(Equal(fmt.Sprintf("127.0.0.1:%d", attempts()[1][0])))
		cl, err := lifecycle.MinIOClient(t.Addr(), t.Credentials())
		Expect(err).NotTo(HaveOccurred())
		for range 20 { // every request reaches our MinIO: our credentials work
			_, err := cl.ListBuckets(ctx)
			Expect(err).NotTo(HaveOccurred())
		}
	})

	It("fails with the cause after three attempts that all lose their port, leaving nothing behind", func(ctx SpecContext) {
		var calls atomic.Int64
		lifecycle.SetAfterAllocate(backend, func(ports []int) {
			calls.Add(1)
			foreignServer(ports[0])
		})
		_, err := backend.Start(ctx, lifecycle.TargetSpec{Name: "api", Kind: lifecycle.KindStub})
		Expect(err).To(MatchError(lifecycle.ErrPortTaken))
		Expect(err.Error()).To(ContainSubstring("port taken by another server"))
		Expect(calls.Load()).To(BeEquivalentTo(3))
		data, err := os.ReadFile(run.RecordPath())
		Expect(err).NotTo(HaveOccurred())
		var rec lifecycle.RunRecord
		Expect(json.Unmarshal(data, &rec)).To(Succeed())
		Expect(rec.Processes).To(BeEmpty(), "every attempt's process killed")
		Expect(rec.Containers).To(BeEmpty(), "every attempt's container removed")
	})
},
	Entry("process", lifecycle.BackendProcess),
	Entry("docker", Label("docker"), lifecycle.BackendDocker),
)
