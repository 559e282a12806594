package reports_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

// fakeClock advances by step on every reading, so elapsed times are exact.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var escape = regexp.MustCompile("\x1b")

var _ = Describe("Console", func() {
	DescribeTable("masks the secrets added to its Redactor, also added after it started and in live frames",
		func(live bool) {
			var buf bytes.Buffer
			c := reports.NewConsole(&buf, reports.ConsoleOptions{Live: live, RefreshRate: time.Millisecond})
			c.Phase("s", "boot")
			c.Redactor().Add("0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4")
			c.Printf("seen 0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4")
			c.DoneResult("s", reports.Scenario{Name: "s", Error: "boom 0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4"})
			Expect(c.Table(&reports.Result{Scenarios: []reports.Scenario{{Name: "s", File: "s.yaml",
				Error: "target said 0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4"}}})).To(Succeed())
			Expect(buf.String()).To(ContainSubstring("seen ***"))
			Expect(buf.String()).To(ContainSubstring("target said ***"))
			Expect(buf.String()).NotTo(ContainSubstring("0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4"))
		},
		Entry("plain", false),
		Entry("live", true),
	)

	It("says ERROR, not FAIL, for a run that hit an infrastructure error, and prints no replay for it", func() {
		var buf bytes.Buffer
		clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
		c := reports.NewConsole(&buf, reports.ConsoleOptions{Now: clock.Now})
		res := reports.Scenario{Name: "storage-503", File: "storage-503.yaml", Seed: 101,
			Error: "start target storage: binary missing: minio binary /nonexistent does not exist; run `make bin/minio`"}
		c.Phase("storage-503", "boot")
		c.DoneResult("storage-503", res)
		c.Phase("judged", "boot")
		c.DoneResult("judged", reports.Scenario{Name: "judged", File: "judged.yaml", Seed: 7})
		Expect(c.Table(&reports.Result{Scenarios: []reports.Scenario{res}})).To(Succeed())
		out := buf.String()
		Expect(out).To(MatchRegexp(`(?m)^storage-503: ERROR \(faults 0, [^)]+\)$`))
		Expect(out).To(MatchRegexp(`(?m)^judged: FAIL \(faults 0, [^)]+\)$`))
		Expect(out).To(ContainSubstring("    - fix: run `make bin/minio`\n"))
		Expect(out).NotTo(ContainSubstring("Replay"))
		Expect(out).NotTo(ContainSubstring("--seed"))
	})

	It("prints one plain line per passing scenario, without escape codes, when not live", func() {
		var buf bytes.Buffer
		clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
		c := reports.NewConsole(&buf, reports.ConsoleOptions{Now: clock.Now})
		c.Printf("seed %d", 42)
		c.Phase("storage-503", "boot")
		c.Faults("storage-503", 2)
		c.Phase("storage-503", "observe")
		c.Done("storage-503", true)
		c.Done("storage-503", false) // a second verdict is ignored
		Expect(c.Table(fixture())).To(Succeed())

		out := buf.String()
		Expect(escape.MatchString(out)).To(BeFalse(), "escape codes in %q", out)
		Expect(out).To(HavePrefix("seed 42\n" +
			"storage-503: PASS (faults 2, 1.5s)\n" +
			"Failures:\n"))
		table, err := os.ReadFile(filepath.Join("testdata", "table.golden.txt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(HaveSuffix(string(table)))
	})

	It("prints the phases of a failed scenario before its verdict, and every phase as it happens with Verbose", func() {
		var quiet, verbose bytes.Buffer
		for _, c := range []*reports.Console{
			reports.NewConsole(&quiet, reports.ConsoleOptions{Now: (&fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}).Now}),
			reports.NewConsole(&verbose, reports.ConsoleOptions{Verbose: true, Now: (&fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}).Now}),
		} {
			c.Phase("ok", "boot")
			c.Phase("broken", "boot")
			c.Faults("broken", 3)
			c.Phase("broken", "run 1/1")
			c.Done("broken", false)
			c.Done("ok", true)
			c.Close()
		}
		noTimes := func(s string) string { return regexp.MustCompile(`, [0-9.]+m?s\)`).ReplaceAllString(s, ")") }
		Expect(noTimes(quiet.String())).To(Equal("broken: boot (faults 0)\n" +
			"broken: run 1/1 (faults 3)\n" +
			"broken: FAIL (faults 3)\n" +
			"ok: PASS (faults 0)\n"))
		Expect(noTimes(verbose.String())).To(Equal("ok: boot (faults 0)\n" +
			"broken: boot (faults 0)\n" +
			"broken: run 1/1 (faults 3)\n" +
			"broken: FAIL (faults 3)\n" +
			"ok: PASS (faults 0)\n"))
	})

	It("keeps plain lines whole when scenarios report in parallel", func() {
		var buf bytes.Buffer
		c := reports.NewConsole(&buf, reports.ConsoleOptions{})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				name := fmt.Sprintf("scenario-%d", i)
				for p := range 5 {
					c.Phase(name, fmt.Sprintf("run %d/5", p+1))
					c.Faults(name, p)
				}
				c.Done(name, i%2 == 0)
			})
		}
		wg.Wait()
		c.Close()
		line := regexp.MustCompile(`^scenario-\d: (run \d/5|PASS|FAIL) \(faults \d, [0-9.]+m?s\)$`)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		Expect(lines).To(HaveLen(4*1+4*6), "a passing scenario gets its verdict line, a failing one its 5 phases too")
		for i, l := range lines {
			Expect(l).To(MatchRegexp(line.String()))
			if strings.Contains(l, " run 1/5 ") {
				// A failed scenario's phases come together, right before its verdict.
				name := strings.SplitN(l, ":", 2)[0]
				for k := 1; k <= 5; k++ {
					Expect(lines[i+k]).To(HavePrefix(name + ": "))
				}
				Expect(lines[i+5]).To(ContainSubstring("FAIL"))
			}
		}
	})

	It("draws live progress with colour and still ends with the table", func() {
		var buf bytes.Buffer
		c := reports.NewConsole(&buf, reports.ConsoleOptions{Live: true, Color: true, RefreshRate: time.Millisecond})
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				name := fmt.Sprintf("scenario-%d", i)
				c.Phase(name, "boot")
				c.Faults(name, i)
				c.Printf("%s: seed %d", name, i)
				c.Phase(name, "observe")
				if i < 3 { // scenario-3 is still running when the run ends
					c.Done(name, i != 1)
				}
			})
		}
		wg.Wait()
		r := fixture()
		Expect(c.Table(r)).To(Succeed())
		c.Close()                  // again: harmless
		c.Done("scenario-3", true) // after Close: a plain line, no panic
		c.Phase("late", "boot")
		out := buf.String()
		Expect(escape.MatchString(out)).To(BeTrue())
		Expect(out).To(ContainSubstring("scenario-2: seed 2"))
		Expect(out).To(ContainSubstring("PASS"))
		Expect(out).To(ContainSubstring("FAIL"))
		Expect(out).To(ContainSubstring("faults 3"))
		Expect(out).To(ContainSubstring("SCENARIO  "))
		Expect(out).To(MatchRegexp("scenario-3: \x1b\\[32;1mPASS"))
		Expect(out).To(MatchRegexp("late: \x1b\\[36mboot\x1b\\[0m \\(faults 0, \\d+[mµn]?s\\)\n$"))
	})

	It("draws the last live frame even when the run is shorter than the refresh rate", func() {
		var buf bytes.Buffer
		c := reports.NewConsole(&buf, reports.ConsoleOptions{Live: true, RefreshRate: time.Hour})
		c.Phase("quick", "boot")
		c.Faults("quick", 2)
		c.Done("quick", true)
		c.Phase("cut-short", "run 1/1")
		Expect(c.Table(fixture())).To(Succeed())
		out := buf.String()
		Expect(out).To(MatchRegexp(`PASS +quick +done +faults 2`))
		Expect(out).To(MatchRegexp(`cut-short +run 1/1 +faults 0`))
		Expect(out).To(ContainSubstring("SCENARIO  "))
	})

	DescribeTable("DetectConsole is plain for anything but a watched terminal",
		func(vars map[string]string) {
			var buf bytes.Buffer
			Expect(reports.DetectConsole(&buf, env(vars))).To(Equal(reports.ConsoleOptions{}))
			r, w, err := os.Pipe()
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(r.Close)
			DeferCleanup(w.Close)
			Expect(reports.Interactive(w, env(vars))).To(BeFalse())
		},
		Entry("no CI", map[string]string{}),
		Entry("CI=true", map[string]string{"CI": "true"}),
	)
})

var _ = Describe("AppendStepSummary", func() {
	It("appends summary.md to $GITHUB_STEP_SUMMARY", func() {
		path := filepath.Join(GinkgoT().TempDir(), "step-summary.md")
		Expect(os.WriteFile(path, []byte("earlier step\n"), 0o644)).To(Succeed())
		r := fixture()
		Expect(reports.AppendStepSummary(r, env(map[string]string{"GITHUB_STEP_SUMMARY": path}))).To(Succeed())
		var md bytes.Buffer
		Expect(reports.WriteMarkdown(&md, r)).To(Succeed())
		got, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal("earlier step\n" + md.String()))
	})

	It("does nothing when the variable is unset", func() {
		Expect(reports.AppendStepSummary(fixture(), env(nil))).To(Succeed())
	})

	It("says which file it could not append to", func() {
		missing := filepath.Join(GinkgoT().TempDir(), "no-such-dir", "summary.md")
		err := reports.AppendStepSummary(fixture(), env(map[string]string{"GITHUB_STEP_SUMMARY": missing}))
		Expect(err).To(MatchError(ContainSubstring("no-such-dir/summary.md")))
	})
})
