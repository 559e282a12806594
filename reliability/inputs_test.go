package reliability_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/scenarios"
)

// Bounds every hostile input must be turned away within.
const (
	quick   = 2 * time.Second
	lowRSS  = 100 << 10 // KiB
	deepest = 100_000
)

// deepValue is a value nested deepest levels, about 200 KB, in flow or
// block style.
func deepValue(style string) string {
	if style == "flow" {
		return strings.Repeat("[", deepest) + strings.Repeat("]", deepest) + "\n"
	}
	return "\n" + strings.Repeat("- ", deepest) + "x\n"
}

// gamedayOn returns the gameday arguments that make each kind of file be
// read.
var gamedayOn = map[string]func(path string) []string{
	"scenario": func(p string) []string { return []string{"validate", p} },
	"policy":   func(p string) []string { return []string{"policy", "check", p} },
	"faults":   func(p string) []string { return []string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", p} },
	"routes":   func(p string) []string { return []string{"stub", "--routes", p} },
}

// expectOneLineExit2 checks a refused input: exit 2, quickly, and one
// stderr line that matches want.
func expectOneLineExit2(r run, want string) {
	GinkgoHelper()
	Expect(r.code).To(Equal(2), "stderr: %s", r.stderr)
	Expect(r.elapsed).To(BeNumerically("<", quick))
	Expect(lines(r.stderr)).To(HaveLen(1), "one line: %q", r.stderr)
	Expect(r.stderr).To(MatchRegexp(want))
	Expect(r.stderr).NotTo(ContainSubstring("panic"))
}

var _ = Describe("hostile input files", func() {
	Describe("nesting 100k levels deep", func() {
		prefix := map[string]string{
			"scenario": "name: deep\nx: ",
			"policy":   "retry:\n  max_attempts: 3\nx: ",
			"faults":   "faults: ",
			"routes":   "routes: ",
		}
		DescribeTable("is refused before the YAML parser, in under 2 s and 100 MB",
			func(kind, style string) {
				dir := GinkgoT().TempDir()
				p := writeFile(dir, kind+".yaml", []byte(prefix[kind]+deepValue(style)))
				r := gameday(dir, gamedayOn[kind](p)...)
				expectOneLineExit2(r, "^(gameday: )?"+regexp.QuoteMeta(p)+`:\d+:\d+: yaml: nested more than 100 levels deep\n$`)
				Expect(r.maxRSS).To(BeNumerically("<", lowRSS), "max RSS %d KiB", r.maxRSS)
			},
			Entry("a flow scenario", "scenario", "flow"),
			Entry("a block scenario", "scenario", "block"),
			Entry("a flow policy", "policy", "flow"),
			Entry("a block policy", "policy", "block"),
			Entry("a flow faults file", "faults", "flow"),
			Entry("a block faults file", "faults", "block"),
			Entry("a flow routes file", "routes", "flow"),
			Entry("a block routes file", "routes", "block"),
		)
	})

	Describe("files that are not regular files", func() {
		// special makes dir/name a file of the given kind and returns the
		// reason gameday gives for refusing it.
		special := func(dir, name, kind string) string {
			GinkgoHelper()
			p := filepath.Join(dir, name)
			switch kind {
			case "device":
				Expect(os.Symlink("/dev/zero", p)).To(Succeed())
				return "is a character device, not a regular file"
			case "fifo":
				Expect(syscall.Mkfifo(p, 0o600)).To(Succeed())
				return "is a FIFO, not a regular file"
			case "directory":
				Expect(os.Mkdir(p, 0o700)).To(Succeed())
				return "is a directory, not a regular file"
			case "dangling":
				Expect(os.Symlink("nowhere.bin", p)).To(Succeed())
				return `is a dangling symbolic link \(to nowhere.bin\)`
			}
			panic(kind)
		}
		kinds := []string{"device", "fifo", "directory", "dangling"}

		for _, kind := range kinds {
			It("refuses a "+kind+" as a scenario, a policy, a faults file or a routes file, naming it", func() {
				for _, consumer := range []string{"scenario", "policy", "faults", "routes"} {
					dir := GinkgoT().TempDir()
					reason := special(dir, "f.yaml", kind)
					p := filepath.Join(dir, "f.yaml")
					if consumer == "scenario" && kind == "directory" {
						reason = "no scenarios in " + regexp.QuoteMeta(p) // a folder of scenarios, empty
					}
					r := gameday(dir, gamedayOn[consumer](p)...)
					expectOneLineExit2(r, "^(gameday: )?"+regexp.QuoteMeta(p)+": "+reason+"\n$")
				}
			})

			It("refuses a "+kind+" as a scenario's workload.policy, at its key", func() {
				dir := GinkgoT().TempDir()
				reason := special(dir, "policy.yaml", kind)
				s := writeFile(dir, "s.yaml", []byte("name: s\ntargets:\n  storage: {kind: minio, buckets: [features]}\nworkload:\n  exec: [\"true\"]\n  policy: policy.yaml\n"))
				r := gameday(dir, "validate", s)
				expectOneLineExit2(r, "^"+regexp.QuoteMeta(s)+`:6:11: workload.policy: "policy.yaml": `+reason+"\n$")
			})

			It("refuses a "+kind+" as a from_file seed, in validate and in run", func() {
				dir := GinkgoT().TempDir()
				reason := special(dir, "seed.bin", kind)
				s := writeFile(dir, "s.yaml", []byte("name: s\ntargets:\n  storage:\n    kind: minio\n    buckets: [features]\n    objects:\n      - {bucket: features, key: a, from_file: seed.bin}\nworkload:\n  exec: [\"true\"]\n"))
				want := regexp.QuoteMeta(s) + `:7:47: targets.storage.objects\[0\].from_file: "seed.bin": ` + reason + "\n$"
				expectOneLineExit2(gameday(dir, "validate", s), "^"+want)
				expectOneLineExit2(gameday(dir, "run", "--backend", "process", "--out", filepath.Join(dir, "out"), s), "^(gameday: )?"+want)
			})
		}
	})

	Describe("numbers that size memory or time", func() {
		It("refuses retry.max_attempts 2^63-1 in policy check, positioned, without a panic", func() {
			dir := GinkgoT().TempDir()
			p := writeFile(dir, "p.yaml", []byte("retry:\n  max_attempts: 9223372036854775807\n"))
			expectOneLineExit2(gameday(dir, "policy", "check", p),
				"^"+regexp.QuoteMeta(p)+":2:17: retry.max_attempts: must be at most 100, got 9223372036854775807\n$")
		})

		It("refuses retry.max_attempts 2e8 in policy check at once and in little memory", func() {
			dir := GinkgoT().TempDir()
			p := writeFile(dir, "p.yaml", []byte("retry:\n  max_attempts: 200000000\n"))
			r := gameday(dir, "policy", "check", p)
			expectOneLineExit2(r, "^"+regexp.QuoteMeta(p)+":2:17: retry.max_attempts: must be at most 100, got 200000000\n$")
			Expect(r.maxRSS).To(BeNumerically("<", lowRSS))
		})

		It("refuses scheduled runs whose runs × every overflows", func() {
			dir := GinkgoT().TempDir()
			s := writeFile(dir, "s.yaml", []byte("name: s\ntargets:\n  storage: {kind: minio, buckets: [features]}\nworkload:\n  exec: [\"true\"]\n  runs: 1000\n  every: 876000h\n"))
			expectOneLineExit2(gameday(dir, "validate", s), "^"+regexp.QuoteMeta(s)+
				`:7:10: workload.every: 1000 runs 876000h0m0s apart span more than 876000h0m0s \(100 years\) of scheduled time`+"\n$")
		})
	})

	Describe("a UTF-8 byte order mark", func() {
		const bom = "\ufeff"
		It("is accepted at the start of a scenario and of a policy", func() {
			dir := GinkgoT().TempDir()
			s := writeFile(dir, "s.yaml", []byte(bom+"name: s\ntargets:\n  storage: {kind: minio, buckets: [features]}\nworkload:\n  exec: [\"true\"]\n"))
			r := gameday(dir, "validate", s)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stdout).To(Equal("ok " + s + "\n"))
			p := writeFile(dir, "p.yaml", []byte(bom+"retry:\n  max_attempts: 3\n  overall_timeout: 1m\n"))
			r = gameday(dir, "policy", "check", p)
			Expect(r.code).To(Equal(0), r.stdout+r.stderr)
		})

		It("is accepted at the start of a faults file and of a routes file", func() {
			dir := GinkgoT().TempDir()
			f := writeFile(dir, "faults.yaml", []byte(bom+"faults:\n  - {name: x, action: {status: 503}}\n"))
			faults, err := scenarios.LoadFaults(f)
			Expect(err).NotTo(HaveOccurred())
			Expect(faults).To(HaveLen(1))
			rt := writeFile(dir, "routes.yaml", []byte(bom+"routes:\n  - {method: GET, path: /v1, status: 204}\n"))
			routes, err := scenarios.LoadRoutes(rt)
			Expect(err).NotTo(HaveOccurred())
			Expect(routes).To(HaveLen(1))
		})
	})

	It("gameday report prints no terminal escape from a report.json", func() {
		data, err := os.ReadFile(filepath.Join(root, "reports", "testdata", "report.json"))
		Expect(err).NotTo(HaveOccurred())
		hostile := strings.Replace(string(data), `"message": "`, `"message": "\u001b[2J\u001b]0;owned\u0007`, -1)
		Expect(hostile).NotTo(Equal(string(data)))
		dir := GinkgoT().TempDir()
		p := writeFile(dir, "report.json", []byte(hostile))
		for _, format := range []string{"text", "md"} {
			r := gameday(dir, "report", "--format", format, p)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stdout).To(ContainSubstring("[2J"), "the printable rest stays")
			Expect(r.stdout).NotTo(ContainSubstring("\x1b"), "--format %s", format)
			Expect(r.stdout).NotTo(ContainSubstring("\a"), "--format %s", format)
		}
	})

	It("policy check reports a rule that fails to evaluate as an error, not as never firing", func() {
		dir := GinkgoT().TempDir()
		p := writeFile(dir, "p.yaml", []byte(`retry: {max_attempts: 3, overall_timeout: 5m}
alerts:
  rules:
    - {name: broken, when: "int(run_id) > 0", severity: page, notify: [x]}
  receivers:
    x: {alertmanager: {url: "http://127.0.0.1:1/"}}
`))
		r := gameday(dir, "policy", "check", p)
		Expect(r.code).To(Equal(1), r.stderr)
		Expect(r.stdout).To(MatchRegexp(`(?m)^broken\s+page\s+error\s+error\s+quiet$`))
		Expect(r.stdout).To(MatchRegexp(`(?m)^rule_errors\s+FAIL\s+rule broken fails to evaluate \(failure_count=1.*\): evaluate "int\(run_id\) > 0": invalid operation`))
		Expect(r.stdout).To(ContainSubstring("violation(s): rule_errors"))
		Expect(r.stdout).NotTo(MatchRegexp(`(?m)^broken\s+page\s+never`))
	})
})
