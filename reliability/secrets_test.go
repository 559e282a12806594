package reliability_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// secretsClient is a workload that puts its credentials everywhere a
// message, a log or a journal could pick them up: in request paths under a
// 503 (so retries and their failed expectations name the path), in an
// alert's name (so the pages message names it), in its stdout and stderr,
// raw, URL-encoded and base64 (also inside a longer base64 string, at every
// alignment). It hands them to the test through $LEAK_FILE, outside --out.
const secretsClient = `#!/bin/sh
printf '%s\n%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$LEAK_FILE"
echo "stdout secret=$AWS_SECRET_ACCESS_KEY key=$AWS_ACCESS_KEY_ID"
echo "stderr secret=$AWS_SECRET_ACCESS_KEY key=$AWS_ACCESS_KEY_ID" >&2
for v in "$AWS_SECRET_ACCESS_KEY" "$AWS_ACCESS_KEY_ID"; do
  printf '%s' "$v" | base64 -w0; echo
  printf '%s' "$v" | base64 -w0 | tr '+/' '-_' | tr -d '='; echo
  printf 'a%s' "$v" | base64 -w0; echo
  printf 'ab%s' "$v" | base64 -w0; echo
  printf 'abc%s!' "$v" | base64 -w0; echo
done
for i in 1 2 3; do
  curl -s -o /dev/null "$GAMEDAY_FEATURE_API_URL/v1/p-$AWS_SECRET_ACCESS_KEY"
  curl -s -o /dev/null "$AWS_ENDPOINT_URL/models/k-$AWS_ACCESS_KEY_ID?note=$AWS_SECRET_ACCESS_KEY"
done
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"team\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"leak-$AWS_SECRET_ACCESS_KEY\",\"severity\":\"page\"},\"annotations\":{\"summary\":\"$AWS_ACCESS_KEY_ID\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}" \
  "$GAMEDAY_ALERT_URL"
exit 0
`

const secretsScenario = `name: secret-in-url
seed: 5
timeout: 1m
targets:
  storage:
    kind: minio
    buckets: [models]
  feature-api:
    kind: stub
    routes:
      - {method: GET, path: "/v1/*", json: {ok: true}}
workload:
  exec: ["sh", "secrets-client.sh"]
  env: {LEAK_FILE: %q}
faults:
  - {name: api-503, target: feature-api, match: {path: "/v1/*"}, action: {status: 503}}
  - {name: s3-503, target: storage, match: {path: "/models/*"}, action: {status: 503}}
expect:
  attempts_per_operation: "<=1"
  retries_after:
    - {status: [503], max: 0}
  pages: 0
`

// secretsForms lists every form of secret that must not appear: raw,
// URL-encoded (query and path escaping), base64 in both alphabets with and
// without padding, and the part of its base64 that a longer string shows at
// each of the three alignments.
func secretsForms(secret string) []string {
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(secret)))
		for off := range 3 {
			// Bytes at off.. of the secret start a fresh 3-byte group when
			// 3-off bytes precede the secret; whole groups encode alike in
			// any longer string.
			rest := []byte(secret)[(3-off)%3:]
			rest = rest[:len(rest)/3*3]
			forms = append(forms, enc.EncodeToString(rest))
		}
	}
	return forms
}

// secretsFiles lists every regular file under dir.
func secretsFiles(dir string) []string {
	var files []string
	Expect(filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			files = append(files, p)
		}
		return err
	})).To(Succeed())
	return files
}

var _ = Describe("secrets in outputs", func() {
	It("leaves no credential, raw, URL-encoded or base64, in any output of a run whose failed expectations name them", func() {
		dir := GinkgoT().TempDir()
		leak := filepath.Join(dir, "creds")
		Expect(os.WriteFile(filepath.Join(dir, "secrets-client.sh"), []byte(secretsClient), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "secrets.yaml"), []byte(fmt.Sprintf(secretsScenario, leak)), 0o644)).To(Succeed())
		out := filepath.Join(dir, "out")
		step := filepath.Join(dir, "step-summary.md")

		cmd := exec.Command(gamedayBin, "run", "--backend", "process", "--out", out, filepath.Join(dir, "secrets.yaml"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "TMPDIR="+dir, "GAMEDAY_STATE_HOME="+filepath.Join(dir, "state"),
			"GITHUB_STEP_SUMMARY="+step, "CI=true")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
		Eventually(s, 2*time.Minute).Should(gexec.Exit(1), "the expectations fail, nothing else")

		b, err := os.ReadFile(leak)
		Expect(err).NotTo(HaveOccurred())
		creds := strings.Fields(string(b))
		Expect(creds).To(HaveLen(2), "the workload ran and wrote its access key and secret key")

		// The failed expectations did get messages: there was something to
		// leak.
		report, err := os.ReadFile(filepath.Join(out, "report.json"))
		Expect(err).NotTo(HaveOccurred())
		for _, name := range []string{"attempts_per_operation", "retries_after[0]", "pages"} {
			Expect(string(report)).To(MatchRegexp(`"name": "%s",\s*"passed": false`, regexp.QuoteMeta(name)))
		}
		Expect(string(report)).To(ContainSubstring("/v1/p-***"), "the path is shown, its secret masked")

		outputs := map[string]string{
			"console stdout":       string(s.Out.Contents()),
			"console stderr":       string(s.Err.Contents()),
			"$GITHUB_STEP_SUMMARY": secretsRead(step),
		}
		files := secretsFiles(out)
		Expect(files).To(ContainElements(
			filepath.Join(out, "report.json"), filepath.Join(out, "junit.xml"), filepath.Join(out, "summary.md"), filepath.Join(out, "report.html"),
			filepath.Join(out, "secret-in-url", "journal.jsonl"),
			filepath.Join(out, "secret-in-url", "workload-run1-attempt0.log")))
		for _, f := range files {
			outputs[f] = secretsRead(f)
		}
		Expect(outputs[filepath.Join(out, "secret-in-url", "workload-run1-attempt0.log")]).To(ContainSubstring("stdout secret=*** key=***"))
		for name, body := range outputs {
			for _, c := range creds {
				for _, form := range secretsForms(c) {
					Expect(body).NotTo(ContainSubstring(form), "a form of a credential (%q) in %s", form, name)
				}
			}
		}
		for _, f := range files {
			switch {
			case strings.HasSuffix(f, ".json"):
				Expect(json.Valid([]byte(outputs[f]))).To(BeTrue(), "%s is not valid JSON", f)
			case strings.HasSuffix(f, ".jsonl"):
				for i, line := range strings.Split(strings.TrimSuffix(outputs[f], "\n"), "\n") {
					Expect(json.Valid([]byte(line))).To(BeTrue(), "%s:%d is not valid JSON: %s", f, i+1, line)
				}
			}
		}
	})
})

func secretsRead(path string) string {
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}
