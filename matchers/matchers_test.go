package matchers_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday"
	. "github.com/gameday/gameday/matchers"
	"github.com/gameday/gameday/reports"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// req is one journal line: a request to target starting at ms after t0,
// lasting 10ms.
func req(target, method, path string, status, ms int) gameday.Request {
	start := t0.Add(time.Duration(ms) * time.Millisecond)
	return gameday.Request{Target: target, Method: method, Path: path, Status: status,
		Start: start, End: start.Add(10 * time.Millisecond), Delivered: true}
}

func injected(r gameday.Request, fault string) gameday.Request {
	r.Fault, r.Action = fault, "status"
	return r
}

// failure is the message Gomega fails with.
func failure(f func()) string {
	err := InterceptGomegaFailure(f)
	Expect(err).To(HaveOccurred(), "the assertion should have failed")
	return err.Error()
}

// retried is one operation retried twice after 401s, 100ms apart.
var retried = []gameday.Request{
	injected(req("storage", "GET", "/models/a", 401, 0), "auth"),
	injected(req("storage", "GET", "/models/a", 401, 100), "auth"),
	req("storage", "GET", "/models/a", 401, 200),
}

// fixedWaits: four operations, each retried three times after a 503 with
// exactly 100ms between the end of an attempt and the next: a fixed delay.
func fixedWaits() []gameday.Request {
	var out []gameday.Request
	for op := range 4 {
		path := fmt.Sprintf("/models/%d", op)
		at := op * 1000
		for i := range 4 {
			status := 503
			if i == 3 {
				status = 200
			}
			out = append(out, req("storage", "PUT", path, status, at+i*110))
		}
	}
	return out
}

