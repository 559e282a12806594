package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
)

var _ = Describe("the workload environment", func() {
	parent := []string{
		"PATH=/usr/bin", "HOME=/root", "LANG=C.UTF-8", "TMPDIR=/tmp",
		"SECRET_OF_PARENT=x", "AWS_PROFILE=prod", "https_proxy=http://proxy", "HTTP_PROXY=http://proxy",
		"AWS_SESSION_TOKEN=tok", "GOFLAGS=-mod=mod",
	}
	w := harness.WorkloadEnv{
		Scenario: "storage-503", Seed: 42, RunID: "nightly-1", Attempt: 1,
		ScheduledAt:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		RunStartedAt: time.Date(2026, 1, 1, 0, 0, 1, 250_000_000, time.FixedZone("x", 3600)),
		SLA:          10 * time.Minute, StateDir: "/state", Policy: "/p/default.yaml",
		S3Endpoint: "http://127.0.0.1:9000", S3Credentials: lifecycle.Credentials{AccessKey: "ak", SecretKey: "sk"},
		TargetURLs: map[string]string{"storage": "http://127.0.0.1:9000", "feature-api": "http://127.0.0.1:9001"},
		AlertURL:   "http://127.0.0.1:1/alertmanager", PagerDutyURL: "http://127.0.0.1:1/v2/enqueue",
		Extra: map[string]string{"EXTRA": "value", "GAMEDAY_RUN_ID": "overridden?", "ALL_PROXY": "x"},
	}

	It("keeps only PATH, HOME, LANG, TMPDIR and workload.env, and sets DESIGN's variables", func() {
		env := harness.Environ(parent, w)
		Expect(env).To(ConsistOf(
			"PATH=/usr/bin", "HOME=/root", "LANG=C.UTF-8", "TMPDIR=/tmp", "EXTRA=value",
			"GAMEDAY_SCENARIO=storage-503", "GAMEDAY_SEED=42", "GAMEDAY_RUN_ID=nightly-1", "GAMEDAY_ATTEMPT=1",
			"GAMEDAY_SCHEDULED_AT=2026-01-01T00:00:00Z", "GAMEDAY_RUN_STARTED_AT=2025-12-31T23:00:01.25Z",
			"GAMEDAY_SLA=10m0s", "GAMEDAY_STATE_DIR=/state", "GAMEDAY_POLICY=/p/default.yaml",
			"AWS_ENDPOINT_URL=http://127.0.0.1:9000", "GAMEDAY_S3_ENDPOINT=http://127.0.0.1:9000",
			"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk", "AWS_REGION=us-east-1",
			"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=127.0.0.1,localhost",
			"GAMEDAY_STORAGE_URL=http://127.0.0.1:9000", "GAMEDAY_FEATURE_API_URL=http://127.0.0.1:9001",
			"GAMEDAY_ALERT_URL=http://127.0.0.1:1/alertmanager", "GAMEDAY_PAGERDUTY_URL=http://127.0.0.1:1/v2/enqueue",
		))
	})

	It("is written to an env file with mode 0600", func() {
		p := filepath.Join(GinkgoT().TempDir(), "env")
		Expect(harness.WriteEnvFile(p, []string{"A=it's", "B=x=y"})).To(Succeed())
		st, err := os.Stat(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		Expect(os.ReadFile(p)).To(Equal([]byte("A='it'\\''s'\nB='x=y'\n")))
	})
})

// fakeController records what timers did to it.
type fakeController struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (f *fakeController) do(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.fail
}
func (f *fakeController) Crash(context.Context) error   { return f.do("crash") }
func (f *fakeController) Restart(context.Context) error { return f.do("restart") }
func (f *fakeController) Pause(context.Context) error   { return f.do("pause") }
func (f *fakeController) Resume(context.Context) error  { return f.do("resume") }
func (f *fakeController) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeClock hands out timers that fire when the test says.
type fakeClock struct {
	mu     sync.Mutex
	timers map[time.Duration][]chan time.Time
	asked  chan time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{timers: map[time.Duration][]chan time.Time{}, asked: make(chan time.Duration, 16)}
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.timers[d] = append(c.timers[d], ch)
	c.mu.Unlock()
	c.asked <- d
	return ch
}

func (c *fakeClock) Fire(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.timers[d] {
		ch <- time.Time{}
	}
	delete(c.timers, d)
}

var _ = Describe("timer faults", func() {
	It("crash after `after`, then restart after restart_after", func(ctx SpecContext) {
		clock := newFakeClock()
		target := &fakeController{}
		tm := harness.ArmTimers(ctx, []harness.TimerFault{
			{Name: "storage-restart", Target: "storage", Action: "crash", After: 5 * time.Second, Restart: true, RestartAfter: 2 * time.Second},
		}, func(name string) (harness.Controller, bool) { return target, name == "storage" }, harness.TimerOptions{After: clock.After})
		DeferCleanup(tm.Stop)

		Eventually(clock.asked).Should(Receive(Equal(5 * time.Second)))
		Expect(target.Calls()).To(BeEmpty())
		clock.Fire(5 * time.Second)
		Eventually(clock.asked).Should(Receive(Equal(2 * time.Second)))
		Expect(target.Calls()).To(Equal([]string{"crash"}))
		clock.Fire(2 * time.Second)
		Eventually(target.Calls).Should(Equal([]string{"crash", "restart"}))
		Eventually(tm.Events).Should(HaveLen(2))
		Expect(tm.Events()[1]).To(HaveField("Action", "restart"))
	})

	It("pause for a while, and resume at once when stopped early", func(ctx SpecContext) {
		clock := newFakeClock()
		target := &fakeController{}
		tm := harness.ArmTimers(ctx, []harness.TimerFault{
			{Name: "freeze", Target: "storage", Action: "pause", PauseFor: time.Minute},
		}, func(string) (harness.Controller, bool) { return target, true }, harness.TimerOptions{After: clock.After})
		Eventually(clock.asked).Should(Receive(Equal(time.Duration(0))))
		clock.Fire(0)
		Eventually(clock.asked).Should(Receive(Equal(time.Minute)))
		tm.Stop()
		Expect(target.Calls()).To(Equal([]string{"pause", "resume"}))
	})

	It("never fires when stopped before `after`, and reports unknown targets", func(ctx SpecContext) {
		clock := newFakeClock()
		target := &fakeController{fail: errors.New("boom")}
		tm := harness.ArmTimers(ctx, []harness.TimerFault{
			{Name: "late", Target: "storage", Action: "crash", After: time.Hour},
			{Name: "lost", Target: "nowhere", Action: "crash"},
		}, func(name string) (harness.Controller, bool) { return target, name == "storage" }, harness.TimerOptions{After: clock.After})
		Eventually(clock.asked).Should(Receive())
		tm.Stop()
		Expect(target.Calls()).To(BeEmpty())
		Expect(tm.Events()).To(ConsistOf(HaveField("Err", MatchError(ContainSubstring(`unknown target "nowhere"`)))))
		_ = strings.ToUpper
	})
})
