package strictyaml_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/goccy/go-yaml/ast"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/strictyaml"
)

type methods []string

func (m *methods) UnmarshalStrictYAML(d *strictyaml.Decoder, n ast.Node) error {
	if s, ok := strictyaml.ScalarText(n); ok {
		*m = methods{s}
		return nil
	}
	if strictyaml.Kind(n) != "list" {
		return fmt.Errorf("expected a method or a list of methods, got %s", strictyaml.Describe(n))
	}
	var list []string
	d.Decode(n, &list)
	*m = list
	return nil
}

type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return errors.New("level must be low or high")
	}
	return nil
}

type inner struct {
	Status int     `yaml:"status"`
	Prob   float64 `yaml:"probability"`
}

type config struct {
	Name    string            `yaml:"name,required"`
	Count   *int              `yaml:"count"`
	Wait    time.Duration     `yaml:"wait"`
	Opt     *time.Duration    `yaml:"opt"`
	Flag    bool              `yaml:"flag"`
	Level   level             `yaml:"level"`
	Method  methods           `yaml:"method"`
	Free    any               `yaml:"free"`
	Env     map[string]string `yaml:"env"`
	Items   []inner           `yaml:"items"`
	Crash   *inner            `yaml:"crash"`
	Skipped string            `yaml:"-"`
}

func decode(src string) (*config, *strictyaml.Doc, string) {
	var c config
	doc, errs := strictyaml.Decode("f.yaml", []byte(src), &c)
	return &c, doc, errs.Error()
}

var _ = Describe("Decode", func() {
	It("decodes every supported shape", func() {
		c, doc, errs := decode(`
name: x
count: 0
wait: 250ms
flag: true
level: high
method: GET
free: {a: [1, "b", true, null, 1.5]}
env: {A: 1, B: two}
items:
  - status: 503
    probability: 0.5
crash:
`)
		Expect(errs).To(BeEmpty())
		Expect(c.Name).To(Equal("x"))
		Expect(c.Count).To(HaveValue(Equal(0)))
		Expect(c.Opt).To(BeNil())
		Expect(c.Wait).To(Equal(250 * time.Millisecond))
		Expect(c.Flag).To(BeTrue())
		Expect(c.Level).To(Equal(level(2)))
		Expect(c.Method).To(Equal(methods{"GET"}))
		Expect(c.Free).To(Equal(map[string]any{"a": []any{uint64(1), "b", true, nil, 1.5}}))
		Expect(c.Env).To(Equal(map[string]string{"A": "1", "B": "two"}))
		Expect(c.Items).To(Equal([]inner{{Status: 503, Prob: 0.5}}))
		Expect(c.Crash).To(Equal(&inner{}))
		Expect(doc.Pos("items[0].probability")).To(Equal(strictyaml.Pos{Line: 12, Col: 18}))
		Expect(doc.Pos("items[0]")).To(Equal(strictyaml.Pos{Line: 11, Col: 5}))
		Expect(doc.Pos("items[0].nothing")).To(Equal(strictyaml.Pos{Line: 11, Col: 5}))
		Expect(doc.Pos("env")).To(Equal(strictyaml.Pos{Line: 9, Col: 1}))
		Expect(doc.Has("opt")).To(BeFalse())
		Expect(doc.Errorf("items[0].status", "bad").Error()).To(Equal("f.yaml:11:13: bad"))
	})

	It("accepts a list for a union", func() {
		c, _, errs := decode("name: x\nmethod: [GET, PUT]\n")
		Expect(errs).To(BeEmpty())
		Expect(c.Method).To(Equal(methods{"GET", "PUT"}))
	})

	DescribeTable("collects every error, positioned",
		func(src, want string) {
			_, _, errs := decode(src)
			Expect(errs).To(Equal(want))
		},
		Entry("unknown key with suggestion", "name: x\nitems:\n  - probabilty: 1\n",
			`f.yaml:3:5: items[0]: unknown key "probabilty" (did you mean "probability"?)`),
		Entry("unknown key without suggestion", "name: x\nzzz: 1\n", `f.yaml:2:1: unknown key "zzz"`),
		Entry("several errors", "name: x\ncount: two\nwait: 5 parsecs\nflag: 1\n",
			"f.yaml:2:8: count: expected an integer, got string \"two\"\n"+
				"f.yaml:3:7: wait: invalid duration \"5 parsecs\": want a Go duration such as \"250ms\", \"2s\" or \"6m\"\n"+
				"f.yaml:4:7: flag: expected true or false, got integer 1"),
		Entry("duration without unit", "name: x\nwait: 5\n", `f.yaml:2:7: wait: duration 5 needs a unit, e.g. 5ms or 5s`),
		Entry("missing required", "count: 1\n", `f.yaml:1:1: missing required key "name"`),
		Entry("duplicate key", "name: x\nname: y\n", `f.yaml:2:1: duplicate key "name" (first at line 1)`),
		Entry("text unmarshaler", "name: x\nlevel: mid\n", `f.yaml:2:8: level: level must be low or high`),
		Entry("union error", "name: x\nmethod: {a: 1}\n", `f.yaml:2:9: method: expected a method or a list of methods, got a mapping`),
		Entry("wrong root", "- a\n", `f.yaml:1:1: expected a mapping, got a list`),
		Entry("empty", "", `f.yaml: empty file`),
		Entry("comments only", "# nothing\n", `f.yaml: empty file`),
		Entry("tabs", "name: x\nitems:\n\t- status: 1\n", `f.yaml:3:1: tab character in indentation; YAML indents with spaces`),
		Entry("syntax", "name: [x\n", `f.yaml:1:7: yaml: sequence end token ']' not found`),
		Entry("two documents", "name: x\n---\nname: y\n", `f.yaml:3:1: only one YAML document is allowed per file`),
		Entry("overflow", "name: x\nitems: [{status: 99999999999999999999}]\n", `f.yaml:2:18: items[0].status: expected an integer, got string "99999999999999999999"`),
		Entry("merge key", "name: x\nitems: [{<<: {status: 1}}]\n", `f.yaml:2:10: items[0]: merge keys (<<) are not supported`),
	)

	It("resolves anchors and stops alias bombs", func() {
		c, _, errs := decode("name: &n x\nenv: {A: *n}\n")
		Expect(errs).To(BeEmpty())
		Expect(c.Env["A"]).To(Equal("x"))
		bomb := "name: x\nfree:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		_, _, errs = decode(bomb)
		Expect(errs).To(ContainSubstring("document too large"))
	})

	It("returns nil from Err when there is nothing wrong", func() {
		Expect(strictyaml.Errors(nil).Err()).To(BeNil())
	})
})
