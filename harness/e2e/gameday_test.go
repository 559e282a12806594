package e2e_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/injectors"
)

var _ = Describe("gameday up, a game day", func() {
	It("lists the armed faults, prints a line per injection, journals every request and leaves a report; its aws command works as printed", func() {
		if _, err := os.Stat("/usr/bin/aws"); err != nil {
			if os.Getenv("CI") == "true" {
				Fail("CI=true and Debian's awscli is missing: apt-get install awscli")
			}
			Skip("Debian's awscli is missing")
		}
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, mine := gameday(nil, "up", "--backend", "process", "--for", "15s", "--out", out, "harness/e2e/testdata/gameday.yaml")
		Eventually(s, 30*time.Second).Should(gbytes.Say(`running for 15s`))
		printed := string(s.Out.Contents())
		Expect(printed).To(MatchRegexp(`(?m)^\s+api-blips\s+feature-api\s+GET /v1/features/\*\s+status 503\s+times 2$`))
		Expect(printed).To(MatchRegexp(`(?m)^\s+one-storage-503\s+storage\s+GET\s+status 503\s+times 1$`))
		envFile := regexp.MustCompile(`env file: (\S+)`).FindStringSubmatch(printed)[1]
		awsLine := regexp.MustCompile(`(?m)^\s+(aws --endpoint-url \S+ s3 ls s3://features/)$`).FindStringSubmatch(printed)
		Expect(awsLine).To(HaveLen(2), printed)
		api := regexp.MustCompile(`(?m)^\s+curl -i (http://127\.0\.0\.1:\d+)/v1/features/x$`).FindStringSubmatch(printed)
		Expect(api).To(HaveLen(2), printed)

		// The aws command as printed, with the env file loaded as printed
		// (Debian's awscli 2.9; its own retries absorb the storage 503).
		aws := exec.Command("sh", "-c", "set -a; . "+envFile+"; set +a; unset AWS_CA_BUNDLE; exec /usr/bin/"+awsLine[1])
		aws.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + GinkgoT().TempDir()}
		listing, err := aws.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(listing))
		Expect(string(listing)).To(ContainSubstring("day/"))

		// Five reads of the stub: the first two get the injected 503s.
		var codes []string
		for i := range 5 {
			c := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", api[1]+"/v1/features/"+string(rune('a'+i)))
			b, err := c.Output()
			Expect(err).NotTo(HaveOccurred())
			codes = append(codes, string(b))
		}
		Expect(codes).To(Equal([]string{"503", "503", "200", "200", "200"}))
		Eventually(s.Out, 5*time.Second).Should(gbytes.Say(`injected api-blips \(status\) on feature-api: GET /v1/features/a → 503 \[1 so far\]`))

		// The journal is on disk per line while the game day goes on.
		live := filepath.Join(out, "gameday-probe", "journal-feature-api.jsonl")
		Eventually(func() int { return len(journalLines(live)) }).Should(Equal(5))

		Eventually(s, 40*time.Second).Should(gexec.Exit(0))
		all := string(s.Out.Contents())
		Expect(strings.Count(all, "injected api-blips")).To(Equal(2))
		Expect(strings.Count(all, "injected one-storage-503")).To(Equal(1))
		Expect(all).To(MatchRegexp(`api-blips\s+armed\s+matched 5, injected 2`))
		Expect(all).To(ContainSubstring("PASS faults_fired"))

		journal := journalLines(filepath.Join(out, "gameday-probe", "journal.jsonl"))
		byTarget := map[string]int{}
		for _, e := range journal {
			byTarget[e.Target]++
		}
		Expect(byTarget["feature-api"]).To(Equal(5))
		Expect(byTarget["storage"]).To(BeNumerically(">=", 2), "the 503 and aws's retry")
		for _, f := range []string{"report.json", "junit.xml", "summary.md"} {
			Expect(filepath.Join(out, f)).To(BeAnExistingFile())
		}
		r := readReport(out)
		sc := scenario(r, "gameday-probe")
		Expect(sc.Metrics.FaultsInjected).To(Equal(3))
		Expect(leftovers(mine)).To(BeEmpty())
	})
})

// journalLines reads a JSONL journal.
func journalLines(path string) []injectors.Entry {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []injectors.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e injectors.Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}
