package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

func ms(v int64) *int64 { return &v }

// sample is a Result with every field set.
func sample() *reports.Result {
	r := &reports.Result{
		StartedAt:  time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC),
		DurationMS: 5000,
		Backend:    "docker",
		Command:    "gameday run scenarios/library",
		Repeat:     2,
		Scenarios: []reports.Scenario{{
			Name: "a", File: "a.yaml", Seed: 3, Passed: false, DurationMS: 1200,
			Expectations: []reports.Expectation{
				{Name: "pages", Passed: true, Want: "0", Got: "0", Held: 2, Runs: 2},
				{Name: "backoff.growing", Passed: false, Want: "true", Got: "1 gap", Message: "needs 3 gaps", Inconclusive: true, Held: 1, Runs: 2, FailedSeeds: []int64{3}},
			},
			Metrics: reports.Metrics{Requests: 10, FaultsInjected: 2, Attempts: 3, Retries: 2, Pages: 1,
				Alerts: map[string]int{"page": 1, "info": 2, "warning": 0}, DuplicateArtifacts: 1, RecoveryTimeMS: ms(800), SuccessRate: 0.5},
			Error:   "",
			Replay:  "gameday run --seed 3 a.yaml",
			Repeats: &reports.Repeats{Runs: 2, Passed: 1, Seeds: []int64{3, 4}, FailedSeeds: []int64{3}},
		}},
	}
	r.Summarize()
	return r
}

