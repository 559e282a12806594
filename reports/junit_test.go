package reports_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/reports"
)

// The Ant JUnit schema (the one Jenkins, GitLab and the JUnit reporters of
// GitHub Actions read), as structural rules: which children each element
// may have, in which order, and which attributes it requires with what type.
var (
	xsDateTimeNoTZ = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	xsDecimal      = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
	xsInt          = regexp.MustCompile(`^-?\d+$`)
)

type attrRule struct {
	name, kind string // kind: token, string, int, decimal, datetime
	required   bool
}

var junitAttrs = map[string][]attrRule{
	"testsuites": {{"name", "string", false}, {"tests", "int", false}, {"failures", "int", false}, {"errors", "int", false}, {"time", "decimal", false}},
	"testsuite": {{"name", "token", true}, {"package", "token", true}, {"id", "int", true}, {"timestamp", "datetime", true},
		{"hostname", "token", true}, {"tests", "int", true}, {"failures", "int", true}, {"errors", "int", true}, {"time", "decimal", true}},
	"property": {{"name", "token", true}, {"value", "string", true}},
	"testcase": {{"name", "token", true}, {"classname", "token", true}, {"time", "decimal", true}},
	"failure":  {{"message", "string", false}, {"type", "string", true}},
	"error":    {{"message", "string", false}, {"type", "string", true}},
}

// junitChildren gives each element's allowed children as a regexp over the
// sequence of child names (each followed by a space).
var junitChildren = map[string]*regexp.Regexp{
	"testsuites": regexp.MustCompile(`^(testsuite )*$`),
	"testsuite":  regexp.MustCompile(`^properties (testcase )*system-out system-err $`),
	"properties": regexp.MustCompile(`^(property )*$`),
	"property":   regexp.MustCompile(`^$`),
	"testcase":   regexp.MustCompile(`^((failure |error ))?$`),
	"failure":    regexp.MustCompile(`^$`),
	"error":      regexp.MustCompile(`^$`),
	"system-out": regexp.MustCompile(`^$`),
	"system-err": regexp.MustCompile(`^$`),
}

type xmlNode struct {
	name     string
	attrs    map[string]string
	children []*xmlNode
	text     string
}

