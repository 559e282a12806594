package harness_test

import (
	"net"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
)

var _ = Describe("the port allocator", func() {
	It("never hands out a held port, and skips ports in use elsewhere", func() {
		p := harness.NewPortsRand(7)
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
		first, err := harness.NewPortsRand(9).Allocate()
		Expect(err).NotTo(HaveOccurred())
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first))
		Expect(err).NotTo(HaveOccurred())
		defer l.Close()
		port, err := harness.NewPortsRand(9).Allocate()
		Expect(err).NotTo(HaveOccurred())
		Expect(port).NotTo(Equal(first))
		c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		Expect(err).NotTo(HaveOccurred(), "port %d is free", port)
		c.Close()
	})
})
