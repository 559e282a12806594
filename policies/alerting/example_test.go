package alerting_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/alerting"
)

// printer is a Notifier that prints what it would send.
type printer struct{}

func (printer) Notify(_ context.Context, n alerting.Notification) error {
	fmt.Printf("%s %s %s -> %s\n", n.Action, n.Rule, n.Severity, n.Receiver)
	return nil
}

// Three nightly failures, then a success: one info, one page, one resolve.
func Example() {
	dir, _ := os.MkdirTemp("", "alert-state")
	defer os.RemoveAll(dir)
	p := &policies.Policy{Alerts: policies.Alerts{
		Rules: []policies.AlertRule{
			{Name: "first-failure", When: "failure_count == 1", Severity: policies.SeverityInfo, Notify: []string{"team"}, AutoResolve: true},
			{Name: "sustained", When: "consecutive_failures >= 3", Severity: policies.SeverityPage, Notify: []string{"oncall"}},
		},
		Receivers: map[string]policies.Receiver{
			"team":   {Alertmanager: &policies.AlertmanagerReceiver{URL: "http://127.0.0.1:9093/api/v2/alerts"}},
			"oncall": {PagerDuty: &policies.PagerDutyReceiver{URL: "http://127.0.0.1:9094/v2/enqueue", RoutingKey: "k"}},
		},
	}}
	nightly := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	for n := 1; n <= 4; n++ {
		store, _ := alerting.NewFileStore(dir) // a new process each night
		a, _ := alerting.New(p, store, alerting.WithNotifier("team", printer{}), alerting.WithNotifier("oncall", printer{}))
		rep, _ := a.Evaluate(context.Background(), alerting.Outcome{
			Pipeline: "reference", RunID: fmt.Sprintf("nightly-%d", n), Success: n == 4,
			ErrorClass: "transient", ScheduledAt: nightly.Add(time.Duration(n-1) * 24 * time.Hour),
		})
		fmt.Printf("run %d: consecutive_failures=%d\n", n, rep.Vars.ConsecutiveFailures)
	}
	// Output:
	// trigger first-failure info -> team
	// run 1: consecutive_failures=1
	// run 2: consecutive_failures=2
	// trigger sustained page -> oncall
	// run 3: consecutive_failures=3
	// resolve first-failure info -> team
	// run 4: consecutive_failures=0
}
