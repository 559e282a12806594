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
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// orphansClient double-forks a daemon that calls setsid and closes its
// stdio, so neither the workload's process group nor its log pipe leads
// to it; with ORPHANS_CLEAN_ENV=1 it also drops its whole environment
// (env -i), gameday's marker included. The daemon is `sleep $ORPHANS_TAG`,
// the tag unique per spec. The workload goes on once the daemon is up
// (it touched $ORPHANS_FLAG), then does $ORPHANS_THEN.
const orphansClient = `#!/bin/sh
if [ "$ORPHANS_CLEAN_ENV" = 1 ]; then
  (setsid /usr/bin/env -i /bin/sh -c "touch '$ORPHANS_FLAG'; exec /bin/sleep $ORPHANS_TAG" </dev/null >/dev/null 2>&1 &)
else
  (setsid /bin/sh -c 'touch "$ORPHANS_FLAG"; exec /bin/sleep "$ORPHANS_TAG"' </dev/null >/dev/null 2>&1 &)
fi
while [ ! -e "$ORPHANS_FLAG" ]; do sleep 0.01; done
curl -s "$GAMEDAY_FEATURE_API_URL/v1/schema" >/dev/null
eval "$ORPHANS_THEN"
`

const orphansScenario = `name: orphan-daemon
seed: 1
timeout: 1m
targets:
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["sh", "orphans-client.sh"]
  env: {ORPHANS_TAG: "%s", ORPHANS_FLAG: %q, ORPHANS_CLEAN_ENV: "%s", ORPHANS_THEN: %q}
  timeout: %s
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
// setsid daemon tagged tag (without any environment when cleanEnv) and
// then runs then; flag exists once the daemon is up.
func orphansRun(tag string, cleanEnv bool, then, timeout string) (s *gexec.Session, env []string, flag string) {
	dir := GinkgoT().TempDir()
	flag = filepath.Join(dir, "daemon-up")
	clean := "0"
	if cleanEnv {
		clean = "1"
	}
	Expect(os.WriteFile(filepath.Join(dir, "orphans-client.sh"), []byte(orphansClient), 0o755)).To(Succeed())
	file := filepath.Join(dir, "orphan.yaml")
	Expect(os.WriteFile(file, []byte(fmt.Sprintf(orphansScenario, tag, flag, clean, then, timeout)), 0o644)).To(Succeed())
	env = append(os.Environ(), "TMPDIR="+dir, "GAMEDAY_STATE_HOME="+filepath.Join(dir, "state"))
	cmd := exec.Command(gamedayBin, "run", "--backend", "process", "--out", filepath.Join(dir, "out"), file)
	cmd.Dir, cmd.Env = root, env
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second); orphansKill(tag) })
	return s, env, flag
}

var _ = Describe("no orphans", func() {
	var tag string
	BeforeEach(func() {
		// A unique, valid duration for sleep: 3000 s and some.
		tag = fmt.Sprintf("3%03d.%06d", rand.IntN(1000), rand.IntN(1_000_000))
	})

	// daemonUp finds the daemon itself (its sleep names the tag), not the
	// workload's shell, whose environment names it too: a spec that kills
	// gameday run must not do so before the daemon exists.
	daemonUp := func() []string {
		var up []string
		for _, p := range orphansFind(tag) {
			if strings.Contains(p, "sleep "+tag) {
				up = append(up, p)
			}
		}
		return up
	}

	for _, cleanEnv := range []bool{false, true} {
		daemon := "a setsid daemon with closed stdio"
		if cleanEnv {
			daemon += " and no environment (env -i)"
		}
		Context(daemon, func() {
			It("is killed when the workload ends normally", func() {
				s, _, flag := orphansRun(tag, cleanEnv, "exit 0", "30s")
				Eventually(s, time.Minute).Should(gexec.Exit(0))
				Expect(flag).To(BeAnExistingFile(), "the daemon started")
				Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
			})

			It("is killed when the workload passes its timeout", func() {
				s, _, _ := orphansRun(tag, cleanEnv, "exec sleep 60", "2s")
				Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
				Eventually(s, time.Minute).Should(gexec.Exit(1))
				Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
			})

			DescribeTable("is killed when gameday run is interrupted",
				func(sig syscall.Signal) {
					s, _, _ := orphansRun(tag, cleanEnv, "exec sleep 60", "50s")
					Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
					s.Signal(sig)
					Eventually(s, time.Minute).Should(gexec.Exit(3))
					Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday run")
				},
				Entry("SIGTERM", syscall.SIGTERM),
				Entry("SIGINT (Ctrl-C)", syscall.SIGINT),
			)
		})
	}

	// After a kill -9 nothing of gameday is left to adopt the daemon: only
	// the marker in its environment leads to it.
	It("kills a setsid daemon with closed stdio in gameday clean after gameday run was killed with SIGKILL", func() {
		s, env, _ := orphansRun(tag, false, "exec sleep 60", "50s")
		Eventually(daemonUp, 30*time.Second).ShouldNot(BeEmpty())
		s.Kill()
		Eventually(s, 10*time.Second).Should(gexec.Exit())
		Expect(orphansFind(tag)).NotTo(BeEmpty(), "the daemon survived the kill -9")

		cmd := exec.Command(gamedayBin, "clean")
		cmd.Env = env
		c, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(c, time.Minute).Should(gexec.Exit(0))
		Expect(c.Out).To(gbytes.Say(`removed run \S+: process \d+ \(workload\)`))
		Expect(orphansFind(tag)).To(BeEmpty(), "the daemon outlived gameday clean")
	})
})
