package reports_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

// named is run (see aggregate_test.go) with another scenario name and file.
func named(name string, s reports.Scenario) reports.Scenario {
	s.Name, s.File = name, name+".yaml"
	return s
}

// part is one shard's report: its runs of each scenario folded as the
// harness folds them under --repeat.
func part(index, count, repeat int, start time.Time, durMS int64, runs ...reports.Scenario) reports.Part {
	r := &reports.Result{FormatVersion: reports.FormatVersion, StartedAt: start, DurationMS: durMS, Backend: "process",
		Shard: &reports.Shard{Index: index, Count: count}}
	if repeat > 1 {
		r.Repeat = repeat
	}
	var order []string
	by := map[string][]reports.Scenario{}
	for _, s := range runs {
		if _, ok := by[s.Name]; !ok {
			order = append(order, s.Name)
		}
		by[s.Name] = append(by[s.Name], s)
	}
	for _, name := range order {
		if repeat == 1 {
			r.Scenarios = append(r.Scenarios, by[name][0])
			continue
		}
		agg, err := reports.Aggregate(by[name])
		Expect(err).NotTo(HaveOccurred())
		r.Scenarios = append(r.Scenarios, agg)
	}
	r.Summarize()
	return reports.Part{Source: "shard-" + string(rune('0'+index)), Result: r}
}

var _ = Describe("Merge", func() {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	It("folds a scenario's seeds spread over shards as a single run does", func() {
		a1 := named("a", run(1, true, held("pages"), held("artifacts")))
		a2 := named("a", run(2, false, held("pages"), broke("artifacts", "1", "second model")))
		a3 := named("a", run(3, true, held("pages"), held("artifacts")))
		b1 := named("b", run(1, true, held("outcome")))
		b2 := named("b", run(2, true, held("outcome")))
		b3 := named("b", run(3, true, held("outcome")))

		merged, err := reports.Merge([]reports.Part{
			part(2, 3, 3, t0.Add(time.Second), 5000, a2, b1),
			part(1, 3, 3, t0, 3000, a3, b3, b2),
			part(3, 3, 3, t0.Add(2*time.Second), 1000, a1),
		})
		Expect(err).NotTo(HaveOccurred())

		wantA, _ := reports.Aggregate([]reports.Scenario{a1, a2, a3})
		wantB, _ := reports.Aggregate([]reports.Scenario{b1, b2, b3})
		single := &reports.Result{Repeat: 3, Scenarios: []reports.Scenario{wantA, wantB}}
		single.Summarize()

		Expect(merged.Scenarios).To(Equal(single.Scenarios))
		Expect(merged.Summary).To(Equal(single.Summary))
		Expect(merged.Summary.Flaky).To(Equal(1))
		Expect(merged.Repeat).To(Equal(3))
		Expect(merged.Shard).To(BeNil())
		Expect(merged.StartedAt).To(Equal(t0))
		Expect(merged.DurationMS).To(Equal(int64(6000))) // t0 .. shard 2's end
		Expect(merged.ExitCode()).To(Equal(1))
	})

	It("keeps single runs as they are, ordered by file, and an empty shard adds nothing", func() {
		merged, err := reports.Merge([]reports.Part{
			part(1, 3, 1, t0, 10, named("c", run(5, true))),
			part(2, 3, 1, t0, 10),
			part(3, 3, 1, t0, 10, named("a", run(5, true)), named("d", run(5, true))),
		})
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, s := range merged.Scenarios {
			names = append(names, s.Name)
			Expect(s.Repeats).To(BeNil())
		}
		Expect(names).To(Equal([]string{"a", "c", "d"}))
		Expect(merged.ExitCode()).To(Equal(0))

		empty, err := reports.Merge([]reports.Part{part(1, 1, 1, t0, 10)})
		Expect(err).NotTo(HaveOccurred())
		Expect(empty.Scenarios).To(BeEmpty())
		Expect(empty.ExitCode()).To(Equal(0))
	})

	It("gives an infrastructure error precedence, as a single run does", func() {
		broken := named("b", run(1, false))
		broken.Error = "start minio: no binary"
		merged, err := reports.Merge([]reports.Part{
			part(1, 2, 1, t0, 10, named("a", run(1, false, broke("pages", "1", "paged")))),
			part(2, 2, 1, t0, 10, broken),
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(merged.ExitCode()).To(Equal(3))
	})

	DescribeTable("refuses parts that are not of one run",
		func(parts func() []reports.Part, want string) {
			_, err := reports.Merge(parts())
			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, reports.ErrMerge)).To(BeTrue())
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("mixed format versions", func() []reports.Part {
			a, b := part(1, 2, 1, t0, 1), part(2, 2, 1, t0, 1)
			b.Result.FormatVersion = 2
			return []reports.Part{a, b}
		}, "mixed format versions: shard-1 has format_version 1, shard-2 has 2"),
		Entry("a duplicated scenario × seed", func() []reports.Part {
			return []reports.Part{
				part(1, 2, 2, t0, 1, named("a", run(1, true)), named("a", run(2, true))),
				part(2, 2, 2, t0, 1, named("a", run(2, true))),
			}
		}, "scenario a with seed 2 ran in both shard-1 and shard-2"),
		Entry("a scenario twice without repeats", func() []reports.Part {
			return []reports.Part{
				part(1, 2, 1, t0, 1, named("a", run(1, true))),
				part(2, 2, 1, t0, 1, named("a", run(2, true))),
			}
		}, "scenario a ran in both shard-1 and shard-2 without --repeat"),
		Entry("a missing shard", func() []reports.Part {
			return []reports.Part{part(1, 3, 1, t0, 1), part(3, 3, 1, t0, 1)}
		}, "shard 2/3 missing"),
		Entry("a shard given twice", func() []reports.Part {
			return []reports.Part{part(1, 2, 1, t0, 1), part(1, 2, 1, t0, 1), part(2, 2, 1, t0, 1)}
		}, "shard 1/2 given twice"),
		Entry("mixed shard counts", func() []reports.Part {
			return []reports.Part{part(1, 2, 1, t0, 1), part(2, 3, 1, t0, 1)}
		}, "mixed shard counts"),
		Entry("mixed --repeat", func() []reports.Part {
			return []reports.Part{part(1, 2, 2, t0, 1), part(2, 2, 3, t0, 1)}
		}, "mixed --repeat"),
		Entry("one name, two files", func() []reports.Part {
			a, b := named("a", run(1, true)), named("a", run(2, true))
			b.File = "other/a.yaml"
			return []reports.Part{part(1, 2, 2, t0, 1, a), part(2, 2, 2, t0, 1, b)}
		}, "scenario a is a.yaml in shard-1 but other/a.yaml in shard-2"),
	)
})
