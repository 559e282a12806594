//go:build linux

package reports_test

import (
	"fmt"
	"os"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/gameday/gameday/reports"
)

// openPTY returns the terminal side of a fresh pseudo-terminal, so the TTY
// detection is tested against a real terminal.
func openPTY() (*os.File, error) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open ptmx: %w", err)
	}
	DeferCleanup(ptmx.Close)
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		return nil, fmt.Errorf("pty number: %w", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open pts: %w", err)
	}
	DeferCleanup(tty.Close)
	return tty, nil
}

var _ = Describe("DetectConsole on a terminal", func() {
	var tty *os.File
	BeforeEach(func() {
		var err error
		tty, err = openPTY()
		Expect(err).NotTo(HaveOccurred())
		Expect(unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})).To(Succeed())
	})

	It("goes live and colourful on a watched terminal", func() {
		Expect(reports.DetectConsole(tty, env(nil))).To(Equal(reports.ConsoleOptions{Live: true, Color: true}))
	})

	It("prints coloured plain lines on a terminal without a size, where live lines cannot be drawn", func() {
		Expect(unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{})).To(Succeed())
		Expect(reports.DetectConsole(tty, env(nil))).To(Equal(reports.ConsoleOptions{Color: true}))
	})

	DescribeTable("stays plain or colourless when told",
		func(vars map[string]string, want reports.ConsoleOptions) {
			Expect(reports.DetectConsole(tty, env(vars))).To(Equal(want))
		},
		Entry("CI=true", map[string]string{"CI": "true"}, reports.ConsoleOptions{}),
		Entry("CI=1", map[string]string{"CI": "1"}, reports.ConsoleOptions{}),
		Entry("CI=false", map[string]string{"CI": "false"}, reports.ConsoleOptions{Live: true, Color: true}),
		Entry("TERM=dumb", map[string]string{"TERM": "dumb"}, reports.ConsoleOptions{}),
		Entry("NO_COLOR", map[string]string{"NO_COLOR": "1"}, reports.ConsoleOptions{Live: true}),
	)
})
