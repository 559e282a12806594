// Package e2e_test runs the reference pipeline (`gameday pipeline`, the
// real binary) against a real MinIO behind the fault proxy, with the
// harness's alert receiver, over several scheduled runs sharing one
// GAMEDAY_STATE_DIR, and checks what reached the receiver.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var gamedayBin string

func TestAlertingEndToEnd(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "alerting end to end")
}

var _ = SynchronizedBeforeSuite(func() []byte {
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
	return []byte(bin)
}, func(bin []byte) {
	gamedayBin = string(bin)
})
