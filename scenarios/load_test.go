package scenarios_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

var _ = Describe("LoadFile", func() {
	It("loads the DESIGN vocabulary example with every key", func() {
		sc, err := scenarios.LoadFile("testdata/good/every-key.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Name).To(Equal("storage-503-single-transient"))
		Expect(*sc.Seed).To(Equal(int64(42)))
		Expect(sc.Timeout).To(Equal(2 * time.Minute))
		Expect(sc.Targets).To(HaveLen(2))
		Expect(sc.Targets[0].Name).To(Equal("storage"))
		Expect(sc.FirstMinIO().Name).To(Equal("storage"))
		Expect(sc.Target("feature-api").Kind).To(Equal(scenarios.KindStub))
		Expect(sc.Target("nope")).To(BeNil())
		Expect(sc.Targets[1].EnvVar()).To(Equal("GAMEDAY_FEATURE_API_URL"))

		objs := sc.Targets[0].Objects
		Expect(*objs[0].Size).To(Equal(scenarios.Size(4 << 20)))
		Expect(*objs[1].Content).To(Equal(`{"v":1}`))
		abs, _ := filepath.Abs("testdata/good/data/part-1.bin")
		Expect(objs[2].FromFile).To(Equal(abs))

		routes := sc.Targets[1].Routes
		Expect(routes[0].Method).To(Equal(scenarios.Methods{"GET"}))
		Expect(routes[0].JSON).To(Equal(map[string]any{"version": uint64(3)}))
		Expect(*routes[1].Body).To(Equal("ok"))
		Expect(routes[1].Headers).To(Equal(map[string]string{"X-Trace": "1"}))
		Expect(routes[1].Delay).To(Equal(20 * time.Millisecond))
		Expect(routes[1].Status).To(Equal(201))

		w := sc.Workload
		policy, _ := filepath.Abs("../policies/default.yaml")
		Expect(w.Policy).To(Equal(policy))
		Expect(w.Env).To(Equal(map[string]string{"EXTRA": "value"}))
		Expect(w.Every).To(Equal(24 * time.Hour))
		Expect(w.SLA).To(Equal(10 * time.Minute))
		Expect(w.Timeout).To(Equal(time.Minute))
		Expect(sc.RunIDFor(7, 1)).To(Equal("nightly"))

		f := sc.Faults
		Expect(f).To(HaveLen(5))
		Expect(f[0].Action.Kind()).To(Equal("status"))
		Expect(f[0].Action.Action).To(Equal(&injectors.Status{Code: 503}))
		Expect(*f[0].Times).To(Equal(1))
		Expect(f[0].On).To(Equal(scenarios.OnRequest))
		Expect(f[0].Match.Path).To(Equal("/features/*"))
		Expect(f[0].IsTimer()).To(BeFalse())
		Expect(f[1].Action.Action.(*injectors.Status).RetryAfter.Delay).To(Equal(2 * time.Second))
		Expect(f[1].Action.Action.(*injectors.Status).RetryAfter.HeaderValue()).To(Equal("2"))
		Expect(*f[1].Skip).To(Equal(3))
		Expect(f[1].Every).To(BeNil())
		Expect(f[2].Action.Action).To(Equal(&injectors.Delay{D: 300 * time.Millisecond}))
		Expect(*f[2].Probability).To(Equal(0.2))
		Expect(*f[3].Action.Action.(*injectors.Crash).RestartAfter).To(Equal(2 * time.Second))
		Expect(f[3].IsTimer()).To(BeTrue())
		Expect(*f[3].After).To(Equal(5 * time.Second))
		Expect(f[4].Target).To(Equal(scenarios.WorkloadTarget))
		Expect(f[4].Via).To(Equal("storage"))
		Expect(f[4].On).To(Equal(scenarios.OnResponse))
		Expect(f[4].Action.Action).To(Equal(&injectors.Crash{}))
		Expect(f[4].Match.Method.Has("PUT")).To(BeTrue())

		e := sc.Expect
		Expect(e.Outcome).To(Equal(scenarios.OutcomeSuccess))
		Expect(e.Pages.HoldsInt(0)).To(BeTrue())
		Expect(e.Pages.HoldsInt(1)).To(BeFalse())
		Expect(e.Alerts.Info.String()).To(Equal("<=1"))
		Expect(e.Alerts.Page).To(BeNil())
		Expect(e.RetriesAfter[0].Status).To(Equal(scenarios.StatusList{401, 403, 404}))
		Expect(e.RetriesAfter[0].Max.String()).To(Equal("<=0"))
		Expect(*sc.EvidenceRuns).To(Equal(3))
		Expect(*f[1].Optional).To(BeTrue())
		Expect(f[0].MustFire()).To(BeTrue())
		Expect(e.AttemptsPerOperation.Target).To(BeEmpty())
		Expect(e.AttemptsPerOperation.Cmp.String()).To(Equal("<=5"))
		Expect(*e.Backoff.Jitter).To(BeTrue())
		Expect(e.RetryAfterHonored.Honored).To(BeTrue())
		Expect(e.Artifacts.Kinds).To(Equal([]string{"model*.bin", "meta.json"}))
		Expect(e.Artifacts.Duplicates.HoldsInt(0)).To(BeTrue())
		Expect(e.RecoveryTime.HoldsDuration(10 * time.Second)).To(BeTrue())
		Expect(e.RecoveryTime.HoldsDuration(11 * time.Second)).To(BeFalse())
		Expect(e.Duration.String()).To(Equal("<=1m0s"))
		Expect(e.Requests[0].Count.HoldsInt(1)).To(BeTrue())
	})

	It("applies defaults and reads the long forms", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "d.yaml")
		Expect(os.WriteFile(file, []byte(`name: d
targets:
  feature-api: {kind: stub, routes: [{path: /x}]}
  storage: {kind: minio, buckets: [models]}
workload: {exec: [sh, -c, "true"], runs: 3}
faults:
  - {name: f, target: storage, action: {throttle: 1MiB}}
  - {name: p, target: workload, action: {pause: 2s}, after: 1s}
expect:
  attempts_per_operation: {target: storage, max: ">=2"}
  retry_after_honored: {target: storage, honored: false}
  backoff: {target: storage, growing: true}
  artifacts: {bucket: models}
  retries_after: [{target: storage, status: 401, max: 0}]
`), 0o644)).To(Succeed())
		sc, err := scenarios.LoadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Timeout).To(Equal(scenarios.DefaultTimeout))
		Expect(sc.Seed).To(BeNil())
		Expect(sc.Workload.Runs).To(Equal(3))
		Expect(sc.Workload.Restarts).To(Equal(0))
		Expect(sc.Workload.Timeout).To(Equal(scenarios.DefaultTimeout))
		Expect(sc.Workload.RunID).To(BeEmpty())
		Expect(sc.RunIDFor(42, 2)).To(Equal("d-42-2"))
		Expect(sc.Targets[0].Routes[0].Status).To(Equal(200))
		Expect(sc.FirstMinIO().Name).To(Equal("storage"))
		Expect(sc.Faults[0].Action.Action).To(Equal(&injectors.Throttle{Rate: 1 << 20}))
		Expect(sc.Faults[1].IsTimer()).To(BeTrue())
		e := sc.Expect
		Expect(e.AttemptsPerOperation.Target).To(Equal("storage"))
		Expect(e.AttemptsPerOperation.Cmp.HoldsInt(2)).To(BeTrue())
		Expect(e.RetryAfterHonored).To(Equal(&scenarios.RetryAfterHonored{Target: "storage", Honored: false}))
		Expect(e.Backoff.Jitter).To(BeNil())
		Expect(e.Artifacts.Target).To(Equal("storage"))
		Expect(e.RetriesAfter[0].Status).To(Equal(scenarios.StatusList{401}))
	})

	DescribeTable("reads a bare number under max as at most, a bare short form as exactly",
		func(yaml string, want string) {
			sc, err := scenarios.Load("m.yaml", GinkgoT().TempDir(), []byte(`name: m
targets: {storage: {kind: minio, buckets: [models]}}
workload: {exec: [sh, -c, "true"]}
expect:
`+yaml+"\n"))
			Expect(err).NotTo(HaveOccurred())
			e := sc.Expect
			got := ""
			if e.AttemptsPerOperation != nil {
				got = e.AttemptsPerOperation.Cmp.String()
			} else {
				got = e.RetriesAfter[0].Max.String()
			}
			Expect(got).To(Equal(want))
		},
		Entry("short form", "  attempts_per_operation: 3", "==3"),
		Entry("long form max", "  attempts_per_operation: {max: 3}", "<=3"),
		Entry("long form exact", `  attempts_per_operation: {max: "==3"}`, "==3"),
		Entry("retries_after max", "  retries_after: [{status: 401, max: 0}]", "<=0"),
		Entry("retries_after comparison", `  retries_after: [{status: 401, max: "<=0"}]`, "<=0"),
		Entry("retries_after exact", `  retries_after: [{status: 401, max: "==2"}]`, "==2"),
	)

	It("names a missing file", func() {
		_, err := scenarios.LoadFile("testdata/nope.yaml")
		Expect(err).To(MatchError("testdata/nope.yaml: no such file or directory"))
	})

	It("accepts a leading byte order mark", func() {
		dir := GinkgoT().TempDir()
		p := filepath.Join(dir, "bom.yaml")
		Expect(os.WriteFile(p, []byte("\ufeffname: x\ntargets:\n  storage: {kind: minio, buckets: [features]}\nworkload:\n  exec: [\"true\"]\n"), 0o600)).To(Succeed())
		sc, err := scenarios.LoadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Name).To(Equal("x"))
	})

	// FIFOs and devices cannot be committed under testdata; they are made
	// here. Each file-reading entry point refuses them the same way.
	DescribeTable("refuses what is not a regular file, without reading it",
		func(kind string, load func(path string) error) {
			dir := GinkgoT().TempDir()
			p := filepath.Join(dir, "f.yaml")
			want := ""
			switch kind {
			case "fifo":
				Expect(syscall.Mkfifo(p, 0o600)).To(Succeed())
				want = "is a FIFO, not a regular file"
			case "device":
				Expect(os.Symlink("/dev/zero", p)).To(Succeed())
				want = "is a character device, not a regular file"
			case "too large":
				Expect(os.WriteFile(p, bytes.Repeat([]byte("#\n"), scenarios.MaxFileSize/2+1), 0o600)).To(Succeed())
				want = fmt.Sprintf("file too large (%d bytes; at most %d)", scenarios.MaxFileSize+2, scenarios.MaxFileSize)
			}
			Expect(load(p)).To(MatchError(p + ": " + want))
		},
		Entry("a FIFO scenario", "fifo", func(p string) error { _, err := scenarios.LoadFile(p); return err }),
		Entry("a /dev/zero scenario", "device", func(p string) error { _, err := scenarios.LoadFile(p); return err }),
		Entry("an oversized scenario", "too large", func(p string) error { _, err := scenarios.LoadFile(p); return err }),
		Entry("a FIFO faults file", "fifo", func(p string) error { _, err := scenarios.LoadFaults(p); return err }),
		Entry("a /dev/zero faults file", "device", func(p string) error { _, err := scenarios.LoadFaults(p); return err }),
		Entry("a FIFO routes file", "fifo", func(p string) error { _, err := scenarios.LoadRoutes(p); return err }),
		Entry("a /dev/zero routes file", "device", func(p string) error { _, err := scenarios.LoadRoutes(p); return err }),
	)

	DescribeTable("refuses a from_file seed or a policy that is not a regular file, at its key",
		func(key, want string) {
			dir := GinkgoT().TempDir()
			Expect(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600)).To(Succeed())
			Expect(os.Symlink("/dev/zero", filepath.Join(dir, "zero"))).To(Succeed())
			data := "name: x\ntargets:\n  storage:\n    kind: minio\n    buckets: [features]\n    objects:\n      - {bucket: features, key: a, from_file: fifo}\n      - {bucket: features, key: b, from_file: zero}\nworkload:\n  exec: [\"true\"]\n  policy: " + key + "\n"
			_, err := scenarios.Load("x.yaml", dir, []byte(data))
			Expect(err).To(MatchError(`x.yaml:7:47: targets.storage.objects[0].from_file: "fifo": is a FIFO, not a regular file
x.yaml:8:47: targets.storage.objects[1].from_file: "zero": is a character device, not a regular file
x.yaml:11:11: workload.policy: "` + key + `": ` + want))
		},
		Entry("policy a FIFO", "fifo", "is a FIFO, not a regular file"),
		Entry("policy /dev/zero", "zero", "is a character device, not a regular file"),
	)

	It("computes run ids", func() {
		sc := &scenarios.Scenario{Name: "s", Workload: scenarios.Workload{Runs: 1}}
		Expect(sc.RunIDFor(5, 1)).To(Equal("s-5"))
		sc.Workload.RunID = "nightly"
		sc.Workload.Runs = 3
		Expect(sc.RunIDFor(5, 3)).To(Equal("nightly-3"))
	})
})

