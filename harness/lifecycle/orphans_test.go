package lifecycle_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
)

var _ = Describe("run markers", func() {
	It("round-trips a marker", func() {
		m := lifecycle.Marker{RunID: "20260101T000000-storage-503-a1b2c3", Part: "workload",
			Owner: lifecycle.ProcessRecord{PID: 42, Start: 12345}}
		got, ok := lifecycle.ParseMarker(m.String())
		Expect(ok).To(BeTrue())
		Expect(got).To(Equal(m))
		for _, bad := range []string{"", "run", "run/part", "run/part@x:1", "/part@1:2", "run/@1:2"} {
			_, ok := lifecycle.ParseMarker(bad)
			Expect(ok).To(BeFalse(), bad)
		}
	})

	// sleepers lists the live sleep processes whose command line holds
	// tag (not the shells whose script holds it).
	sleepers := func(tag string) []int {
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		var out []int
		for _, d := range dirs {
			cl, err := os.ReadFile(filepath.Join(d, "cmdline"))
			stat, _ := os.ReadFile(filepath.Join(d, "stat"))
			if err != nil || !strings.Contains(string(cl), tag) || !strings.Contains(string(stat), "(sleep) ") ||
				strings.Contains(string(stat), ") Z ") {
				continue
			}
			pid, _ := strconv.Atoi(filepath.Base(d))
			out = append(out, pid)
		}
		return out
	}

	It("sweeps a run's marked processes and their descendants, setsid and env -i included, and nothing else", func() {
		tag := fmt.Sprintf("3%03d.%06d", rand.IntN(1000), rand.IntN(1_000_000))
		other := fmt.Sprintf("3%03d.%06d", rand.IntN(1000), rand.IntN(1_000_000))
		runID := "sweep-probe-" + tag
		marker := lifecycle.MarkerEnv + "=" + lifecycle.Marker{RunID: runID, Part: "workload",
			Owner: lifecycle.ProcessRecord{PID: os.Getpid(), Start: 1}}.String()
		// A marked shell that leaves a setsid daemon with closed stdio and
		// one that also drops its environment, then waits.
		script := fmt.Sprintf(`(setsid sleep %[1]s </dev/null >/dev/null 2>&1 &)
(setsid /usr/bin/env -i /bin/sleep %[1]s </dev/null >/dev/null 2>&1 &)
exec sleep %[1]s`, tag)
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(os.Environ(), marker)
		Expect(cmd.Start()).To(Succeed())
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		// Another run's process and an unmarked one stay.
		keep := exec.Command("sleep", other)
		keep.Env = append(os.Environ(), lifecycle.MarkerEnv+"="+lifecycle.Marker{RunID: "another-run", Part: "workload",
			Owner: lifecycle.ProcessRecord{PID: os.Getpid(), Start: 1}}.String())
		Expect(keep.Start()).To(Succeed())
		plain := exec.Command("sleep", other)
		Expect(plain.Start()).To(Succeed())
		DeferCleanup(func() {
			_ = keep.Process.Kill()
			_ = plain.Process.Kill()
			_, _ = keep.Process.Wait()
			_, _ = plain.Process.Wait()
			for _, pid := range sleepers(tag) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
		// Three sleeps: the shell itself has exec'd its last line, so both
		// subshells that started the daemons have exited and the daemons
		// are orphans.
		Eventually(func() []int { return sleepers(tag) }, 10*time.Second).Should(HaveLen(3))

		// The env -i daemon is an orphan of init (or of a subreaper), not a
		// descendant any longer: only the marker could lead to it, and it
		// has none. Its parent shell, marked, is gone already.
		swept, err := lifecycle.SweepRun(context.Background(), runID)
		Expect(err).NotTo(HaveOccurred())
		Expect(swept).NotTo(BeEmpty())
		for _, s := range swept {
			Expect(s.Marker.RunID).To(Equal(runID))
		}
		Eventually(waited).Should(BeClosed())
		left := sleepers(tag)
		Expect(left).To(HaveLen(1), "only the daemon without environment is left (the harness's subreaper catches that one)")
		for _, pid := range left {
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			Expect(string(env)).NotTo(ContainSubstring(lifecycle.MarkerEnv))
		}
		Expect(sleepers(other)).To(HaveLen(2), "another run's process and an unmarked one are left alone")
	})

	It("leaves the children of a process that is not a subreaper alone when sweeping adopted orphans", func() {
		tag := fmt.Sprintf("3%03d.%06d", rand.IntN(1000), rand.IntN(1_000_000))
		own := exec.Command("sleep", tag)
		Expect(own.Start()).To(Succeed())
		DeferCleanup(func() { _ = own.Process.Kill(); _, _ = own.Process.Wait() })
		Expect(lifecycle.SweepAdopted(context.Background())).To(Succeed())
		Expect(sleepers(tag)).To(HaveLen(1), "the test binary's own child was killed")
	})
})