var _ = Describe("matchers", func() {
	Describe("FailFastOn", func() {
		It("fails with the CLI's message when a status was retried", func() {
			Expect(failure(func() { Expect(retried).To(FailFastOn(401)) })).To(Equal(
				"retries_after[0]: want <=0 retries after 401, got 2 (worst, 2 after 401: storage GET /models/a: 3 attempts (no operation header: one call or a loop) at 0ms, 100ms, 200ms)"))
			Expect(failure(func() { Expect(retried).To(FailFastOn(401, 403).On("storage")) })).To(ContainSubstring("retries after 401/403, got 2"))
		})
		It("holds when nothing was retried, or on another target", func() {
			Expect(retried[:1]).To(FailFastOn(401))
			Expect(retried).To(FailFastOn(401).On("feature-api"))
			Expect(retried).To(FailFastOn(403))
			Expect(failure(func() { Expect(retried).NotTo(FailFastOn(403)) })).To(Equal(
				"retries_after[0]: want it not to hold, but it did (want <=0 retries after 403, got 0)"))
		})
	})

	Describe("HaveAtMostAttemptsPerOperation", func() {
		It("fails with the CLI's message naming the longest chain", func() {
			Expect(failure(func() { Expect(retried).To(HaveAtMostAttemptsPerOperation(2)) })).To(Equal(
				"attempts_per_operation: want <=2, got 3 (storage GET /models/a: 3 attempts (no operation header: one call or a loop) at 0ms, 100ms, 200ms)"))
			Expect(retried).To(HaveAtMostAttemptsPerOperation(3))
		})
	})

	Describe("HaveJitteredBackoff", func() {
		It("fails with the CLI's message for a fixed delay", func() {
			Expect(failure(func() { Expect(fixedWaits()).To(HaveJitteredBackoff()) })).To(Equal(
				"backoff.jitter: want jittered, got not jittered: 12 of 12 waits within noise of 100ms, none earlier: a fixed delay (waits [100ms 100ms 100ms] [100ms 100ms 100ms] [100ms 100ms 100ms] [100ms 100ms 100ms])"))
		})
		It("fails both ways when there are too few waits to tell", func() {
			msg := failure(func() { Expect(retried).To(HaveJitteredBackoff()) })
			Expect(msg).To(Equal(
				"backoff.jitter: inconclusive: 2 waits, need 6 (e.g. two operations of 3 retries) (waits [90ms 90ms])"))
			Expect(failure(func() { Expect(retried).NotTo(HaveJitteredBackoff()) })).To(Equal(msg))
		})
	})

	Describe("HaveGrowingBackoff", func() {
		It("fails with the CLI's message for a fixed delay", func() {
			Expect(failure(func() { Expect(fixedWaits()).To(HaveGrowingBackoff()) })).To(Equal(
				"backoff.growing: want growing, got not growing: later waits sum to 1.00× the earlier ones, want ≥ 1.50 beyond noise (waits [100ms 100ms 100ms] [100ms 100ms 100ms] [100ms 100ms 100ms] [100ms 100ms 100ms])"))
		})
	})

	Describe("HonorRetryAfter", func() {
		early := []gameday.Request{req("storage", "GET", "/models/a", 429, 0), req("storage", "GET", "/models/a", 200, 210)}
		early[0].RetryAfterMS = 1000
		It("fails with the CLI's message when a retry came early", func() {
			Expect(failure(func() { Expect(early).To(HonorRetryAfter()) })).To(Equal(
				"retry_after_honored: want true, got false (1 of 1 retries came more than 50ms early: GET /models/a on storage retried 200ms after a 429 with Retry-After 1000ms)"))
		})
		It("holds when the retry waited, and fails both ways when no answer announced a delay", func() {
			late := append([]gameday.Request(nil), early...)
			late[1] = req("storage", "GET", "/models/a", 200, 1100)
			Expect(late).To(HonorRetryAfter())
			msg := "retry_after_honored: no answer carried Retry-After, nothing to judge"
			Expect(failure(func() { Expect(retried).To(HonorRetryAfter()) })).To(Equal(msg))
			Expect(failure(func() { Expect(retried).NotTo(HonorRetryAfter()) })).To(Equal(msg))
		})
	})

	Describe("HaveNoPages", func() {
		It("fails with the CLI's message listing the pages", func() {
			snap := &gameday.Snapshot{Notifications: []gameday.Notification{
				{Source: "alertmanager", Action: "firing", Severity: "page", Valid: true, Name: "sustained", At: t0},
				{Source: "alertmanager", Action: "firing", Severity: "info", Valid: true, Name: "first-failure", At: t0},
			}}
			Expect(failure(func() { Expect(snap).To(HaveNoPages()) })).To(Equal("pages: want ==0, got 1 (alertmanager sustained page)"))
			Expect(&gameday.Snapshot{}).To(HaveNoPages())
		})
		It("needs the alerts, which a journal does not hold", func() {
			Expect(failure(func() { Expect(retried).To(HaveNoPages()) })).To(Equal(
				"pages needs the alerts a journal does not hold: match a *gameday.Stack or *gameday.Snapshot"))
		})
	})

	Describe("HaveNoDuplicateArtifacts", func() {
		It("fails with the CLI's message explaining each duplicate", func() {
			snap := &gameday.Snapshot{Artifacts: &gameday.Artifacts{Target: "storage", Bucket: "models", Keys: 1, Versions: 2,
				Duplicates: 1, Details: []string{"run-1/model.bin has 2 versions, identical content"}}}
			Expect(failure(func() { Expect(snap).To(HaveNoDuplicateArtifacts()) })).To(Equal(
				"artifacts: want duplicates ==0 in models/, got 1 (run-1/model.bin has 2 versions, identical content)"))
			snap.Artifacts.Duplicates, snap.Artifacts.Details = 0, nil
			Expect(snap).To(HaveNoDuplicateArtifacts())
		})
		It("needs a listing of the bucket", func() {
			Expect(failure(func() { Expect(&gameday.Snapshot{}).To(HaveNoDuplicateArtifacts()) })).To(Equal(
				"artifacts: the snapshot holds no listing of the bucket (the scenario has no MinIO target with a bucket)"))
			Expect(failure(func() { Expect(retried).To(HaveNoDuplicateArtifacts()) })).To(Equal(
				"artifacts needs the artifacts a journal does not hold: match a *gameday.Stack or *gameday.Snapshot"))
		})
	})

	Describe("RecoverWithin", func() {
		slow := []gameday.Request{injected(req("storage", "GET", "/models/a", 503, 0), "one-503"), req("storage", "GET", "/models/a", 200, 2500)}
		It("fails with the CLI's message when an operation recovered too late", func() {
			Expect(failure(func() { Expect(slow).To(RecoverWithin(time.Second)) })).To(Equal(
				"recovery_time: want <=1s, got 2510ms (the longest per-operation recovery: first injected fault to its first 2xx)"))
			Expect(slow).To(RecoverWithin(3 * time.Second))
		})
		It("fails when nothing recovered", func() {
			Expect(failure(func() { Expect(slow[:1]).To(RecoverWithin(time.Second)) })).To(Equal(
				"recovery_time: no recovery (no operation hit by a fault got a 2xx after it)"))
		})
	})

	Describe("HavePassed", func() {
		It("fails with the failed verdicts' messages", func() {
			res := reports.Scenario{Name: "upload", Expectations: []reports.Expectation{
				{Name: "pages", Passed: true},
				{Name: "retries_after[0]", Message: "retries_after[0]: want <=0 retries after 401, got 2"},
			}}
			Expect(failure(func() { Expect(res).To(HavePassed()) })).To(Equal("retries_after[0]: want <=0 retries after 401, got 2"))
			res.Passed = true
			Expect(&res).To(HavePassed())
		})
	})

	It("says what it matches", func() {
		Expect(failure(func() { Expect("journal").To(FailFastOn(401)) })).To(Equal(
			"retries_after[0] matches a *gameday.Stack, a *gameday.Snapshot or a []gameday.Request, not string"))
		Expect(func() { HaveNoPages().On("storage") }).To(PanicWith("matchers: pages takes no target"))
	})
})
