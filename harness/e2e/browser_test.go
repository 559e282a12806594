package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// chromium returns Debian's chromium, which .ci/run installs; without it a
// browser spec fails under CI=true and is skipped elsewhere.
func chromium() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		Fail("CI=true and chromium is missing: apt-get install chromium")
	}
	Skip("chromium missing: apt-get install chromium")
	return ""
}

// pageLoad is what a real browser saw when it opened a page.
type pageLoad struct {
	// Errors are console errors, uncaught exceptions and browser log
	// entries of level error (a CSP violation, a failed load).
	Errors []string
	// Requests are the URLs the page asked for, the page itself left out.
	Requests []string
	// Screenshot is a PNG of the first screen (1280×900).
	Screenshot []byte
	// Full is a PNG of the whole page, when asked for.
	Full []byte
	// Counts are the results of the count queries, by query.
	Counts map[string]int
}

// openInChromium loads the file in headless Chromium through the DevTools
// protocol (chromedp): it records console errors, exceptions, error log
// entries and every network request from before the navigation on, runs
// querySelectorAll(...).length for each of counts, and screenshots the page.
func openInChromium(file string, full bool, counts ...string) pageLoad {
	GinkgoHelper()
	bin := chromium()
	abs, err := filepath.Abs(file)
	Expect(err).NotTo(HaveOccurred())
	page := (&url.URL{Scheme: "file", Path: abs}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(GinkgoT().TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	)...)
	defer cancelAlloc()

	var mu sync.Mutex
	var load pageLoad
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				load.Errors = append(load.Errors, fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			load.Errors = append(load.Errors, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				load.Errors = append(load.Errors, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != page {
				load.Requests = append(load.Requests, ev.Request.URL)
			}
		}
	}))
	defer cancelTab()
	_, err = chromedp.Call(tab, network.Enable, network.EnableParams{})
	Expect(err).NotTo(HaveOccurred())
	_, err = chromedp.Call(tab, cdplog.Enable, cdp.Empty{})
	Expect(err).NotTo(HaveOccurred())
	Expect(chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("footer")))).To(Succeed())

	load.Counts = map[string]int{}
	for _, q := range counts {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", q)))
		Expect(err).NotTo(HaveOccurred(), q)
		load.Counts[q] = n
	}
	load.Screenshot, err = chromedp.Run(tab, chromedp.CaptureScreenshot())
	Expect(err).NotTo(HaveOccurred())
	if full {
		load.Full, err = chromedp.Run(tab, chromedp.FullScreenshot(100))
		Expect(err).NotTo(HaveOccurred())
	}
	mu.Lock()
	defer mu.Unlock()
	return load
}

// notBlank says whether a PNG shows something: more than 3% of its pixels
// are not near-white, in more than 8 distinct colours.
func notBlank(pngData []byte) (bool, string) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return false, err.Error()
	}
	b := img.Bounds()
	inked, total := 0, 0
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r>>8 < 235 || g>>8 < 235 || bl>>8 < 235 {
				inked++
			}
			if len(colours) < 1000 {
				colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
	}
	share := float64(inked) / float64(max(total, 1))
	return share > 0.03 && len(colours) > 8, fmt.Sprintf("%.1f%% inked, %d colours, %v", share*100, len(colours), b.Size())
}

var httpRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*https?://`)

// checkHTMLReport checks the report.html of a run under out: under 2 MB,
// no http(s) reference, and in headless Chromium no console error and no
// request, and a screenshot that is not blank. It returns what the browser
// saw. With $GAMEDAY_SCREENSHOTS set, the full-page screenshot is saved
// there as name.png (docs/ holds the ones from this spec).
func checkHTMLReport(out, name string, counts ...string) pageLoad {
	GinkgoHelper()
	file := filepath.Join(out, "report.html")
	st, err := os.Stat(file)
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry("report.html size ("+name+")", fmt.Sprintf("%d bytes", st.Size()))
	fmt.Fprintf(GinkgoWriter, "report.html of %s: %d bytes\n", name, st.Size())
	Expect(st.Size()).To(BeNumerically("<", 2<<20), "report.html under 2 MB")
	doc, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	Expect(httpRef.FindAllString(string(doc), -1)).To(BeEmpty(), "no http(s) resource reference")

	shots := os.Getenv("GAMEDAY_SCREENSHOTS")
	load := openInChromium(file, shots != "", counts...)
	Expect(load.Errors).To(BeEmpty(), "console errors")
	Expect(load.Requests).To(BeEmpty(), "network requests")
	ok, why := notBlank(load.Screenshot)
	Expect(ok).To(BeTrue(), "the screenshot is blank: %s", why)
	if shots != "" {
		Expect(os.WriteFile(filepath.Join(shots, name+".png"), load.Full, 0o644)).To(Succeed())
	}
	return load
}

var _ = Describe("the browser check itself", func() {
	It("sees a console error, a request and a blank page when there are some", func() {
		dir := GinkgoT().TempDir()
		bad := filepath.Join(dir, "report.html")
		Expect(os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">`+
			`<script>console.error("boom")</script><footer></footer></body></html>`), 0o644)).To(Succeed())
		load := openInChromium(bad, false)
		Expect(strings.Join(load.Errors, "\n")).To(ContainSubstring("console.error"))
		Expect(load.Requests).To(ContainElement("http://127.0.0.1:9/x.png"))
		ok, _ := notBlank(load.Screenshot)
		Expect(ok).To(BeFalse())
	})
})
