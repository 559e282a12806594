package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// run is one finished gameday process.
type run struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	// maxRSS is the child's peak resident set, in KiB (Linux rusage).
	maxRSS int64
}

// killAfter bounds every gameday process a spec starts: should a fix
// regress, the spec fails in seconds instead of eating the machine.
const killAfter = 10 * time.Second

// gameday runs the gameday binary with args in dir and waits for it.
func gameday(dir string, args ...string) run {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), killAfter)
	defer cancel()
	cmd := exec.CommandContext(ctx, gamedayBin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		Fail("start gameday: " + err.Error())
	}
	r.code = cmd.ProcessState.ExitCode()
	r.maxRSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	Expect(ctx.Err()).NotTo(HaveOccurred(), "gameday %v was killed after %s; stderr: %s", args, killAfter, r.stderr)
	return r
}

// writeFile writes data to dir/name and returns the path.
func writeFile(dir, name string, data []byte) string {
	GinkgoHelper()
	p := filepath.Join(dir, name)
	Expect(os.WriteFile(p, data, 0o600)).To(Succeed())
	return p
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// rssKiB returns the current resident set of process pid, in KiB.
func rssKiB(pid int) int64 {
	GinkgoHelper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	Expect(err).NotTo(HaveOccurred())
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			Expect(err).NotTo(HaveOccurred())
			return n
		}
	}
	Fail("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
	return 0
}
