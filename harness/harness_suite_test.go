package harness_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/testenv"
)

func TestHarness(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "harness")
}

// dockerReady is true when a daemon answers and `make images` succeeded.
var dockerReady bool

var _ = SynchronizedBeforeSuite(testenv.BuildOnce, func(data []byte) {
	dockerReady = testenv.SetupEach(data)
})

// requireDocker skips a docker spec where no daemon answers, except in CI
// where that is a failure.
func requireDocker() { testenv.RequireDocker(dockerReady) }
