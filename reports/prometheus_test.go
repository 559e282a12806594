package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gameday/gameday/reports"
)

// parseMetrics parses the text exposition format as Prometheus does.
func parseMetrics(text string) map[string]*dto.MetricFamily {
	GinkgoHelper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	Expect(err).NotTo(HaveOccurred(), text)
	return fams
}

// value returns the value of the metric of family name whose labels
// include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.Metric {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Summary != nil:
			return m.Summary.GetSampleSum(), true
		}
	}
	return 0, false
}

var _ = Describe("WriteMetrics", func() {
	It("writes the numbers in the Prometheus text format, which expfmt parses, named gameday_* with units", func() {
		r := timelineFixture()
		var buf bytes.Buffer
		Expect(reports.WriteMetrics(&buf, r)).To(Succeed())
		fams := parseMetrics(buf.String())
		for name := range fams {
			Expect(name).To(HavePrefix("gameday_"))
		}
		Expect(fams["gameday_scenario_recovery_seconds"].GetType()).To(Equal(dto.MetricType_SUMMARY))
		Expect(fams["gameday_run_duration_seconds"].GetType()).To(Equal(dto.MetricType_GAUGE))

		v, ok := value(fams, "gameday_scenario_passed", map[string]string{"scenario": "three-failures-page"})
		Expect(ok).To(BeTrue())
		Expect(v).To(Equal(1.0))
		v, _ = value(fams, "gameday_scenario_gave_up_seconds", map[string]string{"scenario": "three-failures-page"})
		Expect(v).To(BeNumerically("~", 1.3, 0.05))
		v, _ = value(fams, "gameday_scenario_pages", map[string]string{"scenario": "three-failures-page"})
		Expect(v).To(Equal(1.0))
		v, _ = value(fams, "gameday_scenario_alerts", map[string]string{"scenario": "three-failures-page", "severity": "info"})
		Expect(v).To(Equal(1.0))
		v, _ = value(fams, "gameday_scenario_runs", map[string]string{"scenario": "storage-503-single-transient"})
		Expect(v).To(Equal(5.0))
		v, _ = value(fams, "gameday_expectation_passed", map[string]string{"scenario": "storage-503-single-transient", "expectation": "recovery_time"})
		Expect(v).To(Equal(1.0))

		// Under --repeat the recovery summary is over the 5 seeds: count 5,
		// the median 60ms and p95 95ms of summary.md.
		var sum *dto.Summary
		for _, m := range fams["gameday_scenario_recovery_seconds"].Metric {
			if m.Label[0].GetValue() == "storage-503-single-transient" {
				sum = m.Summary
			}
		}
		Expect(sum).NotTo(BeNil())
		Expect(sum.GetSampleCount()).To(Equal(uint64(5)))
		q := map[float64]float64{}
		for _, qq := range sum.Quantile {
			q[qq.GetQuantile()] = qq.GetValue()
		}
		Expect(q).To(Equal(map[float64]float64{0: 0.038, 0.5: 0.06, 0.95: 0.095, 1: 0.095}))
	})

	It("writes the file atomically, replacing what was there", func() {
		path := filepath.Join(GinkgoT().TempDir(), "gameday.prom")
		Expect(os.WriteFile(path, []byte("old"), 0o644)).To(Succeed())
		Expect(reports.WriteMetricsFile(path, fixture())).To(Succeed())
		b, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		fams := parseMetrics(string(b))
		v, _ := value(fams, "gameday_run_exit_code", nil)
		Expect(v).To(Equal(3.0))
		entries, err := os.ReadDir(filepath.Dir(path))
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1), "no temporary file left")
	})
})
