package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/cli"
	"github.com/gameday/gameday/internal/testenv"
)

func TestProxyBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(bad, []byte("faults:\n  - name: x\n    action: {status: 999}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("faults:\n  - {name: x, action: {status: 503}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	named := filepath.Join(dir, "named.yaml")
	if err := os.WriteFile(named, []byte("faults:\n  - {name: x, target: storage, action: {status: 503}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--faults", good}, "--upstream is required"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1"}, "--faults is required"},
		{[]string{"proxy", "--upstream", "ftp://x", "--faults", good}, "--upstream"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--kind", "grpc"}, "--kind"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", bad}, bad + ":3:"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--seed", "many"}, "--seed"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--listen", "0.0.0.0:0"}, `--listen "0.0.0.0:0": host 0.0.0.0 is not a loopback address`},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--listen", ":0"}, "is not a loopback address"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--listen", "192.168.1.1:0"}, "is not a loopback address"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--listen", "127.0.0.1:http"}, "must be a number"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", good, "--target", "storage"}, `--target "storage": no fault names it (targets named: none)`},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:1", "--faults", named, "--target", "stroage"}, `--target "stroage": no fault names it (targets named: storage)`},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
	// A faults file's problems are printed as gameday validate prints
	// them: one FILE:LINE:COL line each, nothing else.
	code, _, stderr := runCLI(t, "proxy", "--upstream", "http://127.0.0.1:1", "--faults", bad)
	if want := bad + ":3:22: faults[0].action.status: invalid HTTP status 999: want 100..599\n"; code != cli.ExitBadInput || stderr != want {
		t.Errorf("bad faults file: exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
}

// TestProxyCommand runs the built binary: it prints its address and seed,
// injects, reloads on SIGHUP (keeping the old rules when the new file is
// invalid), and flushes the journal on Ctrl-C.
func TestProxyCommand(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(gexec.CleanupBuildArtifacts)
	minio, err := testenv.StartMinIO(ctx, t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(minio.Stop)

	dir := t.TempDir()
	faults := filepath.Join(dir, "faults.yaml")
	journal := filepath.Join(dir, "journal.jsonl")
	write := func(s string) {
		g.Expect(os.WriteFile(faults, []byte(s), 0o600)).To(Succeed())
	}
	write("faults:\n  - {name: down, match: {path: /minio/health/*}, action: {status: 503}}\n  - {name: boom, action: {crash: {}}, after: 1s}\n")

	sess, err := gexec.Start(exec(bin, "proxy", "--upstream", minio.URL(), "--faults", faults, "--seed", "7", "--journal", journal), gbytes.NewBuffer(), gbytes.NewBuffer())
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { sess.Kill(); <-sess.Exited })
	g.Eventually(sess.Out).WithTimeout(10 * time.Second).Should(gbytes.Say(`listening on http://127\.0\.0\.1:\d+ .*seed 7`))
	g.Expect(sess.Err).To(gbytes.Say(`fault boom: a timer fault \(crash or pause without match\) is ignored`))
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(string(sess.Out.Contents()))

	status := func(path ...string) int {
		p := "/minio/health/live"
		if len(path) > 0 {
			p = path[0]
		}
		resp, err := http.Get(addr + p)
		if err != nil {
			return -1
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	g.Expect(status()).To(Equal(503))

	// The reload keeps "down" (on another path): its totals carry over.
	write("faults:\n  - {name: teapot, match: {path: /minio/health/live}, action: {status: 418}}\n  - {name: down, match: {path: /minio/health/ready}, action: {status: 503}}\n")
	g.Expect(sess.Command.Process.Signal(syscall.SIGHUP)).To(Succeed())
	g.Eventually(sess.Err).WithTimeout(10 * time.Second).Should(gbytes.Say(`reloaded .*: 2 rules`))
	g.Expect(status()).To(Equal(418))
	g.Expect(status("/minio/health/ready")).To(Equal(503))

	write("faults:\n  - {name: broken, action: {status: 999}}\n")
	g.Expect(sess.Command.Process.Signal(syscall.SIGHUP)).To(Succeed())
	g.Eventually(sess.Err).WithTimeout(10 * time.Second).Should(gbytes.Say(`reload .*faults.yaml failed, keeping the previous 2 rules: .*faults.yaml:2:`))
	g.Expect(status()).To(Equal(418))

	g.Expect(sess.Command.Process.Signal(os.Interrupt)).To(Succeed())
	g.Eventually(sess).WithTimeout(10 * time.Second).Should(gexec.Exit(0))
	// Totals by rule name over every armed rule set, in order of first arming.
	g.Expect(sess.Err).To(gbytes.Say(`fault down: matched 2, injected 2\n.*fault teapot: matched 2, injected 2\n`))

	data, err := os.ReadFile(journal)
	g.Expect(err).NotTo(HaveOccurred())
	entries, err := injectors.ReadJournal(bytes.NewReader(data))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(4))
	g.Expect(entries[0].Fault).To(Equal("down"))
	g.Expect(entries[2].Fault).To(Equal("down"))
	g.Expect(entries[3].Fault).To(Equal("teapot"))
	g.Expect(entries[3].Status).To(Equal(418))
}

func exec(name string, args ...string) *osexec.Cmd { return osexec.Command(name, args...) }
