package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/injectors"
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

var _ = Describe("Override with faults", func() {
	It("replaces the faults, checked as a file's, and renames and reseeds the variant", func() {
		sc, err := scenarios.LoadFile("library/storage-503-single-transient.yaml")
		Expect(err).NotTo(HaveOccurred())
		times, seed := 2, int64(7)
		f := &scenarios.Fault{Name: "storage-500", Target: "storage", Match: &scenarios.Match{Method: scenarios.Methods{"GET"}, Path: "/features/*"},
			Action: scenarios.Action{Action: &injectors.Status{Code: 500}}, Times: &times}
		v, err := sc.With(scenarios.Override{Faults: []*scenarios.Fault{f}, Name: "candidate-1", Seed: &seed})
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Name).To(Equal("candidate-1"))
		Expect(*v.Seed).To(Equal(int64(7)))
		Expect(v.File).To(Equal(sc.File), "runs where the original runs")
		Expect(v.Faults).To(HaveLen(1))
		Expect(v.Faults[0].On).To(Equal(scenarios.OnRequest), "defaults filled in as the loader does")
		Expect(v.Faults[0].Action.String()).To(Equal("status 500"))
		Expect(v.ExpectOrder()).To(Equal(sc.ExpectOrder()))
		Expect(sc.Faults[0].Name).To(Equal("one-503"), "the original is not changed")

		none, err := sc.With(scenarios.Override{Faults: []*scenarios.Fault{}})
		Expect(err).NotTo(HaveOccurred())
		Expect(none.Faults).To(BeEmpty())

		skip := 1
		bad := &scenarios.Fault{Name: "x", Target: "nope", Action: scenarios.Action{Action: &injectors.Status{Code: 503}}, Skip: &skip}
		_, err = sc.With(scenarios.Override{Faults: []*scenarios.Fault{bad}})
		Expect(err).To(MatchError(ContainSubstring(`unknown target "nope"`)))
		Expect(err).To(MatchError(ContainSubstring("add optional: true")))
		_, err = sc.With(scenarios.Override{Name: "Bad_Name"})
		Expect(err).To(MatchError(ContainSubstring(`name "Bad_Name"`)))
	})
})
