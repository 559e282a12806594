// Package docs_test keeps the user documentation honest: README.md is a
// short front door, every topic page under docs/ is reachable from it, no
// relative link or anchor points nowhere, and no page sends a reader to a
// document they do not have.
package docs_test

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

const (
	root          = ".."
	maxReadme     = 15360 // bytes
	minTopicPages = 8
)

// quickStart is the one code block of the README's Quick start section.
var quickStart = []string{"make run", "make test"}

// pendingPages may be linked before they exist: another branch writes
// them. Once a page exists, links to it (and its anchors) are checked
// like any other.
var pendingPages = map[string]bool{"docs/beyond-one-machine.md": true}

// userDocs returns README.md and every Markdown file under docs/,
// relative to the repository root, sorted.
func userDocs(t *testing.T) []string {
	t.Helper()
	docs := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			docs = append(docs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(docs)
	return docs
}

// topicPages returns docs/*.md (not docs/cli), relative to the root.
func topicPages(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, p := range m {
		rel, _ := filepath.Rel(root, p)
		pages = append(pages, filepath.ToSlash(rel))
	}
	sort.Strings(pages)
	return pages
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// line is one line of a Markdown file with its number and whether it lies
// inside a fenced code block (fence lines included).
type line struct {
	n      int
	text   string
	inCode bool
}

var fence = regexp.MustCompile("^\\s*(```|~~~)")

func lines(text string) []line {
	var out []line
	in := false
	open := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if m := fence.FindStringSubmatch(l); m != nil {
			switch {
			case !in:
				in, open = true, m[1]
				out = append(out, line{n, l, true})
				continue
			case m[1] == open && strings.TrimSpace(l) == open:
				in = false
				out = append(out, line{n, l, true})
				continue
			}
		}
		out = append(out, line{n, l, in})
	}
	return out
}

// link is a Markdown link or image target outside code.
type link struct {
	line   int
	target string
}

var (
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	refLink    = regexp.MustCompile(`(?m)^\s*\[[^\]]+\]:\s*(\S+)`)
	codeSpan   = regexp.MustCompile("`[^`]+`")
)

func links(text string) []link {
	var out []link
	// Link texts may wrap, so links are looked for in runs of lines
	// outside code, not line by line.
	scan := func(run []line) {
		if len(run) == 0 {
			return
		}
		texts := make([]string, len(run))
		for i, l := range run {
			texts[i] = l.text
		}
		s := codeSpan.ReplaceAllStringFunc(strings.Join(texts, "\n"), func(c string) string {
			return strings.Repeat("\n", strings.Count(c, "\n")) // keep line numbers
		})
		at := func(i int) int { return run[0].n + strings.Count(s[:i], "\n") }
		for _, m := range inlineLink.FindAllStringSubmatchIndex(s, -1) {
			out = append(out, link{at(m[0]), s[m[2]:m[3]]})
		}
		for _, m := range refLink.FindAllStringSubmatchIndex(s, -1) {
			out = append(out, link{at(m[0]), s[m[2]:m[3]]})
		}
	}
	var run []line
	for _, l := range lines(text) {
		if l.inCode {
			scan(run)
			run = nil
			continue
		}
		run = append(run, l)
	}
	scan(run)
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, l := range lines(text) {
		if l.inCode {
			continue
		}
		t := strings.TrimLeft(l.text, " ")
		if !strings.HasPrefix(t, "#") {
			continue
		}
		h := strings.TrimLeft(t, "#")
		if len(t)-len(h) > 6 || (h != "" && h[0] != ' ') {
			continue
		}
		s := slug(strings.TrimSpace(h))
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

var mdLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// slug is GitHub's heading anchor: the text of links kept, lower-cased,
// everything but letters, digits, spaces, hyphens and underscores
// dropped, spaces turned into hyphens.
func slug(h string) string {
	h = mdLink.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// resolve turns a link target of the document doc into a path relative to
// the root and a fragment; external reports whether it leaves the
// repository (a URL, mailto:, ...).
func resolve(doc, target string) (path, frag string, external bool, err error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", "", false, err
	}
	if u.Scheme != "" || u.Host != "" {
		return "", "", true, nil
	}
	if u.Path == "" {
		return doc, u.Fragment, false, nil
	}
	p := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(doc), filepath.FromSlash(u.Path))))
	return p, u.Fragment, false, nil
}

