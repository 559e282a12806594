package strictyaml_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/strictyaml"
)

// nested returns a mapping whose key x holds a value nested n levels deep
// in the given style.
func nested(style string, n int) string {
	switch style {
	case "flow":
		return "x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	case "flow-map":
		return "x: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n"
	case "block-seq":
		return "x:\n" + strings.Repeat("- ", n) + "a\n"
	case "block-map":
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.Repeat(" ", i) + "k:\n")
		}
		return b.String()
	}
	panic(style)
}

var _ = Describe("nesting", func() {
	deep := fmt.Sprintf("yaml: nested more than %d levels deep", strictyaml.MaxNesting)

	DescribeTable("rejects a document nested deeper than MaxNesting, at the place it gets too deep",
		func(style, at string) {
			var v any
			_, errs := strictyaml.Decode("d.yaml", []byte(nested(style, strictyaml.MaxNesting+1)), &v)
			Expect(errs.Error()).To(Equal("d.yaml:" + at + ": " + deep))
		},
		Entry("flow sequences", "flow", "1:103"),
		Entry("flow mappings", "flow-map", "1:400"),
		Entry("compact block sequences", "block-seq", "2:199"),
		Entry("indented block mappings", "block-map", "101:101"),
	)

	DescribeTable("accepts documents within the bound",
		func(style string) {
			var v any
			_, errs := strictyaml.Decode("d.yaml", []byte(nested(style, strictyaml.MaxNesting-5)), &v)
			Expect(errs.Error()).NotTo(ContainSubstring("nested more than"))
		},
		Entry("flow sequences", "flow"),
		Entry("flow mappings", "flow-map"),
		Entry("compact block sequences", "block-seq"),
		Entry("indented block mappings", "block-map"),
	)

	open := strings.Repeat("[", 300)
	DescribeTable("does not count brackets and dashes that are text",
		func(doc string) {
			var v any
			_, errs := strictyaml.Decode("d.yaml", []byte(doc), &v)
			Expect(errs).To(BeEmpty())
		},
		Entry("in a double-quoted scalar", `a: "`+open+`"`+"\n"),
		Entry("in a single-quoted scalar over lines", "a: '"+open+"\n  it''s "+open+"'\nb: 1\n"),
		Entry("in a comment", "a: 1 # "+open+"\n# "+open+"\n"),
		Entry("in a literal block scalar", "a: |\n  "+open+"\n\n  "+strings.Repeat("- ", 300)+"\nb: 1\n"),
		Entry("in a folded block scalar of a sequence entry", "- >-\n  "+open+"\n- x\n"),
		Entry("inside a plain scalar", "a: see "+open+"\nb: x - - - - y\n"),
		Entry("in a quoted key", "\""+open+"\": 1\n"),
	)

	It("stops the 100k-deep documents of issue 12 at once", func() {
		for _, doc := range []string{nested("flow", 100_000), nested("block-seq", 100_000)} {
			var v any
			_, errs := strictyaml.Decode("d.yaml", []byte(doc), &v)
			Expect(errs.Error()).To(HaveSuffix(deep))
		}
	})

	It("ignores a leading byte order mark", func() {
		var c struct {
			Name string `yaml:"name"`
		}
		_, errs := strictyaml.Decode("d.yaml", []byte("\ufeffname: x\n"), &c)
		Expect(errs).To(BeEmpty())
		Expect(c.Name).To(Equal("x"))
	})
})