var _ = Describe("report.json", func() {
	It("round-trips through WriteJSON and ReadJSON", func() {
		in := sample()
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, in)).To(Succeed())
		out, err := reports.ReadJSON(&buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(in))
	})

	It("uses the field names DESIGN.md fixes", func() {
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, sample())).To(Succeed())
		var doc map[string]any
		Expect(json.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("format_version", BeNumerically("==", reports.FormatVersion)))
		Expect(doc).To(HaveKey("summary"))
		sc := doc["scenarios"].([]any)[0].(map[string]any)
		for _, k := range []string{"name", "file", "seed", "passed", "duration_ms", "expectations", "metrics"} {
			Expect(sc).To(HaveKey(k))
		}
		exp := sc["expectations"].([]any)[1].(map[string]any)
		for _, k := range []string{"name", "passed", "want", "got", "message"} {
			Expect(exp).To(HaveKey(k))
		}
		m := sc["metrics"].(map[string]any)
		for _, k := range []string{"requests", "faults_injected", "attempts", "retries", "pages", "alerts", "duplicate_artifacts", "recovery_time_ms", "success_rate"} {
			Expect(m).To(HaveKey(k))
		}
		Expect(m["alerts"]).To(Equal(map[string]any{"page": 1.0, "info": 2.0, "warning": 0.0}))
	})

	It("writes empty lists, never null, and zero alerts of every severity, never {}", func() {
		r := &reports.Result{Scenarios: []reports.Scenario{{Name: "a"}, {Name: "b", Metrics: reports.Metrics{Alerts: map[string]int{}}},
			{Name: "c", Metrics: reports.Metrics{Alerts: map[string]int{"page": 2}}}}}
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, r)).To(Succeed())
		Expect(buf.String()).To(ContainSubstring(`"expectations": []`))
		Expect(buf.String()).NotTo(ContainSubstring(`"alerts": {}`))
		var doc struct {
			Scenarios []struct {
				Metrics struct {
					Alerts map[string]int `json:"alerts"`
				} `json:"metrics"`
			} `json:"scenarios"`
		}
		Expect(json.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
		Expect(doc.Scenarios[0].Metrics.Alerts).To(Equal(map[string]int{"info": 0, "warning": 0, "page": 0}))
		Expect(doc.Scenarios[1].Metrics.Alerts).To(Equal(map[string]int{"info": 0, "warning": 0, "page": 0}))
		Expect(doc.Scenarios[2].Metrics.Alerts).To(Equal(map[string]int{"info": 0, "warning": 0, "page": 2}))
		Expect(r.Scenarios[0].Expectations).To(BeNil(), "the caller's result is left alone")
		Expect(r.Scenarios[0].Metrics.Alerts).To(BeNil(), "the caller's result is left alone")
		Expect(r.Scenarios[2].Metrics.Alerts).To(Equal(map[string]int{"page": 2}), "the caller's result is left alone")
		buf.Reset()
		Expect(reports.WriteJSON(&buf, &reports.Result{})).To(Succeed())
		Expect(buf.String()).To(ContainSubstring(`"scenarios": []`))
	})

	It("always writes message, as an empty string when a passed expectation has none", func() {
		r := &reports.Result{Scenarios: []reports.Scenario{{Name: "a", File: "a.yaml",
			Expectations: []reports.Expectation{{Name: "pages", Passed: true, Want: "0", Got: "0"}}}}}
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, r)).To(Succeed())
		var doc struct {
			Scenarios []struct {
				Expectations []map[string]any `json:"expectations"`
			} `json:"scenarios"`
		}
		Expect(json.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
		Expect(doc.Scenarios[0].Expectations[0]).To(HaveKeyWithValue("message", ""))
	})

	It("reads back what WriteJSON writes for repeats with every run", func() {
		agg, err := reports.Aggregate([]reports.Scenario{run(1, true, held("pages")), run(2, false, broke("pages", "1", "paged"))})
		Expect(err).NotTo(HaveOccurred())
		in := &reports.Result{Backend: "process", Repeat: 2, Scenarios: []reports.Scenario{agg}}
		in.Summarize()
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, in)).To(Succeed())
		_, err = reports.ReadJSON(&buf)
		Expect(err).NotTo(HaveOccurred())
	})

	It("writes recovery_time_ms as null when nothing recovered", func() {
		r := sample()
		r.Scenarios[0].Metrics.RecoveryTimeMS = nil
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, r)).To(Succeed())
		Expect(buf.String()).To(ContainSubstring(`"recovery_time_ms": null`))
	})

	DescribeTable("rejects a bad report",
		func(text, wantErr string) {
			_, err := reports.ReadJSON(strings.NewReader(text))
			Expect(err).To(MatchError(ContainSubstring(wantErr)))
		},
		Entry("not JSON", `{"format_version": 1,`, "read report json: unexpected EOF"),
		Entry("unknown field", `{"format_version": 1, "scenarioz": []}`, `unknown field "scenarioz"`),
		Entry("no version", `{"scenarios": []}`, "format_version 0 not supported"),
		Entry("newer version", `{"format_version": 99}`, "format_version 99 not supported"),
		Entry("trailing data", `{"format_version": 1} {}`, "trailing data"),
		Entry("null scenario", `{"format_version":1,"scenarios":[null]}`, "read report json: scenarios[0]: null"),
		Entry("scenario without name", `{"format_version":1,"scenarios":[{"file":"a.yaml"}]}`, "scenarios[0].name: empty"),
		Entry("scenario without file", `{"format_version":1,"scenarios":[{"name":"a"}]}`, "scenarios[0].file: empty"),
		Entry("null expectation", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","expectations":[{"name":"pages"},null]}]}`,
			"scenarios[0].expectations[1]: null"),
		Entry("expectation without name", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","expectations":[{"passed":true}]}]}`,
			"scenarios[0].expectations[0].name: empty"),
		Entry("held more than runs", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","expectations":[{"name":"pages","held":3,"runs":2}]}]}`,
			"scenarios[0].expectations[0]: held 3 of runs 2"),
		Entry("negative counter", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","metrics":{"retries":-1}}]}`,
			"scenarios[0].metrics.retries: negative (-1)"),
		Entry("success rate above 1", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","metrics":{"success_rate":1.5}}]}`,
			"scenarios[0].metrics.success_rate: 1.5, want 0..1"),
		Entry("repeats without runs", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","repeats":{"runs":0,"seeds":[]}}]}`,
			"scenarios[0].repeats.runs: 0, want at least 1"),
		Entry("repeats seeds short", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","repeats":{"runs":2,"seeds":[1]}}]}`,
			"scenarios[0].repeats.seeds: 1 seeds for 2 runs"),
		Entry("null run in repeats", `{"format_version":1,"scenarios":[{"name":"a","file":"a.yaml","repeats":{"runs":1,"seeds":[1],"each":[null]}}]}`,
			"scenarios[0].repeats.each[0]: null"),
	)

	It("names the file in ReadFile errors", func() {
		dir := GinkgoT().TempDir()
		path := filepath.Join(dir, "broken.json")
		Expect(os.WriteFile(path, []byte("nope"), 0o644)).To(Succeed())
		_, err := reports.ReadFile(path)
		Expect(err).To(MatchError(HavePrefix(path + ": read report json:")))
		_, err = reports.ReadFile(filepath.Join(dir, "missing.json"))
		Expect(err).To(MatchError(ContainSubstring("missing.json")))
	})

	It("WriteFiles writes report.json, junit.xml and summary.md that read back", func() {
		dir := GinkgoT().TempDir()
		r := fixture()
		r.Summary = reports.Summary{} // WriteFiles summarizes
		Expect(reports.WriteFiles(dir, r)).To(Succeed())
		back, err := reports.ReadFile(filepath.Join(dir, reports.JSONFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Summary).To(Equal(reports.Summary{Scenarios: 4, Passed: 1, Failed: 3, Errored: 1, Expectations: 12, ExpectationsFailed: 3, Flaky: 1}))
		for _, f := range []string{reports.JUnitFile, reports.MarkdownFile} {
			Expect(filepath.Join(dir, f)).To(BeARegularFile())
		}
	})
})