func TestReadmeIsAFrontDoor(t *testing.T) {
	fi, err := os.Stat(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > maxReadme {
		t.Errorf("README.md is %d bytes, more than %d: move the detail to a page under docs/", fi.Size(), maxReadme)
	}
}

func TestQuickStartIsTwoLines(t *testing.T) {
	ls := lines(read(t, "README.md"))
	start := -1
	for i, l := range ls {
		if !l.inCode && strings.TrimSpace(l.text) == "## Quick start" {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatal(`README.md has no "## Quick start" section`)
	}
	var block []string
	opened := false
	for _, l := range ls[start+1:] {
		if !l.inCode && strings.HasPrefix(l.text, "## ") {
			break
		}
		if l.inCode && fence.MatchString(l.text) {
			if opened {
				break
			}
			opened = true
			continue
		}
		if opened {
			block = append(block, l.text)
		}
	}
	if !opened {
		t.Fatal("README.md's Quick start has no code block")
	}
	if strings.Join(block, "\n") != strings.Join(quickStart, "\n") {
		t.Errorf("README.md's Quick start block is %q, want exactly %q", block, quickStart)
	}
}

func TestEnoughTopicPages(t *testing.T) {
	if n := len(topicPages(t)); n < minTopicPages {
		t.Errorf("docs/ has %d topic pages, want at least %d", n, minTopicPages)
	}
}

func TestReadmeLinksEveryTopicPage(t *testing.T) {
	linked := map[string]bool{}
	for _, l := range links(read(t, "README.md")) {
		p, _, ext, err := resolve("README.md", l.target)
		if err == nil && !ext {
			linked[p] = true
		}
	}
	for _, p := range topicPages(t) {
		if !linked[p] {
			t.Errorf("README.md does not link %s", p)
		}
	}
}

func TestRelativeLinksResolve(t *testing.T) {
	texts := map[string]string{}
	text := func(p string) (string, bool) {
		if s, ok := texts[p]; ok {
			return s, true
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return "", false
		}
		texts[p] = string(b)
		return texts[p], true
	}
	checked := 0
	for _, doc := range userDocs(t) {
		src, _ := text(doc)
		for _, l := range links(src) {
			p, frag, ext, err := resolve(doc, l.target)
			switch {
			case err != nil:
				t.Errorf("%s:%d: bad link %q: %v", doc, l.line, l.target, err)
				continue
			case ext:
				continue
			}
			checked++
			if strings.HasPrefix(p, "../") {
				t.Errorf("%s:%d: %q points outside the repository", doc, l.line, l.target)
				continue
			}
			fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
			if err != nil {
				if pendingPages[p] && os.IsNotExist(err) {
					continue
				}
				t.Errorf("%s:%d: %q: %s does not exist", doc, l.line, l.target, p)
				continue
			}
			if frag == "" || fi.IsDir() || !strings.HasSuffix(p, ".md") {
				continue
			}
			target, _ := text(p)
			if !anchors(target)[frag] {
				t.Errorf("%s:%d: %q: %s has no heading with anchor #%s", doc, l.line, l.target, p, frag)
			}
		}
	}
	t.Logf("%d relative links checked", checked)
}

func TestNoInsiderReferences(t *testing.T) {
	for _, doc := range userDocs(t) {
		for _, l := range lines(read(t, doc)) {
			if strings.Contains(l.text, "DESIGN") {
				t.Errorf("%s:%d: names DESIGN, a document users do not have", doc, l.n)
			}
			if strings.Contains(l.text, "../shared/") {
				t.Errorf("%s:%d: points into ../shared/, which users do not have", doc, l.n)
			}
		}
	}
}

// TestEveryKeyExampleLoads: the "Every key" example of docs/scenarios.md is
// the fixture scenarios/testdata/good/readme-example.yaml, which the
// scenarios tests load, with its paths written for a file in
// scenarios/<folder>/.
func TestEveryKeyExampleLoads(t *testing.T) {
	fixture := strings.Split(read(t, "scenarios/testdata/good/readme-example.yaml"), "\n")
	if len(fixture) < 3 {
		t.Fatal("readme-example.yaml is too short")
	}
	fixture = append(fixture[:1:1], fixture[2:]...) // drop the line that says what the file is
	want := strings.Join(fixture, "\n")
	want = strings.Replace(want, "$schema=../../scenario.schema.json", "$schema=../scenario.schema.json", 1)
	want = strings.Replace(want, "policy: ../../../policies/default.yaml", "policy: ../../policies/default.yaml", 1)
	want = strings.TrimRight(want, "\n")

	ls := lines(read(t, "docs/scenarios.md"))
	var block []string
	state := 0 // 0 before the heading, 1 before the block, 2 in it
	for _, l := range ls {
		switch {
		case state == 0 && !l.inCode && strings.TrimSpace(l.text) == "## Every key":
			state = 1
		case state == 1 && l.inCode && fence.MatchString(l.text):
			state = 2
		case state == 2 && l.inCode && fence.MatchString(l.text):
			state = 3
		case state == 2:
			block = append(block, l.text)
		}
		if state == 3 {
			break
		}
	}
	if state != 3 {
		t.Fatal(`docs/scenarios.md has no "## Every key" section with a code block`)
	}
	if got := strings.Join(block, "\n"); got != want {
		t.Errorf("docs/scenarios.md's \"Every key\" example differs from scenarios/testdata/good/readme-example.yaml:\n%s", firstDiff(got, want))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d of the block:\n  docs:    %q\n  fixture: %q", i+1, a, b)
		}
	}
	return "(no difference found line by line)"
}

// The helpers above are tested on small inputs, so a broken parser cannot
// make the checks pass vacuously.
func TestHelpers(t *testing.T) {
	md := "# Title\n\n## `gameday proxy`: a standalone fault proxy\n\n```\n## not a heading\n[x](nowhere.md)\n```\n\n" +
		"See [a](docs/a.md#b) and `[c](code.md)` and ![img](img/x.png) and [a wrapped\nlink](w.md).\n\n## report.json\n\n## Title\n"
	a := anchors(md)
	for _, want := range []string{"title", "gameday-proxy-a-standalone-fault-proxy", "reportjson", "title-1"} {
		if !a[want] {
			t.Errorf("anchors: missing %q in %v", want, a)
		}
	}
	if a["not-a-heading"] {
		t.Error("anchors: a line inside a code block counted as a heading")
	}
	var targets []string
	for _, l := range links(md) {
		targets = append(targets, l.target)
	}
	if got, want := strings.Join(targets, " "), "docs/a.md#b img/x.png w.md"; got != want {
		t.Errorf("links: got %q, want %q", got, want)
	}
	if p, f, _, _ := resolve("docs/ci.md", "../README.md#commands"); p != "README.md" || f != "commands" {
		t.Errorf("resolve: got %q %q", p, f)
	}
	if _, _, ext, _ := resolve("README.md", "https://expr-lang.org"); !ext {
		t.Error("resolve: a URL is not external")
	}
}
