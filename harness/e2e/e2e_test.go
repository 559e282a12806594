package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/reports"
)

// gameday starts `gameday args...` in the module root, with extra env and a
// TMPDIR of its own. It returns the session and a pattern matching that
// TMPDIR: every run folder of this invocation lies under it, so every target's
// command line and every workload's environment (GAMEDAY_STATE_DIR) contains
// it, and other gameday runs on the machine never match it.
func gameday(env []string, args ...string) (*gexec.Session, string) {
	tmp := filepath.Join(GinkgoT().TempDir(), "tmp")
	Expect(os.MkdirAll(tmp, 0o755)).To(Succeed())
	cmd := exec.Command(gamedayBin, args...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp), env...)
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
	return s, regexp.QuoteMeta(tmp) + `/gameday-`
}

func readReport(out string) *reports.Result {
	r, err := reports.ReadFile(filepath.Join(out, reports.JSONFile))
	Expect(err).NotTo(HaveOccurred())
	return r
}

func scenario(r *reports.Result, name string) reports.Scenario {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	Fail("no scenario " + name + " in the report")
	return reports.Scenario{}
}

// leftovers lists live processes whose command line or environment matches
// any of the patterns (regular expressions).
func leftovers(patterns ...string) []string {
	var res []*regexp.Regexp
	for _, p := range patterns {
		res = append(res, regexp.MustCompile(p))
	}
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := fmt.Sprintf("/proc/%d", os.Getpid())
	for _, d := range dirs {
		if d == self {
			continue
		}
		cl, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cl) == 0 { // gone, or a zombie
			continue
		}
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		text := string(bytes.ReplaceAll(append(append(cl, ' '), env...), []byte{0}, []byte{' '}))
		for _, re := range res {
			if re.MatchString(text) {
				out = append(out, d+": "+string(bytes.ReplaceAll(cl, []byte{0}, []byte{' '})))
				break
			}
		}
	}
	return out
}

