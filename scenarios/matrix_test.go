package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/scenarios"
)

var _ = Describe("Matrix", func() {
	It("expands a 3 × 2 matrix in LoadSet into six named combinations, axes in file order, the last varying fastest", func() {
		set := scenarios.LoadSet([]string{"testdata/good/matrix.yaml"})
		Expect(set.Err()).NotTo(HaveOccurred())
		var names []string
		for _, sc := range set.Scenarios {
			names = append(names, sc.Name)
		}
		Expect(names).To(Equal([]string{
			"matrix[RETRY_MODE=standard,policy=default]",
			"matrix[RETRY_MODE=standard,policy=ci]",
			"matrix[RETRY_MODE=adaptive,policy=default]",
			"matrix[RETRY_MODE=adaptive,policy=ci]",
			"matrix[RETRY_MODE=legacy,policy=default]",
			"matrix[RETRY_MODE=legacy,policy=ci]",
		}))
		sc := set.Scenarios[3]
		Expect(sc.Workload.Env).To(Equal(map[string]string{"RETRY_MODE": "adaptive", "KEPT": "yes-it-is"}), "an axis wins over workload.env")
		Expect(sc.Workload.Policy).To(Equal(absPath("../policies/ci.yaml")))
		Expect(set.Scenarios[2].Workload.Policy).To(Equal(absPath("../policies/default.yaml")))
		Expect(sc.Matrix).To(BeNil())
		Expect(sc.Combination).To(Equal([]scenarios.Setting{{Name: "RETRY_MODE", Value: "adaptive"}, {Name: "policy", Value: "ci"}}))
		Expect(sc.BaseName()).To(Equal("matrix"))
		Expect(sc.Slug()).To(Equal("matrix-RETRY_MODE-adaptive-policy-ci"))
		Expect(sc.RunIDFor(7, 1)).To(Equal("matrix-RETRY_MODE-adaptive-policy-ci-7"), "run ids keep to [A-Za-z0-9._-]")
		Expect(sc.Overrides()).To(Equal(scenarios.Override{}), "a combination is chosen by name, not overridden")
		Expect(sc.Pos("faults[0].times")).To(HavePrefix("testdata/good/matrix.yaml:"), "positions are the file's")
	})

	It("leaves a scenario without a matrix as it is", func() {
		sc, err := scenarios.LoadFile("library/storage-503-single-transient.yaml")
		Expect(err).NotTo(HaveOccurred())
		list, err := sc.Combinations()
		Expect(err).NotTo(HaveOccurred())
		Expect(list).To(Equal([]*scenarios.Scenario{sc}))
		Expect(sc.Slug()).To(Equal(sc.Name))
		Expect(sc.BaseName()).To(Equal(sc.Name))
	})

	It("refuses --env and policy overrides of an axis on a combination, and records the others for the replay", func() {
		set := scenarios.LoadSet([]string{"testdata/good/matrix.yaml"})
		Expect(set.Err()).NotTo(HaveOccurred())
		sc := set.Scenarios[0]
		_, err := sc.With(scenarios.Override{Env: map[string]string{"RETRY_MODE": "x"}})
		Expect(err).To(MatchError("matrix[RETRY_MODE=standard,policy=default]: RETRY_MODE is an axis of the matrix of matrix: choose a combination by name (--filter 'matrix[RETRY_MODE=...]') instead"))
		_, err = sc.With(scenarios.Override{Policy: "../policies/default.yaml"})
		Expect(err).To(MatchError(ContainSubstring("policy is an axis of the matrix of matrix")))
		v, err := sc.With(scenarios.Override{Env: map[string]string{"OTHER": "1"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Overrides().Env).To(Equal(map[string]string{"OTHER": "1"}))
		Expect(v.Name).To(Equal(sc.Name))
	})

	It("positions a policy value that does not load, and names taken by another file's combination", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("retry: {max_attempts: -1}\n"), 0o644)).To(Succeed())
		Expect(os.MkdirAll(filepath.Join(dir, "other"), 0o755)).To(Succeed())
		write := func(name, body string) string {
			p := filepath.Join(dir, name)
			Expect(os.WriteFile(p, []byte(body), 0o644)).To(Succeed())
			return p
		}
		base := "targets:\n  storage: {kind: minio}\nworkload:\n  exec: [\"true\"]\n"
		a := write("a.yaml", "name: m\n"+base+"matrix:\n  policy: [bad.yaml]\n")
		set := scenarios.LoadSet([]string{a})
		Expect(set.Problems).NotTo(BeEmpty())
		for _, p := range set.Problems {
			Expect(p).To(HavePrefix(a+":7:12: matrix.policy[0]: "), "one line per problem, positioned at the value")
			Expect(p).NotTo(ContainSubstring("\n"))
		}
		Expect(strings.Join(set.Problems, "\n")).To(ContainSubstring("max_attempts"))

		b := write("b.yaml", "name: m\n"+base+"matrix:\n  MODE: [x, y]\n")
		c := write("c.yaml", "name: m\n"+base+"matrix:\n  MODE: [y]\n")
		set = scenarios.LoadSet([]string{b, c})
		Expect(set.Problems).To(Equal([]string{c + ":1:7: name: scenario name \"m[MODE=y]\" is also used by " + b}))
		Expect(set.Scenarios).To(HaveLen(2), "b's combinations load; c is refused")
	})

	It("refuses two policy files that would show alike in names", func() {
		dir := GinkgoT().TempDir()
		for _, d := range []string{"one", "two"} {
			Expect(os.MkdirAll(filepath.Join(dir, d), 0o755)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(dir, d, "p.yaml"), []byte("retry: {max_attempts: 2}\n"), 0o644)).To(Succeed())
		}
		data := "name: m\ntargets:\n  storage: {kind: minio}\nworkload:\n  exec: [\"true\"]\nmatrix:\n  policy: [one/p.yaml, two/p.yaml]\n"
		_, err := scenarios.Load("m.yaml", dir, []byte(data))
		Expect(err).To(MatchError("m.yaml:7:24: matrix.policy[1]: duplicate combination: one/p.yaml and two/p.yaml both show as policy=p in combination names; rename one file"))
	})
})

func absPath(rel string) string {
	p, err := filepath.Abs(rel)
	Expect(err).NotTo(HaveOccurred())
	return p
}