var _ = Describe("Collect", func() {
	It("takes files as given and the *.yaml directly inside folders", func() {
		dir := GinkgoT().TempDir()
		Expect(os.MkdirAll(filepath.Join(dir, "sub"), 0o755)).To(Succeed())
		for _, f := range []string{"b.yaml", "a.yaml", "c.yml", "notes.txt", "sub/d.yaml"} {
			Expect(os.WriteFile(filepath.Join(dir, f), nil, 0o644)).To(Succeed())
		}
		files, err := scenarios.Collect([]string{"x.yaml", dir})
		Expect(err).To(MatchError("x.yaml: no such file or directory"))
		Expect(files).To(Equal([]string{filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")}))
	})

	It("reports a folder without scenarios", func() {
		_, err := scenarios.Collect([]string{"testdata/no-scenarios"})
		Expect(err).To(MatchError("testdata/no-scenarios: no scenarios in testdata/no-scenarios"))
	})
})

var _ = Describe("LoadFaults", func() {
	It("loads a faults file without targets", func() {
		faults, err := scenarios.LoadFaults("testdata/faults.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(faults).To(HaveLen(2))
		Expect(faults[0].Target).To(BeEmpty())
		Expect(faults[1].Action.Kind()).To(Equal("reset"))
	})

	It("reports errors as scenarios do", func() {
		_, err := scenarios.LoadFaults("testdata/faults-bad.yaml")
		Expect(err).To(MatchError(`testdata/faults-bad.yaml:4:18: faults[0].probability: must be between 0 and 1, got 2
testdata/faults-bad.yaml:6:13: faults[1].target: faults on the workload need a scenario; gameday proxy has no workload`))
	})
})

var _ = DescribeTable("Cmp",
	func(text string, n int, d time.Duration, wantInt, wantDur bool) {
		c, err := scenarios.ParseCmp(text)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.HoldsInt(n)).To(Equal(wantInt))
		Expect(c.HoldsDuration(d)).To(Equal(wantDur))
	},
	Entry("plain count", "3", 3, time.Duration(0), true, false),
	Entry("<=", "<=3", 4, time.Duration(0), false, false),
	Entry(">=", ">=1", 1, time.Duration(0), true, false),
	Entry("==0 on durations", "==0", 0, time.Duration(0), true, true),
	Entry("<10s", "<10s", 0, 9*time.Second, false, true),
	Entry(">2", ">2", 3, time.Duration(0), true, false),
	Entry("duration ==", "2s", 0, 2*time.Second, false, true),
)

var _ = DescribeTable("Size",
	func(text string, want scenarios.Size) {
		Expect(scenarios.ParseSize(text)).To(Equal(want))
	},
	Entry(nil, "1024", scenarios.Size(1024)),
	Entry(nil, "4MiB", scenarios.Size(4<<20)),
	Entry(nil, "512 KiB", scenarios.Size(512<<10)),
	Entry(nil, "1GiB", scenarios.Size(1<<30)),
	Entry(nil, "2MB", scenarios.Size(2_000_000)),
	Entry(nil, "10B", scenarios.Size(10)),
)

var _ = Describe("limits and impossible expectations", func() {
	scenario := func(extra string) []byte {
		return []byte("name: x\ntimeout: 2m\ntargets:\n  storage: {kind: minio, buckets: [features]}\nworkload:\n  exec: [\"true\"]\n" + extra)
	}

	It("rejects a from_file seed object larger than 1GiB", func() {
		dir := GinkgoT().TempDir()
		f, err := os.Create(filepath.Join(dir, "huge.bin"))
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Truncate(int64(scenarios.MaxObjectSize) + 1)).To(Succeed()) // sparse: no disk used
		Expect(f.Close()).To(Succeed())
		data := []byte("name: x\ntargets:\n  storage:\n    kind: minio\n    buckets: [features]\n    objects:\n      - {bucket: features, key: a, from_file: huge.bin}\nworkload:\n  exec: [\"true\"]\n")
		_, err = scenarios.Load("x.yaml", dir, data)
		Expect(err).To(MatchError(ContainSubstring(`x.yaml:7:47: targets.storage.objects[0].from_file: "huge.bin" is 1073741825 bytes, larger than a seed object may be (at most 1GiB)`)))
	})

	DescribeTable("accepts what can still happen",
		func(extra string) {
			_, err := scenarios.Load("x.yaml", GinkgoT().TempDir(), scenario(extra))
			Expect(err).NotTo(HaveOccurred())
		},
		Entry("runs and restarts at the limit", "  runs: 1000\n  restarts: 1000\n"),
		Entry("every in whole seconds", "  runs: 2\n  every: 24h\n"),
		Entry("workload timeout equal to the scenario's", "  timeout: 2m\n"),
		Entry("duration up to the timeout", "expect: {duration: \">=2m\"}\n"),
		Entry("duration just below the timeout", "expect: {duration: \">1m59s\", recovery_time: \"==2m\"}\n"),
		Entry("zero comparisons that can hold", "expect: {pages: \"<=0\", recovery_time: \"<=0s\", duration: \">0s\"}\n"),
		Entry("runs times the run timeout beyond the scenario timeout (risky, not impossible)", "  runs: 10\n  timeout: 1m\n"),
	)
})

var _ = Describe("LoadRoutes", func() {
	write := func(content string) string {
		p := filepath.Join(GinkgoT().TempDir(), "routes.yaml")
		Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
		return p
	}

	It("decodes routes as a stub target does, with status defaulting to 200", func() {
		routes, err := scenarios.LoadRoutes(write("routes:\n  - {method: get, path: /v1/x, json: {a: 1}}\n  - {path: \"/v1/runs/{id}\", status: 201, body: ok, delay: 20ms}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(HaveLen(2))
		Expect(routes[0].Method).To(Equal(scenarios.Methods{"GET"}))
		Expect(routes[0].Status).To(Equal(200))
		Expect(routes[1].Delay).To(Equal(20 * time.Millisecond))
	})

	It("reports every problem on one line each, with positions", func() {
		p := write("routes:\n  - {path: /a, stauts: 201}\n  - {path: b, status: 700}\n")
		_, err := scenarios.LoadRoutes(p)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(Equal(p + `:2:16: routes[0]: unknown key "stauts" (did you mean "status"?)` + "\n" +
			p + `:3:12: routes[1].path: "b" must start with /` + "\n" +
			p + `:3:23: routes[1].status: invalid HTTP status 700: want 100..599`))
	})

	It("needs a routes key", func() {
		p := write("rutes: []\n")
		_, err := scenarios.LoadRoutes(p)
		Expect(err).To(MatchError(ContainSubstring(p + ":")))
		Expect(err.Error()).To(ContainSubstring(`routes`))
	})
})
