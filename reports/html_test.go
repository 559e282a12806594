package reports_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/net/html"

	"github.com/gameday/gameday/reports"
)

// timelineFixture reads testdata/timeline-report.json: real runs of
// minio-crash-restart, three-failures-page and worker-crash-after-upload,
// and storage-503-single-transient under --repeat 5.
func timelineFixture() *reports.Result {
	GinkgoHelper()
	r, err := reports.ReadFile(filepath.Join("testdata", "timeline-report.json"))
	Expect(err).NotTo(HaveOccurred())
	r.Summarize()
	return r
}

func renderHTML(r *reports.Result) string {
	GinkgoHelper()
	var buf bytes.Buffer
	Expect(reports.WriteHTML(&buf, r)).To(Succeed())
	return buf.String()
}

// external lists every attribute of doc that could make a browser fetch
// something from the network: src, href, xlink:href, action, srcset,
// poster, data, formaction, and url(...) in style attributes and
// elements, unless they are fragments (#id) or data: URLs. It also lists
// script, link, iframe, object and embed elements.
func external(doc string) []string {
	GinkgoHelper()
	root, err := html.Parse(strings.NewReader(doc))
	Expect(err).NotTo(HaveOccurred())
	var found []string
	urlIn := regexp.MustCompile(`url\(\s*['"]?([^'")]*)`)
	local := func(v string) bool {
		v = strings.TrimSpace(v)
		return strings.HasPrefix(v, "#") || strings.HasPrefix(v, "data:")
	}
	var walk func(*html.Node)
	walk = func(nd *html.Node) {
		if nd.Type == html.ElementNode {
			switch nd.Data {
			case "script", "link", "iframe", "object", "embed", "base":
				found = append(found, "<"+nd.Data+">")
			case "style":
				if nd.FirstChild != nil {
					for _, m := range urlIn.FindAllStringSubmatch(nd.FirstChild.Data, -1) {
						if !local(m[1]) {
							found = append(found, "style url("+m[1]+")")
						}
					}
				}
			}
			for _, a := range nd.Attr {
				switch strings.ToLower(a.Key) {
				case "src", "href", "action", "srcset", "poster", "data", "formaction", "background":
					if !local(a.Val) {
						found = append(found, a.Key+"="+a.Val)
					}
				case "style", "fill", "stroke":
					for _, m := range urlIn.FindAllStringSubmatch(a.Val, -1) {
						if !local(m[1]) {
							found = append(found, a.Key+" url("+m[1]+")")
						}
					}
				}
				if a.Namespace == "xlink" || strings.HasSuffix(a.Key, ":href") {
					found = append(found, a.Key+"="+a.Val)
				}
			}
		}
		for c := nd.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return found
}

// section returns the part of doc that is the scenario's section.
func section(doc, name string) string {
	GinkgoHelper()
	start := strings.Index(doc, `<section id="s-`+name+`"`)
	Expect(start).To(BeNumerically(">=", 0), "no section for %s", name)
	end := strings.Index(doc[start:], "</section>")
	Expect(end).To(BeNumerically(">", 0))
	return doc[start : start+end]
}

func countKind(doc, kind string) int {
	return strings.Count(doc, `data-kind="`+kind+`"`)
}

var _ = Describe("WriteHTML", func() {
	It("is one self-contained page: nothing fetched, no script, no http(s) reference", func() {
		doc := renderHTML(timelineFixture())
		Expect(doc).To(HavePrefix("<!DOCTYPE html>"))
		Expect(external(doc)).To(BeEmpty())
		Expect(doc).NotTo(MatchRegexp(`https?://`), "not even the SVG namespace: inline SVG in HTML needs none")
		Expect(doc).To(ContainSubstring(`http-equiv="Content-Security-Policy" content="default-src 'none'`))
	})

	It("draws the timeline of three-failures-page: its 3 runs, the 15 injected 503s and the page", func() {
		sec := section(renderHTML(timelineFixture()), "three-failures-page")
		Expect(countKind(sec, "run")).To(Equal(3))
		Expect(countKind(sec, "injected")).To(Equal(15))
		Expect(sec).To(MatchRegexp(`(?s)data-kind="injected"><title>GET /v1/schema → 503`))
		Expect(countKind(sec, "alert-page")).To(Equal(1))
		Expect(countKind(sec, "alert-info")).To(Equal(1))
		Expect(countKind(sec, "gave-up")).To(Equal(1))
		Expect(sec).To(ContainSubstring("gave up after 1.3s"))
		Expect(sec).To(ContainSubstring(`<rect x="0" y="`), "lanes are drawn")
		Expect(sec).To(ContainSubstring(">feature-api</text>"))
	})

	It("marks the crash and the restart of worker-crash-after-upload, and the write whose answer was lost", func() {
		sec := section(renderHTML(timelineFixture()), "worker-crash-after-upload")
		Expect(countKind(sec, "crash")).To(Equal(1))
		Expect(countKind(sec, "restart")).To(Equal(1))
		Expect(sec).To(ContainSubstring("the answer never reached the client"))
		Expect(countKind(sec, "recovery")).To(Equal(1))
		Expect(sec).To(ContainSubstring("recovered after 54ms"))
	})

	It("shades the time minio-crash-restart's storage was down", func() {
		sec := section(renderHTML(timelineFixture()), "minio-crash-restart")
		Expect(sec).To(ContainSubstring(`class="win win-down"`))
	})

	It("gives a repeated scenario per-seed rows, min/median/p95/max and a strip plot, with every seed's timeline", func() {
		sec := section(renderHTML(timelineFixture()), "storage-503-single-transient")
		for _, seed := range []int{101, 102, 103, 104, 105} {
			Expect(sec).To(ContainSubstring(fmt.Sprintf(`<a href="#s-storage-503-single-transient-seed-%d">%d</a>`, seed, seed)))
			Expect(sec).To(ContainSubstring(fmt.Sprintf(`<details id="s-storage-503-single-transient-seed-%d"`, seed)))
		}
		Expect(sec).To(ContainSubstring("<dt>min</dt><dd>38ms</dd>"))
		Expect(sec).To(ContainSubstring("<dt>median</dt><dd>60ms</dd>"))
		Expect(sec).To(ContainSubstring("<dt>p95</dt><dd>95ms</dd>"))
		Expect(sec).To(ContainSubstring("<dt>max</dt><dd>95ms (seed 103)</dd>"))
		Expect(countKind(sec, "seed-recovered")).To(Equal(5))
		Expect(sec).To(MatchRegexp(`<details id="s-storage-503-single-transient-seed-103" class="seed" open>`), "the worst seed is open")
		Expect(strings.Count(sec, `aria-label="timeline"`)).To(Equal(5))
	})

	It("escapes whatever a scenario, a message or a log says", func() {
		hostile := `</title><script>alert(1)</script><img src=https://evil.example/x.png>`
		r := &reports.Result{Backend: "process", Scenarios: []reports.Scenario{{
			Name: "x" + hostile, File: hostile + ".yaml", Seed: 1,
			Expectations: []reports.Expectation{{Name: "pages", Want: "0", Got: hostile, Message: hostile}},
			WorkloadLog:  &reports.LogTail{Path: "x.log", Lines: []string{hostile}},
			Timeline: &reports.Timeline{Targets: []string{hostile}, EndMS: 10,
				Requests: []reports.TimelineRequest{{Target: hostile, Method: "GET", Path: hostile, Status: 503, Fault: hostile, EndMS: 3}},
				Alerts:   []reports.TimelineAlert{{Name: hostile, Level: "page", Firing: true, AtMS: 5}}},
		}}}
		r.Summarize()
		doc := renderHTML(r)
		Expect(doc).NotTo(ContainSubstring("<script"))
		Expect(doc).NotTo(ContainSubstring("<img"))
		Expect(external(doc)).To(BeEmpty())
	})

	It("shows a failed scenario's replay command and the end of its workload log", func() {
		r := fixture()
		r.Scenarios[1].WorkloadLog = &reports.LogTail{Path: "out/auth/workload-run1-attempt0.log", Lines: []string{"Traceback (most recent call last):", "botocore.exceptions.ClientError: 401"}}
		sec := section(renderHTML(r), "auth-401-fail-fast")
		Expect(sec).To(ContainSubstring("replay: <code>gameday run --seed 7 scenarios/library/auth-401-fail-fast.yaml</code>"))
		Expect(sec).To(ContainSubstring("botocore.exceptions.ClientError: 401"))
		Expect(sec).To(ContainSubstring(`<span class="badge fail">FAIL</span>`))
	})

	It("stays under 2 MB with a timeline of as many requests as a report keeps", func() {
		tl := &reports.Timeline{Targets: []string{"storage"}, EndMS: 600_000, Omitted: 12}
		for i := range reports.MaxTimelineRequests {
			tl.Requests = append(tl.Requests, reports.TimelineRequest{Target: "storage", Method: "GET",
				Path: fmt.Sprintf("/features/day/part-%d.bin", i), Status: 200, StartMS: int64(i * 200), EndMS: int64(i*200 + 20)})
		}
		r := &reports.Result{Scenarios: []reports.Scenario{{Name: "long", File: "long.yaml", Timeline: tl}}}
		r.Summarize()
		doc := renderHTML(r)
		Expect(len(doc)).To(BeNumerically("<", 2<<20))
		Expect(doc).To(ContainSubstring("12 successful requests not drawn (the report keeps 3000)"))
	})
})