func parseXML(data []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("second root element %s", n.name)
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// validateJUnit checks n against the schema rules and the counts.
func validateJUnit(n *xmlNode) []string {
	var problems []string
	var walk func(n *xmlNode, path string)
	walk = func(n *xmlNode, path string) {
		path += "/" + n.name
		allowed, known := junitChildren[n.name]
		if !known {
			problems = append(problems, path+": element not in the schema")
			return
		}
		var seq strings.Builder
		for _, c := range n.children {
			seq.WriteString(c.name + " ")
		}
		if !allowed.MatchString(seq.String()) {
			problems = append(problems, fmt.Sprintf("%s: children %q not allowed", path, seq.String()))
		}
		rules := junitAttrs[n.name]
		for name := range n.attrs {
			found := false
			for _, r := range rules {
				found = found || r.name == name
			}
			if !found {
				problems = append(problems, fmt.Sprintf("%s: attribute %s not in the schema", path, name))
			}
		}
		for _, r := range rules {
			v, ok := n.attrs[r.name]
			if !ok {
				if r.required {
					problems = append(problems, fmt.Sprintf("%s: required attribute %s missing", path, r.name))
				}
				continue
			}
			bad := false
			switch r.kind {
			case "token":
				bad = strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\n\t\r") || strings.Contains(v, "  ")
			case "int":
				bad = !xsInt.MatchString(v)
			case "decimal":
				bad = !xsDecimal.MatchString(v)
			case "datetime":
				bad = !xsDateTimeNoTZ.MatchString(v)
			}
			if bad {
				problems = append(problems, fmt.Sprintf("%s: attribute %s=%q is not a valid %s", path, r.name, v, r.kind))
			}
		}
		if n.name == "testsuite" || n.name == "testsuites" {
			var tests, failures, errors int
			var count func(*xmlNode)
			count = func(m *xmlNode) {
				switch m.name {
				case "testcase":
					tests++
				case "failure":
					failures++
				case "error":
					errors++
				}
				for _, c := range m.children {
					count(c)
				}
			}
			for _, c := range n.children {
				count(c)
			}
			for attr, want := range map[string]int{"tests": tests, "failures": failures, "errors": errors} {
				if got, ok := n.attrs[attr]; ok && got != strconv.Itoa(want) {
					problems = append(problems, fmt.Sprintf("%s: %s=%s but holds %d", path, attr, got, want))
				}
			}
		}
		for _, c := range n.children {
			walk(c, path)
		}
	}
	if n.name != "testsuites" && n.name != "testsuite" {
		return []string{"root element " + n.name + " is neither testsuites nor testsuite"}
	}
	walk(n, "")
	return problems
}

func junitOf(r *reports.Result) *xmlNode {
	GinkgoHelper()
	var buf bytes.Buffer
	Expect(reports.WriteJUnit(&buf, r)).To(Succeed())
	Expect(buf.String()).To(HavePrefix(`<?xml version="1.0" encoding="UTF-8"?>`))
	root, err := parseXML(buf.Bytes())
	Expect(err).NotTo(HaveOccurred(), buf.String())
	return root
}

var _ = Describe("WriteJUnit", func() {
	It("is valid against the Ant JUnit schema rules", func() {
		Expect(validateJUnit(junitOf(fixture()))).To(BeEmpty())
	})

	It("makes one testsuite per scenario and one testcase per expectation, named by its key", func() {
		root := junitOf(fixture())
		Expect(root.children).To(HaveLen(4))
		suite := root.children[1]
		Expect(suite.attrs["name"]).To(Equal("auth-401-fail-fast"))
		var names []string
		for _, c := range suite.children {
			if c.name == "testcase" {
				names = append(names, c.attrs["name"])
			}
		}
		Expect(names).To(Equal([]string{"outcome", "retries_after[0]", "backoff.jitter", "pages"}))
		failure := suite.children[2].children[0]
		Expect(failure.name).To(Equal("failure"))
		Expect(failure.attrs["message"]).To(Equal("want max 0 after [401 403 404], got 4"))
		Expect(failure.text).To(ContainSubstring("4 retries followed a 401"))
		Expect(failure.text).To(ContainSubstring("replay: gameday run --seed 7 scenarios/library/auth-401-fail-fast.yaml"))
		Expect(suite.children[3].children[0].attrs["type"]).To(Equal("inconclusive"))
	})

	It("reports an infrastructure error as an error testcase", func() {
		suite := junitOf(fixture()).children[3]
		Expect(suite.attrs["errors"]).To(Equal("1"))
		tc := suite.children[1]
		Expect(tc.attrs["name"]).To(Equal(reports.InfrastructureCase))
		Expect(tc.children[0].name).To(Equal("error"))
		Expect(tc.children[0].attrs["message"]).To(ContainSubstring("minio exited"))
	})

	It("stays well-formed and exact for hostile text", func() {
		hostile := "a ]]> b <c> & \"d\" 'e'\nline two \x01"
		r := &reports.Result{Backend: "process", Scenarios: []reports.Scenario{{
			Name: "x", File: "x.yaml", Seed: 1,
			Expectations: []reports.Expectation{{Name: "outcome", Want: "<ok>", Got: "&", Message: hostile}},
		}}}
		r.Summarize()
		root := junitOf(r)
		Expect(validateJUnit(root)).To(BeEmpty())
		failure := root.children[0].children[1].children[0]
		Expect(failure.attrs["message"]).To(Equal("want <ok>, got &"))
		Expect(failure.text).To(HavePrefix("a ]]> b <c> & \"d\" 'e'\nline two \uFFFD\nwant: <ok>"))
	})

	It("writes a valid document for an empty run", func() {
		r := &reports.Result{}
		r.Summarize()
		Expect(validateJUnit(junitOf(r))).To(BeEmpty())
	})
})
