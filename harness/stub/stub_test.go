package stub_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/stub"
	"github.com/gameday/gameday/internal/strictyaml"
	"github.com/gameday/gameday/scenarios"
)

func write(content string) string {
	p := filepath.Join(GinkgoT().TempDir(), "routes.yaml")
	Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
	return p
}

var _ = Describe("routes files", func() {
	It("read scenario syntax: one method or a list, durations, json values", func() {
		routes, err := stub.LoadFile(write(`routes:
  - {method: GET, path: /v1/schema, status: 200, json: {version: 3, tags: [a, b]}}
  - {method: [post, PUT], path: "/v1/runs/{id}/*", status: 201, body: ok, headers: {X-Trace: "1"}, delay: 20ms}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(HaveLen(2))
		Expect(routes[0].Method).To(Equal(stub.Methods{"GET"}))
		Expect(routes[1].Method).To(Equal(stub.Methods{"POST", "PUT"}))
		Expect(routes[0].Status).To(Equal(200), "status defaults to 200 as in a scenario")
		Expect(time.Duration(routes[1].Delay)).To(Equal(20 * time.Millisecond))
		srv, err := stub.NewServer(routes)
		Expect(err).NotTo(HaveOccurred())
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/schema", nil))
		Expect(rec.Body.String()).To(MatchJSON(`{"version":3,"tags":["a","b"]}`))
	})

	It("round-trip through WriteFile", func() {
		in := []stub.Route{{Method: stub.Methods{"GET"}, Path: "/x/*", Status: 204, Delay: stub.Duration(time.Second), JSON: map[string]any{"a": "b"}}}
		p := filepath.Join(GinkgoT().TempDir(), "r.json")
		Expect(stub.WriteFile(p, in)).To(Succeed())
		out, err := stub.LoadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(in))
	})

	DescribeTable("reject bad files with one line per problem, FILE:LINE:COL: path: message",
		func(content, want string) {
			p := write(content)
			_, err := stub.LoadFile(p)
			Expect(err).To(HaveOccurred())
			var errs strictyaml.Errors
			Expect(errors.As(err, &errs)).To(BeTrue(), "a strictyaml.Errors, as for scenarios")
			Expect(err.Error()).To(HavePrefix(p + ":" + want))
			Expect(err.Error()).NotTo(ContainSubstring("\n"), "one line, no source excerpt")
		},
		Entry("misspelt key", "routes:\n  - {path: /a, stauts: 201}\n", `2:16: routes[0]: unknown key "stauts" (did you mean "status"?)`),
		Entry("unknown key", "routes:\n  - {path: /a, colour: red}\n", `2:16: routes[0]: unknown key "colour"`),
		Entry("bad delay", "routes:\n  - {path: /a, delay: soon}\n", `2:23: routes[0].delay: invalid duration "soon"`),
		Entry("status out of range", "routes:\n  - {path: /a, status: 999}\n", `2:24: routes[0].status: invalid HTTP status 999: want 100..599`),
		Entry("json and body", "routes:\n  - {path: /a, json: {a: 1}, body: x}\n", `2:36: routes[0].body: a route has json or body, not both`),
		Entry("path without slash", "routes:\n  - {path: a}\n", `2:12: routes[0].path: "a" must start with /`),
	)

	It("is the scenario loader's route decoder: the same error for the same route", func() {
		p := write("routes:\n  - {method: \"PO ST\", path: /a}\n")
		_, err := stub.LoadFile(p)
		_, serr := scenarios.LoadRoutes(p)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(Equal(serr.Error()))
	})
})

var _ = DescribeTable("route paths",
	func(glob, path string, match bool) {
		re, err := stub.PathPattern(glob)
		Expect(err).NotTo(HaveOccurred())
		Expect(re.MatchString(path)).To(Equal(match))
	},
	Entry("literal", "/v1/schema", "/v1/schema", true),
	Entry("literal is whole", "/v1/schema", "/v1/schema/x", false),
	Entry("star crosses slashes", "/features/*", "/features/day/part-0.bin", true),
	Entry("star matches empty", "/features/*", "/features/", true),
	Entry("param is one segment", "/v1/runs/{id}", "/v1/runs/r1", true),
	Entry("param is not two", "/v1/runs/{id}", "/v1/runs/r1/x", false),
	Entry("param is not empty", "/v1/runs/{id}/x", "/v1/runs//x", false),
	Entry("dots are literal", "/a.json", "/aXjson", false),
)

var _ = Describe("the server", func() {
	It("takes the first matching route and 404s with JSON otherwise", func() {
		srv, err := stub.NewServer([]stub.Route{
			{Path: "/a/*", Status: 500, Body: "first"},
			{Path: "/a/b", Status: 200, Body: "second"},
		})
		Expect(err).NotTo(HaveOccurred())
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("DELETE", "/a/b", nil))
		Expect(rec.Code).To(Equal(500))
		Expect(rec.Body.String()).To(Equal("first"))

		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
		Expect(rec.Code).To(Equal(404))
		Expect(rec.Header().Get("Content-Type")).To(Equal("application/json"))
		Expect(rec.Body.String()).To(MatchJSON(`{"error":"no route","status":404,"method":"GET","path":"/nope"}`))

		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		Expect(rec.Code).To(Equal(200))
	})

	It("gives up a delay when the client goes away", func() {
		srv, err := stub.NewServer([]stub.Route{{Path: "/slow", Delay: stub.Duration(time.Hour)}})
		Expect(err).NotTo(HaveOccurred())
		ts := httptest.NewServer(srv)
		DeferCleanup(ts.Close)
		client := &http.Client{Timeout: 100 * time.Millisecond}
		_, err = client.Get(ts.URL + "/slow")
		Expect(err).To(HaveOccurred())
	})

	It("rejects a path without a leading slash", func() {
		_, err := stub.NewServer([]stub.Route{{Path: "a"}})
		Expect(err).To(MatchError(ContainSubstring("must start with /")))
		_ = io.Discard
		_ = strings.NewReader
	})
})
