package observe_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/internal/glob"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// req builds a journal entry starting at ms and lasting 2 ms.
func req(target string, run, attempt int, method, path string, ms, status int) observe.Request {
	return observe.Request{Target: target, Run: run, Attempt: attempt, Method: method, Path: path,
		Start: at(ms), End: at(ms + 2), Status: status, Delivered: status != 0}
}

func withFault(r observe.Request, name string) observe.Request { r.Fault = name; return r }

var _ = Describe("Observe", func() {
	It("groups requests into operations per (target, run, attempt, op header or key) and finds retries", func() {
		j := []observe.Request{
			withFault(req("storage", 1, 0, "GET", "/features/a", 0, 503), "one-503"),
			req("storage", 1, 0, "GET", "/features/a", 40, 200),
			req("storage", 1, 0, "GET", "/features/b", 5, 200),
			// A restart's fresh GET is a new operation, not a retry.
			req("storage", 1, 1, "GET", "/features/a", 500, 200),
			// Same path on another target: another operation.
			req("api", 1, 0, "GET", "/features/a", 7, 200),
		}
		o := observe.Observe(observe.Input{Journal: j})
		Expect(o.Operations).To(HaveLen(4))
		Expect(o.Retries("")).To(Equal(1))
		op := o.Operations[0]
		Expect(op.String()).To(Equal("GET /features/a"))
		Expect(op.Attempts()).To(Equal(2))
		Expect(op.Retries[0].After).To(Equal(503))
		Expect(op.Retries[0].Gap).To(Equal(40 * time.Millisecond))
		Expect(op.Retries[0].Sleep).To(Equal(38 * time.Millisecond))
		Expect(op.Timeline()).To(Equal("attempts at 0ms, 40ms"))
		Expect(op.Recovered).To(BeTrue())
		Expect(op.Recovery).To(Equal(42 * time.Millisecond))
		Expect(o.FaultsInjected).To(Equal(1))
		Expect(o.FaultsByName).To(HaveKeyWithValue("one-503", 1))
		Expect(o.RequestsByStatus("storage")).To(Equal(map[int]int{503: 1, 200: 3}))
	})

	It("uses the operation header before the operation key", func() {
		a := req("storage", 1, 0, "PUT", "/models/x", 0, 0)
		a.OpHeader, a.Error = "inv-1", "reset"
		b := req("storage", 1, 0, "PUT", "/models/x", 30, 200)
		b.OpHeader = "inv-1"
		c := req("storage", 1, 0, "PUT", "/models/x", 60, 200)
		c.OpHeader = "inv-2"
		o := observe.Observe(observe.Input{Journal: []observe.Request{a, b, c}})
		Expect(o.Operations).To(HaveLen(2))
		Expect(o.Operations[0].Retries).To(HaveLen(1))
		Expect(o.Operations[0].Retries[0].AfterAnswer).To(Equal("no answer (reset)"))
	})

	It("does not count a request after a success as a retry unless an earlier one failed", func() {
		j := []observe.Request{
			req("s", 1, 0, "GET", "/k", 0, 200),
			req("s", 1, 0, "GET", "/k", 10, 200),
		}
		Expect(observe.Observe(observe.Input{Journal: j}).Retries("")).To(Equal(0))
	})

	It("measures scenario recovery from the first fault to the end of the first successful run after it", func() {
		runs := []observe.RunRecord{
			{Run: 1, Start: at(0), End: at(100), ExitCode: 1},
			{Run: 2, Start: at(200), End: at(900), ExitCode: 0},
			{Run: 3, Start: at(1000), End: at(1100), ExitCode: 0},
		}
		o := observe.Observe(observe.Input{
			Journal: []observe.Request{withFault(req("s", 1, 0, "GET", "/k", 50, 503), "f")},
			Runs:    runs,
		})
		Expect(o.Recovered).To(BeTrue())
		Expect(o.Recovery).To(Equal(850 * time.Millisecond))
		Expect(o.SuccessRate()).To(BeNumerically("~", 2.0/3, 1e-9))
		last, ok := o.LastRun()
		Expect(ok).To(BeTrue())
		Expect(last.Run).To(Equal(3))
	})

	It("counts a timer fault and a run that absorbed the fault", func() {
		o := observe.Observe(observe.Input{
			TimerFaults: []observe.FaultEvent{{Name: "storage-restart", At: at(300)}},
			Runs:        []observe.RunRecord{{Run: 1, Start: at(0), End: at(1300)}},
		})
		Expect(o.FaultsInjected).To(Equal(1))
		Expect(o.Recovery).To(Equal(time.Second))
	})

	It("has no recovery when nothing succeeded after the fault", func() {
		o := observe.Observe(observe.Input{
			Journal: []observe.Request{withFault(req("s", 1, 0, "GET", "/k", 50, 503), "f")},
			Runs:    []observe.RunRecord{{Run: 1, Start: at(0), End: at(40)}, {Run: 2, Start: at(60), End: at(90), Crashed: true}},
		})
		Expect(o.Recovered).To(BeFalse())
	})

	It("counts pages and alerts by DESIGN's page definition; resolves and acks never count", func() {
		ns := []observe.Notification{
			{Source: "alertmanager", Action: "firing", Severity: "info", Valid: true},
			{Source: "alertmanager", Action: "resolved", Severity: "info", Valid: true},
			{Source: "alertmanager", Action: "firing", Severity: "critical", Valid: true},
			{Source: "pagerduty", Action: "trigger", Severity: "critical", Valid: true},
			{Source: "pagerduty", Action: "trigger", Severity: "error", Valid: true},
			{Source: "pagerduty", Action: "trigger", Severity: "warning", Valid: true},
			{Source: "pagerduty", Action: "acknowledge", Severity: "critical", Valid: true},
			{Source: "pagerduty", Action: "resolve", Severity: "critical", Valid: true},
			{Source: "pagerduty", Action: "trigger", Severity: "critical", Valid: false},
		}
		o := observe.Observe(observe.Input{Notifications: ns})
		Expect(o.Pages).To(Equal(3))
		Expect(o.Alerts).To(Equal(map[string]int{"info": 1, "page": 3, "warning": 1}))
	})

	It("reads a journal", func() {
		line := `{"seq":1,"target":"storage","run":1,"attempt":0,"start":"2026-11-27T12:00:00Z","end":"2026-11-27T12:00:00.002Z","method":"GET","path":"/a","query":"","op_header":"","op_key":"GET /a","range":"","status":503,"upstream_status":0,"retry_after_ms":0,"fault":"f","action":"status","delivered":true,"bytes_in":0,"bytes_out":10,"error":""}`
		rs, err := observe.ReadJournal(strings.NewReader(line + "\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(rs).To(HaveLen(1))
		Expect(rs[0].Fault).To(Equal("f"))
	})
})

var _ = Describe("Duplicates", func() {
	v := func(key string, del bool) observe.ObjectVersion {
		return observe.ObjectVersion{Key: key, IsDeleteMarker: del}
	}
	It("counts extra versions of a key, leaving delete markers aside", func() {
		a := observe.Duplicates([]observe.ObjectVersion{
			v("r1/model.bin", false), v("r1/model.bin", false), v("r1/model.bin", true), v("r1/meta.json", false),
		}, []string{"r1"}, nil)
		Expect(a.Duplicates).To(Equal(1))
		Expect(a.Keys).To(Equal(2))
		Expect(a.Versions).To(Equal(3))
		Expect(a.Details).To(ConsistOf("r1/model.bin has 2 versions"))
	})
	It("says whether the extra versions hold identical bytes (a retried write) or not", func() {
		e := func(key, etag string) observe.ObjectVersion { return observe.ObjectVersion{Key: key, ETag: etag} }
		a := observe.Duplicates([]observe.ObjectVersion{e("m.bin", `"abc"`), e("m.bin", "abc"), e("x.bin", `"1"`), e("x.bin", `"2"`)}, nil, nil)
		Expect(a.Duplicates).To(Equal(2))
		Expect(a.Details).To(Equal([]string{
			"m.bin has 2 versions, identical content — a retried write; a conditional create (If-None-Match: *) prevents it",
			"x.bin has 2 versions, different content",
		}))
	})
	It("counts a second model under a new name in the same run through kinds", func() {
		vs := []observe.ObjectVersion{
			v("runs/r1/model-1700000001.bin", false), v("runs/r1/model-1700000002.bin", false),
			v("runs/r1/meta.json", false), v("runs/r2/model-1700000003.bin", false),
			v("runs/r10/model-1.bin", false), // r10 is not r1: segments match whole
		}
		Expect(observe.Duplicates(vs, []string{"r1", "r2"}, []string{"model*.bin", "meta.json"}).Duplicates).To(Equal(1))
		Expect(observe.Duplicates(vs, []string{"r1", "r2"}, nil).Duplicates).To(Equal(0))
	})
	DescribeTable("glob", func(p, n string, want bool) {
		Expect(glob.Match(p, n)).To(Equal(want))
	},
		Entry(nil, "model*.bin", "model.bin", true),
		Entry(nil, "model*.bin", "model-17.bin", true),
		Entry(nil, "model*.bin", "model.json", false),
		Entry(nil, "/features/*", "/features/day/part-0.bin", true),
		Entry(nil, "meta.json", "meta.json", true),
		Entry(nil, "*", "", true),
	)
})
