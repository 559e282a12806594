package compare_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/compare"
	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func ms(v int64) *int64 { return &v }

// scenario is a judged scenario with the given expectations (name →
// held) and recovery time.
func scenario(name string, recovery *int64, held map[string]bool) reports.Scenario {
	s := reports.Scenario{Name: name, File: name + ".yaml", Seed: 1, Passed: true, DurationMS: 500,
		Metrics: reports.Metrics{Attempts: 2, Retries: 1, RecoveryTimeMS: recovery}}
	for _, n := range []string{"outcome", "pages", "backoff.jitter"} {
		ok, set := held[n]
		if !set {
			ok = true
		}
		s.Expectations = append(s.Expectations, reports.Expectation{Name: n, Passed: ok, Want: "w", Got: "g"})
		s.Passed = s.Passed && ok
	}
	return s
}

// repeated folds runs into an aggregate, as --repeat does.
func repeated(runs ...reports.Scenario) reports.Scenario {
	for i := range runs {
		runs[i].Seed = int64(10 + i)
	}
	agg, err := reports.Aggregate(runs)
	Expect(err).NotTo(HaveOccurred())
	return agg
}

func result(scs ...reports.Scenario) *reports.Result { return &reports.Result{Scenarios: scs} }

var _ = Describe("ParseSpec", func() {
	It("reads policy=FILE and env:NAME=VALUE items", func() {
		s, err := compare.ParseSpec([]string{"policy=p.yaml", "env:A=1", "env:B=x=y"})
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(compare.Spec{Policy: "p.yaml", Env: map[string]string{"A": "1", "B": "x=y"}}))
		Expect(s.String()).To(Equal("policy=p.yaml env:A=1 env:B=x=y"))
		Expect(compare.Spec{}.String()).To(Equal("as written"))
	})

	DescribeTable("rejects", func(items []string, msg string) {
		_, err := compare.ParseSpec(items)
		Expect(err).To(MatchError(ContainSubstring(msg)))
	},
		Entry("an unknown item", []string{"jitter=none"}, "want policy=FILE or env:NAME=VALUE"),
		Entry("an empty policy", []string{"policy="}, "want policy=FILE"),
		Entry("two policies", []string{"policy=a", "policy=b"}, "policy is given twice"),
		Entry("an env item without =", []string{"env:A"}, "want env:NAME=VALUE"),
	)
})

