package reports_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

// fixture reads testdata/report.json, the fixed input of the golden tests.
func fixture() *reports.Result {
	GinkgoHelper()
	r, err := reports.ReadFile(filepath.Join("testdata", "report.json"))
	Expect(err).NotTo(HaveOccurred())
	r.Summarize()
	return r
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(name string, got []byte) {
	GinkgoHelper()
	path := filepath.Join("testdata", name)
	if *update {
		Expect(os.WriteFile(path, got, 0o644)).To(Succeed())
	}
	want, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "missing golden file; run go test ./reports -update")
	Expect(string(got)).To(Equal(string(want)), "output differs from %s; if intended, run go test ./reports -update and review the diff", path)
}

var _ = Describe("golden files from testdata/report.json", func() {
	DescribeTable("renders as recorded",
		func(name string, write func(io.Writer, *reports.Result) error) {
			var buf bytes.Buffer
			Expect(write(&buf, fixture())).To(Succeed())
			golden(name, buf.Bytes())
		},
		Entry("summary.md", "summary.golden.md", reports.WriteMarkdown),
		Entry("junit.xml", "junit.golden.xml", reports.WriteJUnit),
		Entry("console table", "table.golden.txt", reports.WriteText),
	)

	It("ends summary.md with the replay command of every scenario that failed a judged expectation", func() {
		var buf bytes.Buffer
		Expect(reports.WriteMarkdown(&buf, fixture())).To(Succeed())
		Expect(buf.String()).To(HaveSuffix("```sh\n" +
			"gameday run --seed 7 scenarios/library/auth-401-fail-fast.yaml\n" +
			"gameday run --seed 1001 'scenarios/library/worker dies after upload.yaml'\n" +
			"```\n"))
	})

	DescribeTable("gives an infrastructure error its fix and no replay",
		func(write func(io.Writer, *reports.Result) error) {
			r := &reports.Result{Backend: "process", Scenarios: []reports.Scenario{{
				Name: "storage-503", File: "storage-503.yaml", Seed: 101,
				Error: "start target storage: binary missing: minio binary $GAMEDAY_MINIO_BIN=/nonexistent does not exist; run `make bin/minio`",
			}}}
			r.Summarize()
			var buf bytes.Buffer
			Expect(write(&buf, r)).To(Succeed())
			Expect(buf.String()).To(ContainSubstring("fix"))
			Expect(buf.String()).To(ContainSubstring("make bin/minio"))
			Expect(buf.String()).NotTo(ContainSubstring("gameday run --seed"))
			Expect(buf.String()).NotTo(MatchRegexp("(?i)replay"))
		},
		Entry("console table", reports.WriteText),
		Entry("summary.md", reports.WriteMarkdown),
		Entry("junit.xml", reports.WriteJUnit),
	)

	It("gives every failed expectation its message with want and got in summary.md", func() {
		var buf bytes.Buffer
		Expect(reports.WriteMarkdown(&buf, fixture())).To(Succeed())
		Expect(buf.String()).To(ContainSubstring("- `retries_after[0]`: want `max 0 after [401 403 404]`, got `4` — 4 retries followed a 401"))
		Expect(buf.String()).To(ContainSubstring("(held 2/3; failed seeds 1001)"))
		Expect(buf.String()).To(ContainSubstring("| storage-503-single-transient | ✅ PASS | 42 | 2 | 1 | 0 | 0 | 1.2s | 3.4s |"))
	})
})
