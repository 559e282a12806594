package matchers_test

import (
	"fmt"
	"time"

	"github.com/onsi/gomega"

	"github.com/gameday/gameday"
	"github.com/gameday/gameday/matchers"
)

// A client that retries a 401 fails FailFastOn with the message `gameday
// run` prints for `retries_after: [{status: 401, max: 0}]`. In a Ginkgo
// suite the actual is usually the *gameday.Stack itself.
func ExampleFailFastOn() {
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var journal []gameday.Request
	for i := range 3 {
		start := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		journal = append(journal, gameday.Request{Target: "storage", Method: "PUT", Path: "/models/run-1/model.bin",
			Status: 401, Start: start, End: start.Add(5 * time.Millisecond)})
	}
	g.Expect(journal).To(matchers.FailFastOn(401, 403))
	g.Expect(journal).To(matchers.HaveAtMostAttemptsPerOperation(5))
	// Output:
	// retries_after[0]: want <=0 retries after 401/403, got 2 (worst, 2 after 401/403: storage PUT /models/run-1/model.bin: 3 attempts (no operation header: one call or a loop) at 0ms, 250ms, 500ms)
}