var _ = Describe("Diff", func() {
	rule := compare.DefaultRule

	It("finds nothing between equal results", func() {
		a := result(scenario("s", ms(1200), nil))
		rows := compare.Diff(a, a, rule)
		Expect(rows).To(HaveLen(1))
		Expect(rows[0].Regressions).To(BeEmpty())
		Expect(rows[0].Improvements).To(BeEmpty())
	})

	It("names an expectation that held under A and fails under B, and the reverse as an improvement", func() {
		a := result(scenario("s", ms(100), map[string]bool{"pages": false}))
		b := result(scenario("s", ms(100), map[string]bool{"backoff.jitter": false}))
		b.Scenarios[0].Expectations[2].Message = "backoff.jitter: want jittered, got not jittered"
		row := compare.Diff(a, b, rule)[0]
		Expect(row.Regressions).To(HaveLen(1))
		Expect(row.Regressions[0].Name).To(Equal("backoff.jitter"))
		Expect(row.Regressions[0].Message).To(Equal("backoff.jitter held under A, fails under B: want jittered, got not jittered"))
		Expect(row.Improvements).To(HaveLen(1))
		Expect(row.Improvements[0].Message).To(Equal("pages failed under A (want w, got g), holds under B"))
	})

	It("under --repeat, counts an expectation held in every run of A and failed in one of B, not one already flaky under A", func() {
		ok, jitterFails, pagesFails := map[string]bool{}, map[string]bool{"backoff.jitter": false}, map[string]bool{"pages": false}
		a := result(repeated(scenario("s", ms(100), ok), scenario("s", ms(100), ok), scenario("s", ms(100), pagesFails)))
		b := result(repeated(scenario("s", ms(100), jitterFails), scenario("s", ms(100), ok), scenario("s", ms(100), pagesFails)))
		row := compare.Diff(a, b, rule)[0]
		Expect(row.Regressions).To(HaveLen(1))
		Expect(row.Regressions[0].Message).To(HavePrefix("backoff.jitter held under A (3/3), fails under B (2/3): "))
		Expect(row.A.Verdict).To(Equal("FLAKY"))
		Expect(row.A.Runs).To(Equal(3))
		Expect(row.A.Passed).To(Equal(2))
	})

	DescribeTable("recovery median", func(a, b *int64, bGaveUp bool, want string) {
		sb := scenario("s", b, nil)
		if bGaveUp {
			sb.Metrics.GaveUpAfterMS = ms(3000)
		}
		row := compare.Diff(result(scenario("s", a, nil)), result(sb), rule)[0]
		var got []string
		for _, c := range row.Regressions {
			got = append(got, "worse: "+c.Message)
		}
		for _, c := range row.Improvements {
			got = append(got, "better: "+c.Message)
		}
		if want == "" {
			Expect(got).To(BeEmpty())
		} else {
			Expect(got).To(ConsistOf(want))
		}
	},
		Entry("1.2s → 4.1s regresses", ms(1200), ms(4100), false, "worse: recovery median grew from 1.2s to 4.1s (+242%), past the 20% tolerance"),
		Entry("40ms → 90ms is noise: under the 250ms minimum", ms(40), ms(90), false, ""),
		Entry("1.0s → 1.15s is within the 20% tolerance", ms(1000), ms(1150), false, ""),
		Entry("0 → 300ms grows past both", ms(0), ms(300), false, "worse: recovery median grew from 0s to 300ms (from 0), past the 20% tolerance"),
		Entry("recovered under A, gave up under B", ms(500), nil, true, "worse: recovered under A (median 500ms), never under B: it gave up"),
		Entry("4.1s → 1.2s improves", ms(4100), ms(1200), false, "better: recovery median fell from 4.1s to 1.2s (-71%)"),
	)

	It("takes the median over repeats, not the worst run", func() {
		a := result(repeated(scenario("s", ms(1000), nil), scenario("s", ms(1000), nil), scenario("s", ms(1000), nil)))
		b := result(repeated(scenario("s", ms(1000), nil), scenario("s", ms(1100), nil), scenario("s", ms(9000), nil)))
		row := compare.Diff(a, b, rule)[0]
		Expect(*row.B.RecoveryMedianMS).To(Equal(int64(1100)))
		Expect(*row.B.RecoveryP95MS).To(Equal(int64(9000)))
		Expect(row.Regressions).To(BeEmpty(), "one slow run of three moves the p95, not the median")
	})

	It("judges nothing for a scenario with an infrastructure error", func() {
		sb := scenario("s", nil, map[string]bool{"outcome": false})
		sb.Error = "start storage: boom"
		row := compare.Diff(result(scenario("s", ms(100), nil)), result(sb), rule)[0]
		Expect(row.Regressions).To(BeEmpty())
		Expect(row.B.Verdict).To(Equal("ERROR"))
	})
})

// fakeRun judges each scenario by its policy file: a policy called
// weak.yaml fails backoff.jitter and recovers in 4.1s, anything else
// holds and recovers in 1.2s. It records the seeds it was given.
type fakeRun struct {
	mu    sync.Mutex
	seeds map[string][]int64
	outs  []string
}

func (f *fakeRun) run(_ context.Context, list []*scenarios.Scenario, o harness.RunOptions) (*reports.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seeds == nil {
		f.seeds = map[string][]int64{}
	}
	f.outs = append(f.outs, o.Out)
	res := &reports.Result{}
	for _, sc := range list {
		seed := sc.SeedFor(o.Seed, nil)
		f.seeds[sc.Name] = append(f.seeds[sc.Name], seed)
		weak := filepath.Base(sc.Workload.Policy) == "weak.yaml"
		rec := ms(1200)
		if weak {
			rec = ms(4100)
		}
		s := scenario(sc.Name, rec, map[string]bool{"backoff.jitter": !weak})
		s.Seed = seed
		res.Scenarios = append(res.Scenarios, s)
	}
	return res, os.MkdirAll(o.Out, 0o755)
}

