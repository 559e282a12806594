package alerting_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	"github.com/gameday/gameday/harness/receiver"
	"github.com/gameday/gameday/policies/alerting"
)

var _ = Describe("notifications to the real alert receiver", func() {
	var (
		rc    *receiver.Receiver
		dir   string
		env   map[string]string
		logs  *bytes.Buffer
		runAt func(o alerting.Outcome) alerting.Report
	)

	BeforeEach(func(ctx SpecContext) {
		var err error
		rc, err = receiver.Start(ctx, receiver.Options{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(rc.Close)
		dir = GinkgoT().TempDir()
		env = map[string]string{"GAMEDAY_ALERT_URL": rc.AlertmanagerURL(), "GAMEDAY_PAGERDUTY_URL": rc.PagerDutyURL()}
		logs = &bytes.Buffer{}
		runAt = func(o alerting.Outcome) alerting.Report {
			GinkgoHelper()
			store, err := alerting.NewFileStore(dir)
			Expect(err).NotTo(HaveOccurred())
			a, err := alerting.New(defaultPolicy(), store,
				alerting.WithGetenv(func(k string) string { return env[k] }),
				alerting.WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
				alerting.WithSendRetry(alerting.SendRetry{Attempts: 3, Delay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
			Expect(err).NotTo(HaveOccurred())
			rep, err := a.Evaluate(context.Background(), o)
			Expect(err).NotTo(HaveOccurred())
			return rep
		}
	})

	It("sends an info, then a resolve the receiver accepts in both formats", func() {
		runAt(failed("n-1", t0))
		runAt(ok("n-2", t0.Add(24*time.Hour)))
		ns := rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(ns).To(HaveLen(2))
		Expect(ns[0]).To(MatchFields(IgnoreExtras, Fields{"Source": Equal("alertmanager"), "Status": Equal("firing"), "Severity": Equal("info"), "Receiver": Equal("team")}))
		Expect(ns[0].Labels).To(HaveKeyWithValue("alertname", "first-failure"))
		Expect(ns[0].Labels).To(HaveKeyWithValue("run_id", "n-1"))
		Expect(ns[1]).To(MatchFields(IgnoreExtras, Fields{"Status": Equal("resolved"), "DedupKey": Equal(ns[0].DedupKey)}))
		Expect(receiver.Pages(ns)).To(BeZero())
	})

	It("pages exactly once, as a PagerDuty critical trigger, for three failed runs", func() {
		for i, id := range []string{"n-1", "n-2", "n-3"} {
			runAt(failed(id, t0.Add(time.Duration(i)*24*time.Hour)))
		}
		ns := rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(receiver.Pages(ns)).To(Equal(1))
		Expect(receiver.CountBySeverity(ns)).To(Equal(map[string]int{"info": 1, "page": 1}))
		var page receiver.Notification
		for _, n := range ns {
			if receiver.IsPage(n) {
				page = n
			}
		}
		Expect(page).To(MatchFields(IgnoreExtras, Fields{"Source": Equal("pagerduty"), "Status": Equal("trigger"), "Severity": Equal("critical")}))
		Expect(page.Labels).To(HaveKey("safe_to_retry"))
		Expect(page.Labels).To(HaveKey("escalation_path"))
		Expect(page.Labels).To(HaveKeyWithValue("run_id", "n-3"))
	})

	It("pages for a late run", func() {
		o := ok("n-1", t0)
		o.RunStartedAt, o.EndedAt, o.SLA = t0, t0.Add(2*time.Hour), time.Minute
		runAt(o)
		ns := rc.Notifications()
		Expect(receiver.Invalid(ns)).To(BeZero(), "%+v", ns)
		Expect(receiver.Pages(ns)).To(Equal(1))
	})

	It("logs a receiver that stays down and does not fail the evaluation", func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		closed := "http://" + l.Addr().String() + "/alertmanager"
		Expect(l.Close()).To(Succeed())
		env["GAMEDAY_ALERT_URL"] = closed
		rep := runAt(failed("n-1", t0))
		Expect(rep.Failed()).To(HaveLen(1))
		Expect(rep.Failed()[0].Attempts).To(Equal(3))
		Expect(logs.String()).To(ContainSubstring("alert notification failed"))
	})
})
