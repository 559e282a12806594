package e2e_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// procStat returns fields 3.. of /proc/<pid>/stat (state first, pgrp
// third), nil when pid is gone.
func procStat(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// groupMembers lists the live (not zombie) processes of process group pgid.
func groupMembers(pgid int) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if f[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}

var _ = Describe("gameday clean after gameday run was killed with SIGKILL", func() {
	It("kills the workload's whole process group, grandchildren included", func() {
		state := filepath.Join(GinkgoT().TempDir(), "state")
		env := []string{"GAMEDAY_STATE_HOME=" + state}
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, _ := gameday(env, "run", "--backend", "process", "--out", out, "harness/e2e/testdata/kill9.yaml")

		// The workload's sh runs sleep as a child, in the workload's group.
		var sleeper []string
		Eventually(func() []string {
			sleeper = leftovers(`^sleep 4131 `)
			return sleeper
		}, time.Minute).Should(HaveLen(1))
		pid, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(sleeper[0], ":", 2)[0], "/proc/"))
		Expect(err).NotTo(HaveOccurred())
		f := procStat(pid)
		Expect(len(f)).To(BeNumerically(">=", 3))
		pgid, err := strconv.Atoi(f[2])
		Expect(err).NotTo(HaveOccurred())
		Expect(pgid).NotTo(Equal(pid), "sleep is a grandchild of the harness, not the group leader")
		DeferCleanup(func() {
			for _, p := range groupMembers(pgid) {
				if p == pid {
					_ = killPID(p)
				}
			}
		})

		// The run record names the workload's group once it has started
		// (a harness killed between the fork and that write leaves only
		// the leader's Pdeathsig to act).
		Eventually(func() string {
			files, _ := filepath.Glob(filepath.Join(state, "runs", "*.json"))
			var all string
			for _, f := range files {
				b, _ := os.ReadFile(f)
				all += string(b)
			}
			return all
		}, 10*time.Second).Should(ContainSubstring(`"pgid": ` + strconv.Itoa(pgid)))

		s.Kill() // SIGKILL: no teardown
		Eventually(s, 10*time.Second).Should(gexec.Exit())

		c, _ := gameday(env, "clean")
		Eventually(c, time.Minute).Should(gexec.Exit(0))
		Eventually(func() []int { return groupMembers(pgid) }, 10*time.Second).Should(BeEmpty(),
			"the workload's process group survived gameday clean")
		Expect(leftovers(`sleep 4131`)).To(BeEmpty())
	})
})

func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
