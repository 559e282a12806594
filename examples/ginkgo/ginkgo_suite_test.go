// The examples/ginkgo suite tests a small client of its own (package
// uploader) against a real MinIO behind gameday's fault proxy, the way a
// team tests its pipeline code: boot the stack in BeforeEach, point the
// client at it, arm a fault in the middle of a spec, and assert with the
// matchers on what crossed the wire. It runs on both backends and in
// parallel (ginkgo -p): only GAMEDAY_MINIO_BIN is needed; docker specs
// skip where no daemon answers or the images are missing (and fail with
// CI=true).
package ginkgo_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday"
)

func TestUploads(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "examples/ginkgo")
}

// requireBackend skips a docker spec where docker cannot run, except in CI
// (CI=true) where that is a failure.
func requireBackend(backend string) {
	if backend != gameday.Docker {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := gameday.DockerReady(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			Fail("CI=true but " + err.Error())
		}
		Skip(err.Error())
	}
}