var _ = Describe("Summarize and replay", func() {
	It("counts scenarios, failures, infrastructure errors and flaky expectations", func() {
		r := fixture()
		Expect(r.Summary).To(Equal(reports.Summary{Scenarios: 4, Passed: 1, Failed: 3, Errored: 1, Expectations: 12, ExpectationsFailed: 3, Flaky: 1}))
		Expect(r.Failed()).To(HaveLen(3))
	})

	It("gives the exit code: infrastructure 3 before failure 1", func() {
		r := fixture()
		Expect(r.ExitCode()).To(Equal(3))
		r.Scenarios = r.Scenarios[:3]
		Expect(r.ExitCode()).To(Equal(1))
		r.Scenarios = r.Scenarios[:1]
		Expect(r.ExitCode()).To(Equal(0))
	})

	It("derives the replay command from seed and file, quoting for the shell", func() {
		Expect(reports.Scenario{Seed: 5, File: "scenarios/library/a.yaml"}.ReplayCommand()).
			To(Equal("gameday run --seed 5 scenarios/library/a.yaml"))
		Expect(reports.ReplayCommand(-1, "my dir/it's.yaml")).
			To(Equal(`gameday run --seed -1 'my dir/it'\''s.yaml'`))
		Expect(reports.Scenario{Seed: 5, File: "a.yaml", Replay: "custom"}.ReplayCommand()).To(Equal("custom"))
	})

	It("replays judged failures only; an infrastructure error gets a fix instead", func() {
		Expect(reports.Scenario{Name: "a", File: "a.yaml"}.Replayable()).To(BeTrue())
		Expect(reports.Scenario{Name: "a", File: "a.yaml"}.Fix()).To(BeEmpty())
		infra := reports.Scenario{Name: "a", File: "a.yaml", Seed: 3,
			Error: "start target storage: binary missing: minio binary /x does not exist; run `make bin/minio`"}
		Expect(infra.Replayable()).To(BeFalse())
		Expect(infra.Fix()).To(Equal("run `make bin/minio`"))
		infra.Error = "start target storage: minio exited with status 1 before it was ready"
		Expect(infra.Fix()).To(HavePrefix("check the target logs in the run's output folder under a/"))
		infra.Error = "interrupted before the scenario finished"
		Expect(infra.Fix()).To(Equal("run it again: gameday run --seed 3 a.yaml"))

		judged := run(1, false, broke("pages", "1", "paged"))
		errored := run(2, false)
		errored.Error = "start target storage: exit 1"
		agg, err := reports.Aggregate([]reports.Scenario{errored, judged})
		Expect(err).NotTo(HaveOccurred())
		Expect(agg.Error).NotTo(BeEmpty())
		Expect(agg.Replayable()).To(BeTrue(), "seed 1 failed a judged expectation")
		Expect(agg.Seed).To(Equal(int64(1)), "the replay points at the judged failure, not the infrastructure error")
	})
})
