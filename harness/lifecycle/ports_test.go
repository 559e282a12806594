package lifecycle_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
)

// TestPortsHelper is not a test: re-executed by the port allocator specs,
// it allocates $PORTS_HELPER_N ports from an allocator seeded with
// $PORTS_HELPER_SEED in the lock dir $PORTS_HELPER_DIR, prints them one a
// line after "ready", then "done", and holds them until its stdin closes.
func TestPortsHelper(t *testing.T) {
	dir := os.Getenv("PORTS_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	n, _ := strconv.Atoi(os.Getenv("PORTS_HELPER_N"))
	seed, _ := strconv.ParseUint(os.Getenv("PORTS_HELPER_SEED"), 10, 64)
	p := lifecycle.NewPortsDirRand(dir, seed)
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	_, _ = in.ReadString('\n') // go
	for range n {
		port, err := p.Allocate()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(port)
	}
	fmt.Println("done")
	_, _ = in.ReadString('\n') // EOF: release by exiting
	runtime.KeepAlive(p)       // its lock files close when it is collected
	os.Exit(0)
}

var _ = Describe("the port allocator", func() {
	It("never hands out a held port, and skips ports in use elsewhere", func() {
		p := lifecycle.NewPortsDirRand(GinkgoT().TempDir(), 7)
		seen := map[int]bool{}
		for range 300 {
			port, err := p.Allocate()
			Expect(err).NotTo(HaveOccurred())
			Expect(seen[port]).To(BeFalse(), "port %d handed out twice", port)
			Expect(port).To(BeNumerically("<", 32768), "below the ephemeral range")
			seen[port] = true
			Expect(p.Held(port)).To(BeTrue())
		}
	})

	It("draws again when the drawn port is in use elsewhere", func() {
		// Same seed, same first draw: occupy it.
		dir := GinkgoT().TempDir()
		a := lifecycle.NewPortsDirRand(dir, 9)
		first, err := a.Allocate()
		Expect(err).NotTo(HaveOccurred())
		a.Release(first)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first))
		Expect(err).NotTo(HaveOccurred())
		defer l.Close()
		port, err := lifecycle.NewPortsDirRand(dir, 9).Allocate()
		Expect(err).NotTo(HaveOccurred())
		Expect(port).NotTo(Equal(first))
		c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		Expect(err).NotTo(HaveOccurred(), "port %d is free", port)
		c.Close()
	})

	It("never hands out a port another allocator holds, until it is released", func() {
		dir := GinkgoT().TempDir()
		a, b := lifecycle.NewPortsDirRand(dir, 11), lifecycle.NewPortsDirRand(dir, 11)
		first, err := a.Allocate()
		Expect(err).NotTo(HaveOccurred())
		second, err := b.Allocate()
		Expect(err).NotTo(HaveOccurred())
		Expect(second).NotTo(Equal(first), "same draw, but a holds it")
		a.Release(first)
		Expect(a.Held(first)).To(BeFalse())
		again, err := lifecycle.NewPortsDirRand(dir, 11).Allocate()
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(first), "released: free for anyone")
	})

	It("never hands out one port twice across allocators racing in one process", func() {
		dir := GinkgoT().TempDir()
		var (
			mu   sync.Mutex
			seen = map[int]int{}
			wg   sync.WaitGroup
		)
		// Every allocator stays reachable to the end: a collected allocator's
		// lock files are closed by their finalizers, which gives its ports up
		// (as it should: an allocator nobody holds hands nothing out).
		allocators := make([]*lifecycle.Ports, 4)
		for g := range 4 {
			allocators[g] = lifecycle.NewPortsDirRand(dir, 5) // one seed: the same candidates
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				p := allocators[g]
				// 50 each: with one seed, an allocator that lags behind
				// skips every candidate the others took (at most 150 here)
				// within Allocate's 256 tries.
				for range 50 {
					port, err := p.Allocate()
					Expect(err).NotTo(HaveOccurred())
					mu.Lock()
					if h, dup := seen[port]; dup {
						mu.Unlock()
						Fail(fmt.Sprintf("port %d handed out to allocators %d and %d", port, h, g))
					}
					seen[port] = g
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		Expect(seen).To(HaveLen(200))
		runtime.KeepAlive(allocators)
	})

	It("never hands out one port twice across processes", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		const n = 300
		type helper struct {
			cmd   *exec.Cmd
			in    io.WriteCloser
			out   *bufio.Scanner
			ports []int
		}
		var helpers []*helper
		for range 2 {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPortsHelper$")
			cmd.Env = append(os.Environ(), "PORTS_HELPER_DIR="+dir, "PORTS_HELPER_N="+strconv.Itoa(n), "PORTS_HELPER_SEED=3")
			stdin, err := cmd.StdinPipe()
			Expect(err).NotTo(HaveOccurred())
			stdout, err := cmd.StdoutPipe()
			Expect(err).NotTo(HaveOccurred())
			Expect(cmd.Start()).To(Succeed())
			DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			h := &helper{cmd: cmd, in: stdin, out: bufio.NewScanner(stdout)}
			Expect(h.out.Scan()).To(BeTrue())
			Expect(h.out.Text()).To(Equal("ready"))
			helpers = append(helpers, h)
		}
		// Both draw the same candidates (one seed), starting together.
		for _, h := range helpers {
			_, err := fmt.Fprintln(h.in, "go")
			Expect(err).NotTo(HaveOccurred())
		}
		var wg sync.WaitGroup
		for _, h := range helpers {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				for h.out.Scan() {
					line := h.out.Text()
					if line == "done" {
						return
					}
					port, err := strconv.Atoi(line)
					Expect(err).NotTo(HaveOccurred(), line)
					h.ports = append(h.ports, port)
				}
			}()
		}
		wg.Wait()
		seen := map[int]bool{}
		for _, h := range helpers {
			Expect(h.ports).To(HaveLen(n))
			for _, p := range h.ports {
				Expect(seen[p]).To(BeFalse(), "port %d handed out to both processes", p)
				seen[p] = true
			}
		}
		// While they hold them, this process gets none of them either.
		mine := lifecycle.NewPortsDirRand(dir, 4)
		for range 200 {
			port, err := mine.Allocate()
			Expect(err).NotTo(HaveOccurred())
			Expect(seen[port]).To(BeFalse(), "port %d held by a helper", port)
		}
		for _, h := range helpers {
			Expect(h.in.Close()).To(Succeed())
			Expect(h.cmd.Wait()).To(Succeed())
		}
	})
})
