package lifecycle_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
)

// A /proc/net/tcp excerpt: port 0x3A98 = 15000.
const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:3A98 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 00000000:3A98 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
   2: 0200007F:3A98 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 100 0 0 10 0
   3: 0100007F:3A98 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 100 0 0 10 0
   4: 0100007F:3A99 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000000000000 100 0 0 10 0
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:3A98 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:3A98 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000001000000:3A98 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0
`

var _ = Describe("finding who listens on a port", func() {
	It("takes LISTEN sockets that 127.0.0.1 connections reach, and nothing else", func() {
		Expect(lifecycle.ParseListeners(procNetTCP, 15000, []string{"0100007F", "00000000"})).
			To(Equal([]uint64{1001, 1002}), "not 127.0.0.2, not an established connection, not port 15001")
		Expect(lifecycle.ParseListeners(procNetTCP6, 15000, []string{
			"00000000000000000000000000000000",
			"0000000000000000FFFF00000100007F",
			"0000000000000000FFFF000000000000",
		})).To(Equal([]uint64{2001, 2002}), "::, ::ffff:127.0.0.1, not ::1")
		Expect(lifecycle.ParseListeners("", 15000, nil)).To(BeEmpty())
		Expect(lifecycle.ParseListeners("header\ngarbage line\n", 15000, []string{"0100007F"})).To(BeEmpty())
	})
})
