package explore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/explore"
	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func library(name string) *scenarios.Scenario {
	sc, err := scenarios.LoadFile(filepath.Join("..", "scenarios", "library", name+".yaml"))
	Expect(err).NotTo(HaveOccurred())
	return sc
}

// timeline is what a calibration run of the reference pipeline shows,
// with the run's id in the model paths.
func timeline(runID string) *reports.Timeline {
	req := func(target, method, path string) reports.TimelineRequest {
		return reports.TimelineRequest{Target: target, Run: 1, Method: method, Path: path, Status: 200}
	}
	return &reports.Timeline{
		Targets: []string{"storage", "feature-api"},
		Requests: []reports.TimelineRequest{
			req("storage", "HEAD", "/models/"+runID+"/meta.json"),
			req("storage", "GET", "/features/"),
			req("storage", "GET", "/features/day/part-0.bin"),
			req("feature-api", "GET", "/v1/schema"),
			req("feature-api", "POST", "/v1/runs"),
			req("storage", "PUT", "/models/"+runID+"/model.bin"),
			req("storage", "PUT", "/models/"+runID+"/meta.json"),
			req("storage", "GET", "/features/day/part-0.bin"),
		},
		Runs: []reports.TimelineRun{{Run: 1, RunID: runID, StartMS: 400, EndMS: 480, Succeeded: true}},
		Artifacts: []reports.TimelineArtifact{
			{Target: "storage", Method: "PUT", Path: "/models/" + runID + "/model.bin"},
			{Target: "storage", Method: "PUT", Path: "/models/" + runID + "/meta.json"},
		},
	}
}

var _ = Describe("Learn", func() {
	It("takes the requests of the calibration run, with run ids as *, sorted, and the writes to minio", func() {
		sc := library("worker-crash-after-upload")
		sp := explore.Learn(sc, reports.Scenario{Timeline: timeline("nightly-0107")}, 2*time.Second)
		Expect(sp.Resources).To(Equal([]explore.Resource{
			{Target: "feature-api", Method: "POST", Path: "/v1/runs"},
			{Target: "feature-api", Method: "GET", Path: "/v1/schema"},
			{Target: "storage", Method: "GET", Path: "/features/"},
			{Target: "storage", Method: "GET", Path: "/features/day/part-0.bin"},
			{Target: "storage", Method: "HEAD", Path: "/models/*/meta.json"},
			{Target: "storage", Method: "PUT", Path: "/models/*/meta.json"},
			{Target: "storage", Method: "PUT", Path: "/models/*/model.bin"},
		}))
		Expect(sp.Writes).To(Equal([]explore.Resource{
			{Target: "storage", Method: "PUT", Path: "/models/*/meta.json"},
			{Target: "storage", Method: "PUT", Path: "/models/*/model.bin"},
		}))
		Expect(sp.Restarts).To(Equal(1))
		Expect(sp.Duration).To(Equal(80 * time.Millisecond))
		Expect(sp.RunTimeout).To(Equal(20 * time.Second))
	})
})

var _ = Describe("ParseActions", func() {
	It("reads names, statuses and the two sets", func() {
		Expect(explore.ParseActions(nil)).To(Equal(explore.Transient))
		Expect(explore.ParseActions([]string{"transient", "401", "permanent"})).To(Equal(
			[]string{"503", "500", "429", "reset", "delay", "crash", "worker-crash", "401", "400", "403", "404"}))
		Expect(explore.ParseActions([]string{"Reset", "502"})).To(Equal([]string{"reset", "502"}))
		_, err := explore.ParseActions([]string{"hang"})
		Expect(err).To(MatchError(ContainSubstring(`unknown action "hang"`)))
		_, err = explore.ParseActions([]string{"302"})
		Expect(err).To(HaveOccurred())
	})
})

