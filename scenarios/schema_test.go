package scenarios_test

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gameday/gameday/scenarios"
)

func compileSchema() *jsonschema.Schema {
	raw, err := scenarios.JSONSchema()
	Expect(err).NotTo(HaveOccurred())
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	Expect(err).NotTo(HaveOccurred())
	c := jsonschema.NewCompiler()
	Expect(c.AddResource("scenario.schema.json", doc)).To(Succeed())
	sch, err := c.Compile("scenario.schema.json")
	Expect(err).NotTo(HaveOccurred())
	return sch
}

func instance(file string) any {
	data, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	js, err := yaml.YAMLToJSON(data)
	Expect(err).NotTo(HaveOccurred())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	Expect(err).NotTo(HaveOccurred())
	return inst
}

var _ = Describe("JSONSchema", func() {
	It("equals the committed scenario.schema.json", func() {
		got, err := scenarios.JSONSchema()
		Expect(err).NotTo(HaveOccurred())
		if update {
			Expect(os.WriteFile("scenario.schema.json", got, 0o644)).To(Succeed())
		}
		want, err := os.ReadFile("scenario.schema.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(string(want)), "run UPDATE_GOLDEN=1 go test ./scenarios after changing the types")
	})

	It("validates every library file and good fixture", func() {
		sch := compileSchema()
		files, _ := filepath.Glob("library/*.yaml")
		Expect(len(files)).To(BeNumerically(">=", 9))
		good, _ := filepath.Glob("testdata/good/*.yaml")
		for _, f := range append(files, good...) {
			Expect(sch.Validate(instance(f))).To(Succeed(), f)
		}
	})

	DescribeTable("rejects the structural bad fixtures",
		func(name string) {
			err := compileSchema().Validate(instance(filepath.Join("testdata/bad", name+".yaml")))
			Expect(err).To(HaveOccurred())
		},
		Entry(nil, "misspelt-key"),
		Entry(nil, "wrong-types"),
		Entry(nil, "delay-parsecs"),
		Entry(nil, "probability-out-of-range"),
		Entry(nil, "two-actions"),
		Entry(nil, "action-shapes"),
		Entry(nil, "not-a-mapping"),
		Entry(nil, "missing-required"),
		Entry(nil, "unknown-kind"),
		Entry(nil, "unknown-pipeline"),
		Entry(nil, "bad-names"),
		Entry(nil, "expectations"),
		Entry(nil, "stub-routes"),
		Entry(nil, "objects"),
		Entry(nil, "schedule-not-positive"),
		Entry(nil, "reserved-target-names"),
		Entry(nil, "matrix"),
		Entry(nil, "matrix-empty"),
	)
})