func libraryNames() []string {
	files, _ := filepath.Glob(filepath.Join(root, "scenarios", "library", "*.yaml"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return names
}

// runLibrary runs the library on backend, asserts every expectation held and
// nothing was left running, and returns the pid of the gameday process.
func runLibrary(backend string) int {
	out := filepath.Join(GinkgoT().TempDir(), "out")
	start := time.Now()
	s, mine := gameday(nil, "run", "--backend", backend, "--parallel", "2", "--out", out, "scenarios/library")
	Eventually(s, 5*time.Minute).Should(gexec.Exit())
	wall := time.Since(start)
	AddReportEntry("library wall time ("+backend+")", wall.Round(time.Millisecond).String())
	fmt.Fprintf(GinkgoWriter, "library on %s: %s\n", backend, wall)
	r := readReport(out)
	for _, sc := range r.Scenarios {
		for _, e := range sc.Expectations {
			Expect(e.Passed).To(BeTrue(), "%s: %s", sc.Name, e.Message)
		}
		Expect(sc.Error).To(BeEmpty(), sc.Name)
	}
	Expect(s.ExitCode()).To(Equal(0))
	Expect(r.Backend).To(Equal(backend))
	Expect(r.Scenarios).To(HaveLen(len(libraryNames())))
	Expect(r.Summary.Passed).To(Equal(len(r.Scenarios)))
	for _, f := range []string{"report.json", "junit.xml", "summary.md"} {
		Expect(filepath.Join(out, f)).To(BeAnExistingFile())
	}
	for _, sc := range r.Scenarios {
		Expect(filepath.Join(out, sc.Name, "journal.jsonl")).To(BeAnExistingFile())
		Expect(filepath.Join(out, sc.Name, "workload-run1-attempt0.log")).To(BeAnExistingFile())
	}
	Expect(leftovers(mine)).To(BeEmpty())

	// report.html in a real browser: the timeline of three-failures-page
	// shows its 3 runs, the 15 injected 503s (5 attempts a run) and the page.
	const tl = "#s-three-failures-page "
	load := checkHTMLReport(out, "library-"+backend, tl+`[data-kind="run"]`, tl+`[data-kind="injected"]`, tl+`[data-kind="alert-page"]`)
	Expect(load.Counts).To(Equal(map[string]int{tl + `[data-kind="run"]`: 3, tl + `[data-kind="injected"]`: 15, tl + `[data-kind="alert-page"]`: 1}))
	return s.Command.Process.Pid
}

var _ = Describe("gameday run", func() {
	It("passes the whole library on the process backend", func() {
		runLibrary(lifecycle.BackendProcess)
	})

	It("passes the whole library on the docker backend", Label("docker"), func() {
		if err := exec.Command("docker", "info").Run(); err != nil {
			if os.Getenv("CI") == "true" {
				Fail("CI=true and no Docker daemon answers: run scripts/docker-setup.sh")
			}
			Skip("no Docker daemon")
		}
		for _, img := range []string{lifecycle.MinIOImage(), lifecycle.GamedayImage()} {
			if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
				if os.Getenv("CI") == "true" {
					Fail("CI=true and image " + img + " is missing: run make images")
				}
				Skip("image " + img + " missing: run make images")
			}
		}
		pid := runLibrary(lifecycle.BackendDocker)
		// Containers this gameday process started carry its pid in their
		// owner label; all of them must be gone.
		owner := fmt.Sprintf("%d:", pid)
		Eventually(func() []string {
			ps, err := exec.Command("docker", "ps", "-a", "--filter", "label="+lifecycle.LabelOwner,
				"--format", `{{.ID}} {{.Label "`+lifecycle.LabelOwner+`"}}`).Output()
			Expect(err).NotTo(HaveOccurred())
			var left []string
			for _, line := range strings.Split(strings.TrimSpace(string(ps)), "\n") {
				if _, o, ok := strings.Cut(line, " "); ok && strings.HasPrefix(o, owner) {
					left = append(left, line)
				}
			}
			return left
		}, 30*time.Second).Should(BeEmpty())
	})

	Describe("the negative set", Ordered, func() {
		var r *reports.Result
		BeforeAll(func() {
			requireClients()
			out := filepath.Join(GinkgoT().TempDir(), "out")
			s, mine := gameday(nil, "run", "--backend", "process", "--parallel", "2", "--out", out, "scenarios/negative")
			Eventually(s, 4*time.Minute).Should(gexec.Exit(1))
			r = readReport(out)
			Expect(r.Scenarios).To(HaveLen(13))
			Expect(leftovers(mine)).To(BeEmpty())
			checkHTMLReport(out, "negative")
		})
		DescribeTable("fails exactly the intended expectations and holds the others",
			func(name string, failing ...string) {
				sc := scenario(r, name)
				Expect(sc.Error).To(BeEmpty())
				Expect(sc.Passed).To(BeFalse())
				var got []string
				held := 0
				for _, e := range sc.Expectations {
					if e.Passed {
						held++
						continue
					}
					got = append(got, e.Name)
					Expect(e.Message).To(HavePrefix(e.Name+":"), "the message names the expectation")
					Expect(e.Inconclusive).To(BeFalse(), "a conclusive failure: %s", e.Message)
				}
				Expect(got).To(Equal(failing))
				Expect(held).To(BeNumerically(">=", 2), "the other expectations held")
			},
			Entry(nil, "neg-auth-401-retried", "retries_after[0]"),
			Entry(nil, "neg-pages-on-first-transient", "pages"),
			Entry(nil, "neg-timestamped-model-crash", "artifacts"),
			Entry(nil, "neg-ignores-retry-after", "retry_after_honored"),
			Entry(nil, "neg-fixed-retry-delay", "backoff.jitter"),
			Entry(nil, "neg-no-jitter-policy", "backoff.jitter"),
			Entry(nil, "neg-no-jitter-exponential", "backoff.jitter"),
			Entry(nil, "neg-app-loop-401", "retries_after[0]", "attempts_per_operation"),
			Entry(nil, "neg-nested-retries", "attempts_per_operation"),
			Entry(nil, "neg-fault-never-reached", "faults_fired"),
			Entry(nil, "neg-rclone-nested-retries", "attempts_per_operation"),
			Entry(nil, "neg-s3cmd-get-no-retry", "outcome", "attempts_per_operation"),
			Entry(nil, "neg-requests-no-jitter", "backoff.jitter"),
		)

		It("names the layers of a retry chain and the silent fault in words a user can act on", func() {
			msg := func(sc, exp string) string {
				for _, e := range scenario(r, sc).Expectations {
					if e.Name == exp {
						return e.Message
					}
				}
				return ""
			}
			Expect(msg("neg-app-loop-401", "retries_after[0]")).To(ContainSubstring("5 attempts in 5 calls (an application-level retry loop)"))
			Expect(msg("neg-app-loop-401", "attempts_per_operation")).To(ContainSubstring("application-level"))
			Expect(msg("neg-nested-retries", "attempts_per_operation")).To(ContainSubstring("9 attempts: 3 calls × 3 attempts (nested retries)"))
			Expect(msg("neg-fault-never-reached", "faults_fired")).To(MatchRegexp(`one-503 never injected \(storage saw 0 requests — did the workload start\? see .*neg-fault-never-reached/workload-run1-attempt0\.log\)`))
			Expect(msg("neg-no-jitter-exponential", "backoff.jitter")).To(ContainSubstring("deterministic schedule"))
			Expect(msg("neg-no-jitter-exponential", "backoff.jitter")).NotTo(ContainSubstring("inconclusive"))
			Expect(msg("neg-s3cmd-get-no-retry", "attempts_per_operation")).To(ContainSubstring("(storage GET /features/day/part-0.bin: 1 attempt"), "the operation the fault hit, not the HEAD before it")
		})
	})

	It("passes the real-client scenarios (boto3 legacy and standard, awscli, curl --retry, s3cmd, python3-requests)", func() {
		requireClients()
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--parallel", "2", "--out", out, "scenarios/clients")
		Eventually(s, 4*time.Minute).Should(gexec.Exit())
		r := readReport(out)
		Expect(r.Scenarios).To(HaveLen(8))
		for _, sc := range r.Scenarios {
			Expect(sc.Error).To(BeEmpty(), sc.Name)
			for _, e := range sc.Expectations {
				Expect(e.Passed).To(BeTrue(), "%s: %s", sc.Name, e.Message)
			}
		}
		Expect(s.ExitCode()).To(Equal(0))
		Expect(leftovers(mine)).To(BeEmpty())
	})

	It("tears everything down on Ctrl-C and writes a partial report", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		// -v: without a terminal, phase lines are printed as they happen
		// only with it.
		s, mine := gameday(nil, "run", "--backend", "process", "-v", "--out", out, "harness/e2e/testdata/ctrl-c.yaml")
		Eventually(s.Out, time.Minute).Should(gbytes.Say(`ctrl-c-probe: run 1/1`))
		Eventually(func() []string { return leftovers(`sleep 37\.25`) }, 10*time.Second).ShouldNot(BeEmpty())
		// The pattern the teardown check uses does see the live targets.
		Expect(len(leftovers(mine))).To(BeNumerically(">=", 3), "stub, minio and the workload")
		s.Interrupt()
		Eventually(s, time.Minute).Should(gexec.Exit(3))
		r := readReport(out)
		sc := scenario(r, "ctrl-c-probe")
		Expect(sc.Error).To(ContainSubstring("interrupted"))
		Expect(sc.Passed).To(BeFalse())
		Expect(filepath.Join(out, "ctrl-c-probe", "journal.jsonl")).To(BeAnExistingFile())
		Expect(leftovers(mine, `sleep 37\.25`)).To(BeEmpty())
	})

	It("fails the timeout expectation of a scenario past its timeout (exit 1)", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--out", out, "harness/e2e/testdata/scenario-timeout.yaml")
		Eventually(s, time.Minute).Should(gexec.Exit(1))
		sc := scenario(readReport(out), "scenario-timeout-probe")
		Expect(sc.Error).To(BeEmpty())
		var failing []string
		for _, e := range sc.Expectations {
			if !e.Passed {
				failing = append(failing, e.Name)
			}
		}
		Expect(failing).To(Equal([]string{"timeout"}))
		Expect(leftovers(mine, `sleep 41\.75`)).To(BeEmpty())
	})

	It("exits 2 on bad input before anything starts", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "run", "--backend", "process", "--out", out, "harness/e2e/testdata/bad.yaml", "scenarios/library")
		Eventually(s, 30*time.Second).Should(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(MatchRegexp(`bad\.yaml:\d+:\d+: .*probabilty`))
		Expect(out).NotTo(BeADirectory(), "nothing ran, nothing was written")
		Expect(leftovers(mine)).To(BeEmpty())

		s, _ = gameday(nil, "run", "--backend", "nowhere", "scenarios/library")
		Eventually(s, 30*time.Second).Should(gexec.Exit(2))
	})

	It("exits 3 when a target cannot start, leaving nothing behind", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday([]string{"GAMEDAY_MINIO_BIN=/nonexistent/minio"}, "run", "--backend", "process", "--out", out, "harness/e2e/testdata/unstartable.yaml")
		Eventually(s, time.Minute).Should(gexec.Exit(3))
		sc := scenario(readReport(out), "unstartable-probe")
		Expect(sc.Error).To(ContainSubstring("start target storage"))
		// An infrastructure error gets its error and fix, never a replay.
		Expect(sc.Replayable()).To(BeFalse())
		Expect(string(s.Out.Contents())).To(ContainSubstring("fix: run `make bin/minio`"))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("Replay"))
		Expect(string(s.Out.Contents())).To(ContainSubstring("unstartable-probe: ERROR"))
		md, err := os.ReadFile(filepath.Join(out, reports.MarkdownFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).NotTo(ContainSubstring("gameday run --seed"))
		Expect(leftovers(mine)).To(BeEmpty())
	})

	It("replays the same injected faults and verdicts with the same seed", func() {
		type trace struct {
			injected []string
			verdicts []string
		}
		runSeed := func(seed string) trace {
			out := filepath.Join(GinkgoT().TempDir(), "out")
			s, _ := gameday(nil, "run", "--backend", "process", "--seed", seed, "--out", out, "harness/e2e/testdata/seeded.yaml")
			Eventually(s, time.Minute).Should(gexec.Exit(0))
			f, err := os.Open(filepath.Join(out, "seeded-probe", "journal.jsonl"))
			Expect(err).NotTo(HaveOccurred())
			defer f.Close()
			js, err := observe.ReadJournal(f)
			Expect(err).NotTo(HaveOccurred())
			Expect(js).To(HaveLen(30))
			var t trace
			for _, e := range js {
				t.injected = append(t.injected, e.Path+"="+e.Fault)
			}
			sc := scenario(readReport(out), "seeded-probe")
			Expect(sc.Seed).To(Equal(mustInt(seed)))
			for _, e := range sc.Expectations {
				if e.Name != "timeout" {
					t.verdicts = append(t.verdicts, fmt.Sprintf("%s %v %s", e.Name, e.Passed, e.Got))
				}
			}
			return t
		}
		a, b, c := runSeed("42"), runSeed("42"), runSeed("43")
		Expect(b).To(Equal(a))
		Expect(c.injected).NotTo(Equal(a.injected))
	})

	It("writes no credential into any file under --out", func() {
		dir := GinkgoT().TempDir()
		leak := filepath.Join(dir, "creds")
		src, err := os.ReadFile(filepath.Join(root, "harness/e2e/testdata/leak-client.sh"))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "leak-client.sh"), src, 0o755)).To(Succeed())
		sc := fmt.Sprintf(`name: leak-probe
seed: 3
targets:
  storage:
    kind: minio
    buckets: [models]
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: "/v1/*", json: {ok: true}}
workload:
  exec: ["sh", "leak-client.sh"]
  env: {LEAK_FILE: %q}
expect:
  outcome: success
`, leak)
		Expect(os.WriteFile(filepath.Join(dir, "leak.yaml"), []byte(sc), 0o644)).To(Succeed())
		out := filepath.Join(dir, "out")
		s, _ := gameday(nil, "run", "--backend", "process", "--out", out, filepath.Join(dir, "leak.yaml"))
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		b, err := os.ReadFile(leak)
		Expect(err).NotTo(HaveOccurred())
		secrets := strings.Fields(string(b))
		Expect(secrets).To(HaveLen(2))
		var files []string
		Expect(filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				files = append(files, p)
			}
			return err
		})).To(Succeed())
		sort.Strings(files)
		Expect(files).To(ContainElement(HaveSuffix("workload-run1-attempt0.log")))
		for _, f := range files {
			body, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			for _, sec := range secrets {
				Expect(string(body)).NotTo(ContainSubstring(sec), "credential in %s", f)
			}
		}
		log, _ := os.ReadFile(filepath.Join(out, "leak-probe", "workload-run1-attempt0.log"))
		Expect(string(log)).To(ContainSubstring("secret=***"), "the workload's output is kept, redacted")
		Expect(string(s.Out.Contents()) + string(s.Err.Contents())).NotTo(ContainSubstring(secrets[1]))
	})
})

func mustInt(s string) int64 {
	var n int64
	_, err := fmt.Sscan(s, &n)
	Expect(err).NotTo(HaveOccurred())
	return n
}