var _ = Describe("Draw", func() {
	sc := library("worker-crash-after-upload")
	sp := explore.Learn(sc, reports.Scenario{Timeline: timeline("nightly-0107")}, 2*time.Second)

	It("draws 1 to 4 faults of the kinds asked for, the same ones for the same seed and trial", func() {
		sizes := map[int]int{}
		kindsSeen := map[string]int{}
		for n := 1; n <= 400; n++ {
			a := explore.Draw(explore.TrialRand(42, n), sp, explore.Transient)
			b := explore.Draw(explore.TrialRand(42, n), sp, explore.Transient)
			Expect(explore.Describe(a)).To(Equal(explore.Describe(b)))
			sizes[len(a)]++
			for _, f := range a {
				kindsSeen[explore.KindOf(f)]++
				Expect(*f.Optional).To(BeTrue())
			}
		}
		Expect(sizes).To(HaveLen(4))
		for _, k := range explore.Transient {
			Expect(kindsSeen).To(HaveKey(k))
		}
		Expect(explore.Describe(explore.Draw(explore.TrialRand(42, 1), sp, explore.Transient))).NotTo(
			Equal(explore.Describe(explore.Draw(explore.TrialRand(43, 1), sp, explore.Transient))))
		only := explore.Draw(explore.TrialRand(1, 1), sp, []string{"401"})
		for _, f := range only {
			Expect(f.Action.String()).To(Equal("status 401"))
		}
	})

	It("draws a worker crash only after a write, and only when the workload restarts", func() {
		noRestart := sp
		noRestart.Restarts = 0
		Expect(explore.Applicable([]string{"worker-crash", "503"}, noRestart)).To(Equal([]string{"503"}))
		Expect(explore.Draw(rand.New(rand.NewPCG(1, 1)), noRestart, []string{"worker-crash"})).To(BeNil())
		for n := 1; n <= 100; n++ {
			for _, f := range explore.Draw(explore.TrialRand(7, n), sp, []string{"worker-crash"}) {
				Expect(f.Target).To(Equal("workload"))
				Expect(f.Via).To(Equal("storage"))
				Expect(f.On).To(Equal("response"))
				Expect(f.Match.Method).To(Equal(scenarios.Methods{"PUT"}))
			}
		}
	})

	It("draws a delay a second past the policy's attempt timeout", func() {
		for n := 1; n <= 50; n++ {
			for _, f := range explore.Draw(explore.TrialRand(3, n), sp, []string{"delay"}) {
				Expect(f.Action.String()).To(Equal("delay 3s"))
			}
		}
	})

	It("draws only schedules that make valid scenarios, and that write out and load back unchanged", func() {
		for n := 1; n <= 300; n++ {
			faults := explore.Draw(explore.TrialRand(11, n), sp, append(slices.Clone(explore.Transient), explore.Permanent...))
			v, err := sc.With(scenarios.Override{Faults: faults})
			Expect(err).NotTo(HaveOccurred(), explore.Describe(faults))
			Expect(explore.Describe(v.Faults)).To(Equal(explore.Describe(faults)))
			text, err := v.MarshalYAML()
			Expect(err).NotTo(HaveOccurred())
			file := filepath.Join(GinkgoT().TempDir(), "s.yaml")
			Expect(os.WriteFile(file, text, 0o644)).To(Succeed())
			back, err := scenarios.LoadFile(file)
			Expect(err).NotTo(HaveOccurred())
			Expect(back.Faults).To(Equal(v.Faults))
		}
	})
})

// fakeHarness stands in for harness.RunScenarios: a scenario without
// faults is a calibration run (every expectation holds but those about
// the file's own faults); with faults, outcome fails when part-0 fails
// at least twice (a policy of two attempts), and a fault fires unless
// it skips two matches.
type fakeHarness struct {
	mu      sync.Mutex
	opts    []harness.RunOptions
	broken  string // an infrastructure error for every run
	neverOK bool   // outcome fails even without faults
	holds   bool   // the property never breaks
}

