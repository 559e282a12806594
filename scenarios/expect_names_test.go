package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/expect"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/scenarios"
)

var _ = Describe("Expect names", func() {
	It("lists the verdict names of an expect block and keeps a subset, renumbering list entries", func() {
		sc, err := scenarios.LoadFile("testdata/good/every-key.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Expect.ExpectationNames()).To(Equal([]string{"outcome", "pages", "alerts.info", "alerts.warning",
			"retries_after[0]", "attempts_per_operation", "backoff.jitter", "backoff.growing", "retry_after_honored",
			"artifacts", "recovery_time", "duration", "requests[0]"}))

		sc.Expect.Requests = append(sc.Expect.Requests, &scenarios.RequestsExpect{Target: "storage", Status: 0, Count: scenarios.Cmp{Op: ">=", N: 1}})
		keep := map[string]bool{"pages": true, "alerts.warning": true, "backoff.growing": true, "requests[1]": true}
		out, renamed := sc.Expect.Only(func(n string) bool { return keep[n] })
		Expect(out.ExpectationNames()).To(Equal([]string{"pages", "alerts.warning", "backoff.growing", "requests[0]"}))
		Expect(renamed).To(Equal(map[string]string{"pages": "pages", "alerts.warning": "alerts.warning",
			"backoff.growing": "backoff.growing", "requests[1]": "requests[0]"}))
		Expect(out.Requests[0].Status).To(Equal(0))
		Expect(out.Backoff.Jitter).To(BeNil())
		Expect(out.Alerts.Info).To(BeNil())
		Expect(sc.Expect.Alerts.Info).NotTo(BeNil(), "the original is not changed")
	})
})

var _ = Describe("Expect names and the judge", func() {
	It("agree on every scenario of the library and the negative set: the judge names its verdicts as ExpectationNames does", func() {
		for _, file := range append(append(fixtures("../library"), fixtures("../negative")...), fixtures("good")...) {
			sc, err := scenarios.LoadFile(file)
			Expect(err).NotTo(HaveOccurred())
			var judged []string
			for _, v := range expect.Judge(expect.Input{Expect: sc.Expect, Obs: observe.Observe(observe.Input{})}) {
				if v.Name != "timeout" && v.Name != "faults_fired" {
					judged = append(judged, v.Name)
				}
			}
			Expect(judged).To(Equal(sc.Expect.ExpectationNames()), file)
		}
	})
})
