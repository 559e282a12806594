package receiver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	"github.com/gameday/gameday/harness/receiver"
)

func post(url, body string) (int, string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func amPayload(status, severity string) string {
	return `{"version":"4","groupKey":"{}:{alertname=\"x\"}","status":"` + status + `","receiver":"team",
	  "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"",
	  "alerts":[{"status":"` + status + `","labels":{"alertname":"sustained","severity":"` + severity + `"},
	  "annotations":{"summary":"three failures"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"abc123"}]}`
}

func pdEvent(action, severity, dedup string) string {
	m := map[string]any{"routing_key": "gameday", "event_action": action}
	if dedup != "" {
		m["dedup_key"] = dedup
	}
	if action == "trigger" {
		m["payload"] = map[string]any{"summary": "late data", "source": "pipeline", "severity": severity}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

var _ = Describe("the alert receiver", func() {
	var rc *receiver.Receiver
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	BeforeEach(func(ctx SpecContext) {
		var err error
		rc, err = receiver.Start(ctx, receiver.Options{Now: func() time.Time { return now }})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(rc.Close)
		Expect(rc.Addr()).To(HavePrefix("127.0.0.1:"))
	})

	It("accepts an Alertmanager v4 payload under any /alertmanager path and records each alert", func() {
		code, _ := post(rc.AlertmanagerURL(), amPayload("firing", "page"))
		Expect(code).To(Equal(200))
		code, _ = post(rc.AlertmanagerURL()+"/team", amPayload("firing", "info"))
		Expect(code).To(Equal(200))
		code, _ = post(rc.AlertmanagerURL(), amPayload("resolved", "page"))
		Expect(code).To(Equal(200))

		ns := rc.Notifications()
		Expect(ns).To(HaveLen(3))
		Expect(ns[0]).To(MatchFields(IgnoreExtras, Fields{
			"Source": Equal("alertmanager"), "Valid": BeTrue(), "Status": Equal("firing"),
			"Severity": Equal("page"), "DedupKey": Equal("abc123"), "Time": Equal(now),
			"Summary": Equal("three failures"), "Receiver": Equal("team"),
		}))
		Expect(ns[0].Labels).To(HaveKeyWithValue("alertname", "sustained"))
		Expect(ns[1].Path).To(Equal("/alertmanager/team"))
		Expect(receiver.Pages(ns)).To(Equal(1), "a resolve is no page")
		Expect(receiver.CountBySeverity(ns)).To(Equal(map[string]int{"page": 1, "info": 1}))
	})

	DescribeTable("rejects malformed Alertmanager payloads with 400 and records them as invalid",
		func(body string) {
			code, _ := post(rc.AlertmanagerURL(), body)
			Expect(code).To(Equal(400))
			ns := rc.Notifications()
			Expect(ns).To(HaveLen(1))
			Expect(ns[0].Valid).To(BeFalse())
			Expect(ns[0].Error).NotTo(BeEmpty())
			Expect(receiver.Invalid(ns)).To(Equal(1))
			Expect(receiver.Pages(ns)).To(Equal(0))
		},
		Entry("not JSON", `{"version":`),
		Entry("no version", `{"status":"firing","alerts":[]}`),
		Entry("version 3", strings.Replace(amPayload("firing", "page"), `"4"`, `"3"`, 1)),
		Entry("bad status", amPayload("burning", "page")),
		Entry("no alerts", `{"version":"4","status":"firing","alerts":[]}`),
		Entry("alert without labels", `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{},"startsAt":"2026-01-01T00:00:00Z"}]}`),
	)

	It("answers PagerDuty Events v2 with 202 and the dedup key", func() {
		code, body := post(rc.PagerDutyURL(), pdEvent("trigger", "critical", "run-7"))
		Expect(code).To(Equal(202))
		Expect(body).To(MatchJSON(`{"status":"success","message":"Event processed","dedup_key":"run-7"}`))

		code, body = post(rc.PagerDutyURL(), pdEvent("trigger", "warning", ""))
		Expect(code).To(Equal(202))
		var resp map[string]string
		Expect(json.Unmarshal([]byte(body), &resp)).To(Succeed())
		Expect(resp["dedup_key"]).To(HaveLen(32), "a generated dedup key")

		code, _ = post(rc.PagerDutyURL(), pdEvent("acknowledge", "", "run-7"))
		Expect(code).To(Equal(202))
		code, _ = post(rc.PagerDutyURL(), pdEvent("resolve", "", "run-7"))
		Expect(code).To(Equal(202))
		code, _ = post(rc.PagerDutyURL(), pdEvent("trigger", "error", "run-8"))
		Expect(code).To(Equal(202))

		ns := rc.Notifications()
		Expect(ns).To(HaveLen(5))
		Expect(ns[0]).To(MatchFields(IgnoreExtras, Fields{
			"Source": Equal("pagerduty"), "Status": Equal("trigger"), "Severity": Equal("critical"),
			"DedupKey": Equal("run-7"), "Summary": Equal("late data"),
		}))
		Expect(ns[0].Labels).To(HaveKeyWithValue("source", "pipeline"))
		Expect(receiver.Pages(ns)).To(Equal(2), "critical and error triggers page; ack and resolve do not")
		Expect(receiver.CountBySeverity(ns)).To(Equal(map[string]int{"page": 2, "warning": 1}))
	})

	DescribeTable("rejects invalid PagerDuty events with 400",
		func(body, problem string) {
			code, resp := post(rc.PagerDutyURL(), body)
			Expect(code).To(Equal(400))
			Expect(resp).To(ContainSubstring(`"status":"invalid event"`))
			Expect(resp).To(ContainSubstring(problem))
			ns := rc.Notifications()
			Expect(ns).To(HaveLen(1))
			Expect(ns[0].Valid).To(BeFalse())
			Expect(ns[0].Source).To(Equal("pagerduty"))
		},
		Entry("not JSON", `nope`, "invalid JSON"),
		Entry("no routing key", `{"event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}`, "routing_key"),
		Entry("bad action", `{"routing_key":"k","event_action":"explode"}`, "event_action"),
		Entry("bad severity", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"page"}}`, "payload.severity"),
		Entry("no summary", `{"routing_key":"k","event_action":"trigger","payload":{"source":"x","severity":"info"}}`, "payload.summary"),
		Entry("resolve without dedup key", `{"routing_key":"k","event_action":"resolve"}`, "dedup_key"),
	)

	It("answers 405 to a GET and 404 elsewhere", func() {
		resp, err := http.Get(rc.PagerDutyURL())
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(405))
		code, _ := post("http://"+rc.Addr()+"/other", "{}")
		Expect(code).To(Equal(404))
		Expect(rc.Notifications()).To(BeEmpty())
	})

	It("signals each new notification", func() {
		changed := rc.Changed()
		Consistently(changed, 50*time.Millisecond).ShouldNot(BeClosed())
		post(rc.AlertmanagerURL(), amPayload("firing", "warning"))
		Eventually(changed).Should(BeClosed())
	})
})
