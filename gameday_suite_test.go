package gameday_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/testenv"
)

func TestGameday(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "gameday")
}

var _ = BeforeSuite(func() {
	minio, err := testenv.MinIOBinary()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Setenv("GAMEDAY_MINIO_BIN", minio)).To(Succeed())
	if os.Getenv("GAMEDAY_STATE_HOME") == "" {
		Expect(os.Setenv("GAMEDAY_STATE_HOME", filepath.Join(GinkgoT().TempDir(), "state"))).To(Succeed())
	}
})
