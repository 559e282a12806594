package reliability_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/internal/testenv"
)

func TestReliability(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "reliability")
}

var (
	// gamedayBin is the gameday binary built for this suite.
	gamedayBin string
	// root is the module root.
	root string
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
