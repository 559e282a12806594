package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/compare"
	"github.com/gameday/gameday/reports"
)

// comparison runs gameday compare and reads its compare.json.
func comparison(code int, args ...string) (*compare.Comparison, string, string) {
	out := filepath.Join(GinkgoT().TempDir(), "out")
	s, mine := gameday(nil, append([]string{"compare", "--backend", "process", "--parallel", "2", "--out", out}, args...)...)
	Eventually(s, 3*time.Minute).Should(gexec.Exit(code), string(s.Out.Contents())+string(s.Err.Contents()))
	Expect(leftovers(mine)).To(BeEmpty())
	c, err := compare.ReadFile(filepath.Join(out, compare.JSONFile))
	Expect(err).NotTo(HaveOccurred())
	return c, out, string(s.Out.Contents())
}

func row(c *compare.Comparison, name string) compare.Row {
	for _, r := range c.Scenarios {
		if r.Name == name {
			return r
		}
	}
	Fail("no scenario " + name + " in compare.json")
	return compare.Row{}
}

func names(cs []compare.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

var _ = Describe("gameday compare", func() {
	It("finds no regression between ci.yaml and itself on the library, with the same seeds under both", func() {
		c, out, stdout := comparison(0, "--a", "policy=policies/ci.yaml", "--b", "policy=policies/ci.yaml", "scenarios/library")
		Expect(c.Scenarios).To(HaveLen(10))
		Expect(c.Summary.Regressed).To(BeZero())
		for _, r := range c.Scenarios {
			Expect(r.Regressions).To(BeEmpty(), r.Name)
			Expect(r.A.Error).To(BeEmpty(), r.Name)
			Expect(r.B.Error).To(BeEmpty(), r.Name)
		}
		for _, v := range []string{"a", "b"} {
			r, err := reports.ReadFile(filepath.Join(out, v, reports.JSONFile))
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Scenarios).To(HaveLen(10))
			Expect(filepath.Join(out, v, reports.HTMLFile)).To(BeAnExistingFile())
		}
		a, _ := reports.ReadFile(filepath.Join(out, "a", reports.JSONFile))
		b, _ := reports.ReadFile(filepath.Join(out, "b", reports.JSONFile))
		for i := range a.Scenarios {
			Expect(b.Scenarios[i].Seed).To(Equal(a.Scenarios[i].Seed))
		}
		md, err := os.ReadFile(filepath.Join(out, compare.MarkdownFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(HavePrefix("### gameday compare: no regression in 10 scenarios\n"))
		Expect(stdout).To(MatchRegexp(`(?m)^SCENARIO\s+VERDICT\s+ATTEMPTS\s+RETRIES\s+RECOVERY P50\s+RECOVERY P95\s+PAGES\s+DUPLICATES\s+DURATION$`))
		Expect(stdout).To(ContainSubstring("no regression in 10 scenarios"))
	})

	It("exits 1 for ci.yaml without jitter and names the expectation it breaks", func() {
		c, _, stdout := comparison(1, "--a", "policy=policies/ci.yaml", "--b", "policy=policies/examples/ci-no-jitter.yaml",
			"--filter", "three-failures-page", "--filter", "storage-503-single-transient", "scenarios/library")
		Expect(names(row(c, "three-failures-page").Regressions)).To(ContainElement("backoff.jitter"))
		Expect(stdout).To(MatchRegexp(`(?m)^three-failures-page\s+PASS → FAIL !`))
		Expect(stdout).To(ContainSubstring("three-failures-page: backoff.jitter held under A, fails under B: "))
	})

	It("exits 1 for a policy of fewer attempts and names the outcome and recovery regressions", func() {
		c, out, _ := comparison(1, "--a", "policy=policies/ci.yaml", "--b", "policy=policies/examples/two-attempts.yaml",
			"--filter", "feature-api-latency-timeout", "--filter", "three-failures-page", "scenarios/library")
		lat := row(c, "feature-api-latency-timeout")
		Expect(names(lat.Regressions)).To(ContainElements("outcome", "attempts_per_operation", "recovery_median"))
		Expect(names(row(c, "three-failures-page").Regressions)).To(ContainElement("attempts_per_operation"))
		md, err := os.ReadFile(filepath.Join(out, compare.MarkdownFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(ContainSubstring("- `feature-api-latency-timeout`: `outcome` held under A, fails under B"))
		Expect(string(md)).To(ContainSubstring("recovered under A (median "))
	})

	DescribeTable("rejects bad input in one line, exit 2, before running anything",
		func(msg string, args ...string) {
			s, _ := gameday(nil, append([]string{"compare", "--backend", "process"}, args...)...)
			Eventually(s, time.Minute).Should(gexec.Exit(2))
			errOut := strings.TrimSpace(string(s.Err.Contents()))
			Expect(errOut).To(ContainSubstring(msg))
			Expect(strings.Count(errOut, "\n")).To(BeZero(), errOut)
		},
		Entry("a missing policy", "missing.yaml", "--b", "policy=missing.yaml", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("a SPEC that is neither", `"jitter=none": want policy=FILE or env:NAME=VALUE`, "--b", "jitter=none", "scenarios/library"),
		Entry("no --b", "--b is required", "scenarios/library"),
		Entry("a variable the harness sets", "AWS_ACCESS_KEY_ID is set by the harness", "--b", "env:AWS_ACCESS_KEY_ID=x", "scenarios/library/storage-503-single-transient.yaml"),
		Entry("a bad tolerance", "--tolerance", "--b", "policy=policies/ci.yaml", "--tolerance", "lots", "scenarios/library"),
	)
})
