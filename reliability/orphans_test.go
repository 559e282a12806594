package reliability_test

import (
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
	"github.com/onsi/gomega/gexec"
)

// orphansScenario is a workload that double-forks a daemon which calls
// setsid and closes its stdio, so neither the workload's process group nor
// its log pipe leads to it. The daemon is `sleep <tag>`, the tag unique per
// spec; ORPHANS_TAG in its environment says the same. %s is what the
// workload does after starting the daemon, %s the workload's timeout.
const orphansScenario = `name: orphan-daemon
seed: 1
timeout: 1m
targets:
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["sh", "-c", "(setsid sh -c 'exec sleep %[1]s' </dev/null >/dev/null 2>&1 &); curl -s $GAMEDAY_FEATURE_API_URL/v1/schema; %[2]s"]
  env: {ORPHANS_TAG: "%[1]s"}
  timeout: %[3]s
expect:
  outcome: success
`

// orphansFind lists the live (not zombie) processes whose command line or
// environment carries tag.
func orphansFind(tag string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, d := range dirs {
		if d == fmt.Sprintf("/proc/%d", os.Getpid()) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(stat), ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
			continue
		}
		cl, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		if strings.Contains(string(cl), tag) || strings.Contains(string(env), "ORPHANS_TAG="+tag) {
			out = append(out, d+": "+strings.ReplaceAll(string(cl), "\x00", " "))
		}
	}
	return out
}

// orphansKill kills what a failed spec left behind.
func orphansKill(tag string) {
	for _, p := range orphansFind(tag) {
		if pid, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(p, ":", 2)[0], "/proc/")); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// orphansRun starts `gameday run` on a scenario whose workload leaves a
// setsid daemon tagged tag and then runs then.
func orphansRun(tag, then, timeout string) (s *gexec.Session, env []string) {
	dir := GinkgoT().TempDir()
	file := filepath.Join(dir, "orphan.yaml")
	Expect(os.WriteFile(file, []byte(fmt.Sprintf(orphansScenario, tag, then, timeout)), 0o644)).To(Succeed())
	env = append(os.Environ(), "TMPDIR="+dir, "GAMEDAY_STATE_HOME="+filepath.Join(dir, "state"))
	cmd := exec.Command(gamedayBin, "run", "--backend", "process", "--out", filepath.Join(dir, "out"), file)
	cmd.Dir, cmd.Env = root, env
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second); orphansKill(tag) })
	return s, env
}

var _ = Describe("no orphans", func() {
	var tag string
	BeforeEach(func() {
		// A unique, valid duration for sleep: 3000 s and some.
		tag = fmt.Sprintf("3%03d.%06d", rand.IntN(1000), rand.IntN(1_000_000))
	})

	daemonUp := func() []string { return orphansFind(tag) }

	It("kills a setsid daemon with closed stdio when the workload ends normally", func() {
		s, _ := orphansRun(tag, "exit 0", "30s")
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
	})

	It("kills it when the workload passes its timeout", func() {
		s, _ := orphansRun(tag, "exec sleep 60", "2s")
		Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
		Eventually(s, time.Minute).Should(gexec.Exit(1))
		Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
	})

	DescribeTable("kills it when gameday run is interrupted",
		func(sig syscall.Signal) {
			s, _ := orphansRun(tag, "exec sleep 60", "50s")
			Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
			s.Signal(sig)
			Eventually(s, time.Minute).Should(gexec.Exit(3))
			Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
		},
		Entry("SIGTERM", syscall.SIGTERM),
		Entry("SIGINT (Ctrl-C)", syscall.SIGINT),
	)

	It("kills it in gameday clean after gameday run was killed with SIGKILL", func() {
		s, env := orphansRun(tag, "exec sleep 60", "50s")
		Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
		s.Kill()
		Eventually(s, 10*time.Second).Should(gexec.Exit())

		cmd := exec.Command(gamedayBin, "clean")
		cmd.Env = env
		c, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(c, time.Minute).Should(gexec.Exit(0))
		Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday clean")
	})
})
