package harness_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/internal/testenv"
)

func TestHarness(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "harness")
}

// dockerReady is true when a daemon answers and `make images` succeeded.
var dockerReady bool

var _ = SynchronizedBeforeSuite(func() []byte {
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	Expect(err).NotTo(HaveOccurred())
	docker := "no"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cli, err := harness.DockerClient(ctx); err == nil {
		cli.Close()
		root, err := testenv.ModuleRoot()
		Expect(err).NotTo(HaveOccurred())
		// Rebuild the images so the docker specs run the code under test.
		cmd := exec.Command("make", "images")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "make images:\n%s", out)
		docker = "yes"
	}
	return []byte(bin + "\n" + docker)
}, func(data []byte) {
	parts := strings.SplitN(string(data), "\n", 2)
	DeferCleanup(gexec.CleanupBuildArtifacts)
	Expect(os.Setenv("GAMEDAY_BIN", parts[0])).To(Succeed())
	minio, err := testenv.MinIOBinary()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Setenv("GAMEDAY_MINIO_BIN", minio)).To(Succeed())
	state := GinkgoT().TempDir()
	Expect(os.Setenv("GAMEDAY_STATE_HOME", filepath.Join(state, "state"))).To(Succeed())
	dockerReady = parts[1] == "yes"
})

// requireDocker skips a docker spec where no daemon answers, except in CI
// where that is a failure.
func requireDocker() {
	if dockerReady {
		return
	}
	if os.Getenv("CI") == "true" {
		Fail("CI=true but no Docker daemon answers: run scripts/docker-setup.sh")
	}
	Skip("no Docker daemon answers (run scripts/docker-setup.sh)")
}