func (h *fakeHarness) run(_ context.Context, list []*scenarios.Scenario, o harness.RunOptions) (*reports.Result, error) {
	h.mu.Lock()
	h.opts = append(h.opts, o)
	h.mu.Unlock()
	res := &reports.Result{}
	for _, sc := range list {
		seed := sc.SeedFor(o.Seed, nil)
		s := reports.Scenario{Name: sc.Name, Seed: seed, Error: h.broken, Timeline: timeline(sc.RunIDFor(seed, 1))}
		fired := map[string]bool{}
		for _, f := range sc.Faults {
			if f.Skip == nil || *f.Skip < 2 {
				fired[f.Name] = true
				s.Timeline.Requests = append(s.Timeline.Requests, reports.TimelineRequest{Target: f.Target, Fault: f.Name})
			}
		}
		broken := !h.holds && injections(sc.Faults, "/features/day/part-0.bin", "503", "500", "429", explore.KindReset, explore.KindDelay) >= 2
		for _, n := range append(sc.Expect.ExpectationNames(), "faults_fired", "timeout") {
			e := reports.Expectation{Name: n, Passed: true, Want: "w", Got: "g"}
			switch {
			case n == "outcome":
				e.Passed = !broken && !h.neverOK
				e.Want, e.Got = "success", "failure"
			case strings.HasPrefix(n, "requests") || n == "recovery_time":
				e.Passed = len(sc.Faults) > 0 // about the file's own faults
			}
			s.Expectations = append(s.Expectations, e)
		}
		res.Scenarios = append(res.Scenarios, s)
	}
	return res, nil
}

