package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/scenarios"
)

var _ = Describe("Override", func() {
	It("changes a copy's workload env and policy, and checks them as the loader would", func() {
		sc, err := scenarios.LoadFile("library/storage-503-single-transient.yaml")
		Expect(err).NotTo(HaveOccurred())
		v, err := sc.With(scenarios.Override{Env: map[string]string{"RETRY_MODE": "standard"}, Policy: "../policies/default.yaml"})
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Workload.Env).To(HaveKeyWithValue("RETRY_MODE", "standard"))
		Expect(v.Workload.Policy).To(HaveSuffix("/policies/default.yaml"))
		Expect(sc.Workload.Env).NotTo(HaveKey("RETRY_MODE"), "the original is not changed")

		_, err = sc.With(scenarios.Override{Env: map[string]string{"AWS_SECRET_ACCESS_KEY": "x", "AWS_PROFILE": "p", "1X": "y"}, Policy: "nope.yaml"})
		Expect(err).To(MatchError(ContainSubstring("invalid environment variable name \"1X\"")))
		Expect(err).To(MatchError(ContainSubstring("AWS_PROFILE is removed")))
		Expect(err).To(MatchError(ContainSubstring("AWS_SECRET_ACCESS_KEY is set by the harness")))
		Expect(err).To(MatchError(ContainSubstring("policy nope.yaml")))
	})

	It("parses NAME=VALUE", func() {
		n, v, err := scenarios.ParseEnvAssignment("A=b=c")
		Expect(err).NotTo(HaveOccurred())
		Expect([]string{n, v}).To(Equal([]string{"A", "b=c"}))
		_, _, err = scenarios.ParseEnvAssignment("nope")
		Expect(err).To(HaveOccurred())
	})
})
