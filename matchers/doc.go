// Package matchers holds Gomega matchers for tests that drive their own
// client against a gameday stack (package gameday). Each judges one
// expectation of the scenario file format over what the stack saw, the
// way `gameday run` judges it, and fails with the message the CLI prints
// for it:
//
//	Expect(st).To(matchers.FailFastOn(401, 403))
//	Expect(st).To(matchers.HaveAtMostAttemptsPerOperation(3).On("storage"))
//	Eventually(st).Should(matchers.HaveNoDuplicateArtifacts())
//	Expect(st.Judge(ctx)).To(matchers.HavePassed())
//
// The actual value is a *gameday.Stack (a snapshot is taken at each
// match, so Eventually polls), a *gameday.Snapshot, or a journal
// ([]gameday.Request) for the matchers that read the wire alone. A
// verdict that cannot be reached (backoff with too few waits, Retry-After
// that never came) is an error, so it fails To and NotTo alike.
package matchers