var _ = Describe("Run", func() {
	ctx := context.Background()
	var out string
	BeforeEach(func() { out = GinkgoT().TempDir() })

	opts := func(h *fakeHarness) explore.Options {
		return explore.Options{Trials: 40, Seed: 5, Out: out, Run: h.run, Parallel: 2,
			Override: scenarios.Override{Policy: filepath.Join("..", "policies", "examples", "two-attempts.yaml")}}
	}

	It("calibrates, searches, shrinks and writes the smallest failing schedule as a scenario that loads", func() {
		h := &fakeHarness{}
		var lines []string
		o := opts(h)
		o.Progress = func(e explore.Event) {
			if e.Lasting {
				lines = append(lines, e.Line)
			}
		}
		res, err := explore.Run(ctx, library("storage-503-single-transient"), o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Property).To(Equal([]string{"outcome", "pages", "alerts.info", "alerts.warning", "attempts_per_operation", "artifacts", "timeout"}))
		Expect(res.Dropped).To(ConsistOf(
			explore.Dropped{Name: "requests[0]", Why: "fails without faults (want w, got g): it describes the file's own faults"},
			explore.Dropped{Name: "recovery_time", Why: "fails without faults (want w, got g): it describes the file's own faults"}))
		Expect(res.Found).NotTo(BeNil())
		Expect(res.Found.Failed).To(Equal([]string{"outcome"}))
		Expect(res.Found.Faults).To(Equal([]string{"storage-503: status 503 on GET /features/day/part-0.bin (storage), times 2"}))
		Expect(res.RunSeed).To(Equal(int64(101)), "the file's seed")
		for _, o := range h.opts {
			Expect(*o.Seed).To(Equal(int64(101)))
			Expect(o.Out).To(HavePrefix(filepath.Join(out, "runs") + "/"))
			Expect(o.Parallel).To(Equal(2))
		}
		Expect(lines).To(ContainElement(HavePrefix("property: requests[0] left out: fails without faults")))
		Expect(lines).To(ContainElement(HavePrefix("trial ")))

		file := filepath.Join(out, "explore-storage-503-single-transient-min.yaml")
		Expect(res.Found.File).To(Equal(file))
		Expect(res.Found.Replay).To(Equal("gameday run " + file))
		sc, err := scenarios.LoadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Name).To(Equal("explore-storage-503-single-transient-min"))
		Expect(sc.Faults).To(HaveLen(1))
		Expect(sc.Faults[0].Optional).To(BeNil(), "it fired in both runs: faults_fired insists on it")
		Expect(sc.Expect.ExpectationNames()).To(Equal([]string{"outcome", "pages", "alerts.info", "alerts.warning", "attempts_per_operation", "artifacts"}))
		Expect(*sc.Seed).To(Equal(int64(101)))
		abs, _ := filepath.Abs(filepath.Join("..", "policies", "examples", "two-attempts.yaml"))
		Expect(sc.Workload.Policy).To(Equal(abs))
		text, _ := os.ReadFile(file)
		Expect(string(text)).To(HavePrefix("# Written by gameday explore: the smallest fault schedule it found that breaks\n" +
			"# ../scenarios/library/storage-503-single-transient.yaml (property: outcome, pages, alerts.info, alerts.warning, attempts_per_operation, artifacts, timeout).\n" +
			"# Fails: outcome.\n# Found: trial "))
		Expect(string(text)).To(ContainSubstring("# Explored with --policy ../policies/examples/two-attempts.yaml (kept below).\n"))
		Expect(string(text)).To(ContainSubstring("# Replay: gameday run " + file + "\n"))

		data, err := os.ReadFile(filepath.Join(out, explore.ResultFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(`"shrink_steps"`))
	})

	It("judges only the --property given, and finds the same schedule whatever --parallel is", func() {
		var found []string
		for _, p := range []int{1, 3} {
			o := opts(&fakeHarness{})
			o.Property, o.Parallel, o.Out = []string{"outcome", "pages"}, p, filepath.Join(out, "p", string(rune('0'+p)))
			res, err := explore.Run(ctx, library("storage-503-single-transient"), o)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Property).To(Equal([]string{"outcome", "pages"}))
			found = append(found, strings.Join(res.Found.Faults, "; ")+" @"+res.Found.Drawn)
		}
		Expect(found[1]).To(Equal(found[0]))
	})

	It("finds nothing when the property holds, after the whole budget", func() {
		h := &fakeHarness{holds: true}
		o := opts(h)
		o.Trials = 7
		res, err := explore.Run(ctx, library("storage-503-single-transient"), o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Found).To(BeNil())
		Expect(res.Trials).To(Equal(7))
		_, err = os.Stat(filepath.Join(out, "explore-storage-503-single-transient-min.yaml"))
		Expect(os.IsNotExist(err)).To(BeTrue())
	})

	DescribeTable("says what is wrong with what it was asked",
		func(h *fakeHarness, property []string, msg string, input bool) {
			o := opts(h)
			o.Property = property
			_, err := explore.Run(ctx, library("storage-503-single-transient"), o)
			Expect(err).To(MatchError(ContainSubstring(msg)))
			var ie *explore.InputError
			Expect(errors.As(err, &ie)).To(Equal(input))
			if !input {
				Expect(errors.Is(err, explore.ErrInfrastructure)).To(BeTrue())
			}
		},
		Entry("a --property that names nothing", &fakeHarness{}, []string{"outcome", "nope"}, "--property nope: ../scenarios/library/storage-503-single-transient.yaml has no such expectation (it has outcome, pages,", true),
		Entry("a --property that fails without faults", &fakeHarness{}, []string{"requests"}, "--property requests[0]: storage-503-single-transient does not hold without faults (want w, got g): nothing to explore", true),
		Entry("a property that fails without faults", &fakeHarness{neverOK: true}, []string{"outcome"}, "--property outcome: storage-503-single-transient does not hold without faults (want success, got failure)", true),
		Entry("a calibration run that hit an infrastructure error", &fakeHarness{broken: "start storage: boom"}, nil, "calibration of storage-503-single-transient: infrastructure: start storage: boom", false),
	)
})
