package pipeline_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/internal/testenv"
)

func TestPipeline(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "pipeline")
}

var (
	gamedayBin string
	server     *testenv.MinIO
)

var _ = SynchronizedBeforeSuite(func() []byte {
	// The pipeline runs as the real binary, a child process the specs kill
	// from outside. Build it once; $GAMEDAY_BIN (set by `make test`, which
	// builds first) saves the build.
	if bin := os.Getenv("GAMEDAY_BIN"); bin != "" {
		if _, err := os.Stat(bin); err == nil {
			return []byte(bin)
		}
	}
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
	return []byte(bin)
}, func(bin []byte) {
	gamedayBin = string(bin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var err error
	server, err = testenv.StartMinIO(ctx, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(server.Stop)
})
