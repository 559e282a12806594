package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/reports"
)

// hideDocker is the shell run in a private mount namespace before gameday:
// it covers every daemon socket testcontainers-go probes (the default
// /var/run/docker.sock and the rootless /run/user/UID/docker.sock) with
// /dev/null, and drops the variables that name another endpoint. HOME (and
// with it ~/.testcontainers.properties, ~/.docker/run/docker.sock and
// ~/.docker/desktop/docker.sock) is an empty folder, set by the caller. The
// shared daemon keeps running for everyone else; only this process tree
// cannot reach it.
const hideDocker = `set -e
for s in /var/run/docker.sock /run/docker.sock "/run/user/$(id -u)/docker.sock"; do
	if [ -S "$s" ]; then mount --bind /dev/null "$s"; fi
done
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CERT_PATH DOCKER_TLS_VERIFY XDG_RUNTIME_DIR \
	TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE TESTCONTAINERS_PROVIDER
exec "$0" "$@"`

// requireUnshare skips where a private mount namespace cannot be made (no
// unshare, not root), except in CI, where that is a failure.
func requireUnshare() {
	why := ""
	if _, err := exec.LookPath("unshare"); err != nil {
		why = "unshare is missing (util-linux)"
	} else if os.Geteuid() != 0 {
		why = "hiding the docker socket needs root (a private mount namespace)"
	} else if out, err := exec.Command("unshare", "--mount", "--propagation", "private",
		"sh", "-c", "mount --bind /dev/null /dev/null").CombinedOutput(); err != nil {
		why = fmt.Sprintf("no private mount namespace here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		Fail("CI=true and " + why)
	}
	Skip(why)
}

// noDaemon is a gameday run that no Docker daemon answers: its command,
// TMPDIR, state home and the pattern matching its processes (see gameday).
type noDaemon struct {
	s     *gexec.Session
	tmp   string
	state string
	mine  string
}

// gamedayNoDaemon starts `gameday args...` like gameday, but in a private
// mount namespace where the docker socket is hidden (hideDocker). unshare
// and sh exec in turn, so the session's pid is gameday's.
func gamedayNoDaemon(args ...string) noDaemon {
	dir := GinkgoT().TempDir()
	r := noDaemon{tmp: filepath.Join(dir, "tmp"), state: filepath.Join(dir, "state")}
	home := filepath.Join(dir, "home")
	for _, d := range []string{r.tmp, r.state, home} {
		Expect(os.MkdirAll(d, 0o755)).To(Succeed())
	}
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private",
		"sh", "-c", hideDocker, gamedayBin}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+r.tmp, "HOME="+home, "GAMEDAY_STATE_HOME="+r.state)
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
	r.s = s
	r.mine = regexp.QuoteMeta(r.tmp) + `/gameday-`
	return r
}

// containersOwnedBy lists the containers whose owner label names pid, as
// the daemon outside the namespace sees them; nil where no daemon answers.
func containersOwnedBy(pid int) []string {
	ps, err := exec.Command("docker", "ps", "-a", "--filter", "label="+lifecycle.LabelOwner,
		"--format", `{{.ID}} {{.Label "`+lifecycle.LabelOwner+`"}}`).Output()
	if err != nil {
		return nil
	}
	var mine []string
	for _, line := range strings.Split(strings.TrimSpace(string(ps)), "\n") {
		if _, o, ok := strings.Cut(line, " "); ok && strings.HasPrefix(o, fmt.Sprintf("%d:", pid)) {
			mine = append(mine, line)
		}
	}
	return mine
}

// fixLine matches the one line an explicit docker backend without a daemon
// gives: the problem, then the fix.
var fixLine = regexp.MustCompile("^gameday: .*docker backend unavailable: no daemon answers; " +
	"run `scripts/docker-setup.sh` and `make images`, or use `--backend process`$")

// expectStartedNothing asserts the run left no process, no container, no
// run folder and no state record behind.
func (r noDaemon) expectStartedNothing() {
	Expect(leftovers(r.mine)).To(BeEmpty())
	Expect(containersOwnedBy(r.s.Command.Process.Pid)).To(BeEmpty())
	Expect(os.ReadDir(r.tmp)).To(BeEmpty(), "no run folder")
	runs, _ := os.ReadDir(filepath.Join(r.state, "runs"))
	Expect(runs).To(BeEmpty(), "no state record")
}

var _ = Describe("no docker daemon", Label("docker"), func() {
	const cheap = "scenarios/library/auth-401-fail-fast.yaml"

	BeforeEach(requireUnshare)

	It("run --backend docker exits 3 with one line naming the fix, and starts nothing", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		r := gamedayNoDaemon("run", "--backend", "docker", "--out", out, cheap)
		Eventually(r.s, time.Minute).Should(gexec.Exit(3))
		stderr := strings.TrimRight(string(r.s.Err.Contents()), "\n")
		Expect(strings.Split(stderr, "\n")).To(HaveLen(1), "one line: %q", stderr)
		Expect(stderr).To(MatchRegexp(fixLine.String()))
		fmt.Fprintf(GinkgoWriter, "stderr: %s\n", stderr)
		r.expectStartedNothing()

		// The report records the error and its fix, and nothing ran: only
		// the documented files, and no target or workload log.
		rep := readReport(out)
		Expect(rep.Backend).To(Equal(lifecycle.BackendDocker))
		sc := scenario(rep, "auth-401-fail-fast")
		Expect(sc.Error).To(ContainSubstring("no daemon answers"))
		Expect(sc.Fix()).To(Equal("run `scripts/docker-setup.sh` and `make images`, or use `--backend process`"))
		var files []string
		Expect(filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				files = append(files, rel)
			}
			return err
		})).To(Succeed())
		Expect(files).To(ConsistOf(reports.JSONFile, "junit.xml", "summary.md", reports.HTMLFile, "auth-401-fail-fast/journal.jsonl"))
	})

	It("up --backend docker exits 3 with one line naming the fix, and starts nothing", func() {
		r := gamedayNoDaemon("up", "--backend", "docker", "--for", "1m", cheap)
		Eventually(r.s, time.Minute).Should(gexec.Exit(3))
		stderr := strings.TrimRight(string(r.s.Err.Contents()), "\n")
		Expect(strings.Split(stderr, "\n")).To(HaveLen(1), "one line: %q", stderr)
		Expect(stderr).To(MatchRegexp(fixLine.String()))
		Expect(string(r.s.Out.Contents())).NotTo(ContainSubstring("gameday up:"), "nothing came up")
		r.expectStartedNothing()
	})

	It("auto falls back to process, says so, and passes", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		r := gamedayNoDaemon("run", "--backend", "auto", "--out", out, cheap)
		Eventually(r.s, 2*time.Minute).Should(gexec.Exit(0))
		Expect(r.s.Err.Contents()).To(BeEmpty())
		rep := readReport(out)
		Expect(rep.Backend).To(Equal(lifecycle.BackendProcess))
		Expect(scenario(rep, "auth-401-fail-fast").Passed).To(BeTrue())
		Expect(leftovers(r.mine)).To(BeEmpty())

		// `up` prints the backend it chose.
		u := gamedayNoDaemon("up", "--backend", "auto", "--for", "1s", "--out", filepath.Join(GinkgoT().TempDir(), "out"), cheap)
		Eventually(u.s, time.Minute).Should(gexec.Exit(0))
		Expect(string(u.s.Out.Contents())).To(MatchRegexp(`gameday up: scenario auth-401-fail-fast, seed \d+, backend process,`))
		Expect(leftovers(u.mine)).To(BeEmpty())
	})
})
