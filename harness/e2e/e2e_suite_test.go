package e2e_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/internal/testenv"
)

// TestE2E runs the e2e specs. Specs labelled "slow" (repeated runs, some
// beside a CPU hog) run only when GAMEDAY_SLOW is set, and then alone:
// make test runs them after every other package, so the hog slows nothing
// else.
func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	suite, reporter := GinkgoConfiguration()
	if suite.LabelFilter == "" {
		suite.LabelFilter = "!slow"
		if os.Getenv("GAMEDAY_SLOW") != "" {
			suite.LabelFilter = "slow"
		}
	}
	RunSpecs(t, "e2e", suite, reporter)
}

var (
	gamedayBin string
	root       string
)

var _ = SynchronizedBeforeSuite(func() []byte {
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	Expect(err).NotTo(HaveOccurred())
	// The harness looks for MinIO beside the gameday binary too.
	if mb, err := testenv.MinIOBinary(); err == nil {
		_ = os.Symlink(mb, filepath.Join(filepath.Dir(bin), "minio"))
	}
	b, _ := json.Marshal(bin)
	return b
}, func(b []byte) {
	Expect(json.Unmarshal(b, &gamedayBin)).To(Succeed())
	var err error
	root, err = testenv.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Setenv("GAMEDAY_BIN", gamedayBin)).To(Succeed())
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	gexec.CleanupBuildArtifacts()
})

// requireClients fails (with CI=true) or skips a spec that needs Debian's
// python3-boto3, python3-requests, awscli, rclone, s3cmd and curl, the
// third-party clients the judge is tried on.
func requireClients() {
	err := exec.Command("/usr/bin/python3", "-c", "import boto3, requests").Run()
	for _, prog := range []string{"curl", "/usr/bin/aws", "rclone", "s3cmd"} {
		if err == nil {
			_, err = exec.LookPath(prog)
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			Fail("CI=true and a third-party client is missing: apt-get install python3-boto3 python3-requests awscli rclone s3cmd curl")
		}
		Skip("a third-party client is missing (python3-boto3, python3-requests, awscli, rclone, s3cmd, curl)")
	}
}