var _ = Describe("Run", func() {
	var dir string
	var list []*scenarios.Scenario
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		for _, name := range []string{"weak.yaml", "ok.yaml"} {
			Expect(os.WriteFile(filepath.Join(dir, name), []byte("retry: {max_attempts: 2}\n"), 0o644)).To(Succeed())
		}
		for _, f := range []string{"storage-503-single-transient.yaml", "three-failures-page.yaml"} {
			sc, err := scenarios.LoadFile(filepath.Join("..", "scenarios", "library", f))
			Expect(err).NotTo(HaveOccurred())
			list = append(list, sc)
		}
		// A scenario without a seed of its own: both variants must still
		// get the same one.
		noSeed := *list[1]
		noSeed.Seed = nil
		list[1] = &noSeed
	})

	run := func(b string) (*compare.Comparison, *fakeRun) {
		f := &fakeRun{}
		c, err := compare.Run(context.Background(), list, compare.Options{
			A: compare.Spec{Policy: filepath.Join(dir, "ok.yaml")}, B: compare.Spec{Policy: filepath.Join(dir, b)},
			Rule: compare.DefaultRule, Out: dir, Run: f.run, Now: time.Now})
		Expect(err).NotTo(HaveOccurred())
		return c, f
	}

	It("runs both variants with the same seeds, into a/ and b/, and writes compare.json and compare.md", func() {
		c, f := run("weak.yaml")
		Expect(f.outs).To(Equal([]string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}))
		for name, seeds := range f.seeds {
			Expect(seeds).To(HaveLen(2))
			Expect(seeds[0]).To(Equal(seeds[1]), name)
		}
		Expect(f.seeds["storage-503-single-transient"][0]).To(Equal(int64(101)))
		Expect(c.ExitCode()).To(Equal(1))
		Expect(c.Summary).To(Equal(compare.Summary{Scenarios: 2, Regressed: 2}))

		back, err := compare.ReadFile(filepath.Join(dir, compare.JSONFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Scenarios[0].Regressions).To(HaveLen(2))
		Expect(back.B.Label).To(Equal("policy=" + filepath.Join(dir, "weak.yaml")))
		md, err := os.ReadFile(filepath.Join(dir, compare.MarkdownFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(HavePrefix("### gameday compare: B regresses 2 of 2 scenarios\n"))
		Expect(string(md)).To(ContainSubstring("| `storage-503-single-transient` | PASS → **FAIL** ⚠️ | 2 | 1 | 1.2s → **4.1s** ⚠️ | 1.2s → 4.1s |"))
		Expect(string(md)).To(ContainSubstring("- `three-failures-page`: `backoff.jitter` held under A, fails under B: want w, got g"))

		var text bytes.Buffer
		Expect(compare.WriteText(&text, c)).To(Succeed())
		Expect(text.String()).To(MatchRegexp(`(?m)^storage-503-single-transient\s+PASS → FAIL !\s+2\s+1\s+1\.2s → 4\.1s !\s+1\.2s → 4\.1s\s+0\s+0\s+500ms$`))
		Expect(text.String()).To(ContainSubstring("Regressions (B against A):\n  storage-503-single-transient: backoff.jitter held under A"))
		Expect(text.String()).To(ContainSubstring("B regresses 2 of 2 scenarios;"))
		Expect(text.String()).NotTo(ContainSubstring("\x1b"))
	})

	It("exits 0 when B is A", func() {
		c, _ := run("ok.yaml")
		Expect(c.ExitCode()).To(Equal(0))
		Expect(c.Regressed()).To(BeFalse())
	})

	It("checks both variants before running anything", func() {
		f := &fakeRun{}
		_, err := compare.Run(context.Background(), list, compare.Options{B: compare.Spec{Policy: filepath.Join(dir, "missing.yaml"),
			Env: map[string]string{"AWS_ACCESS_KEY_ID": "x"}}, Out: dir, Run: f.run})
		var se *compare.SpecError
		Expect(err).To(BeAssignableToTypeOf(se))
		Expect(err.Error()).To(ContainSubstring("missing.yaml"))
		Expect(err.Error()).To(ContainSubstring("AWS_ACCESS_KEY_ID is set by the harness"))
		Expect(f.outs).To(BeEmpty())
		Expect(strings.Count(err.Error(), "\n")).To(BeZero(), "one line")
	})
})
