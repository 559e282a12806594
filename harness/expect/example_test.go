package expect_test

import (
	"fmt"

	"github.com/gameday/gameday/harness/expect"
)

// A client that sleeps a fixed 300 ms between retries, seen on two
// operations with a few ms of scheduling noise, is not jittered and does not
// grow; full jitter over exponential backoff is both.
func ExampleJudgeJitter() {
	fixed := [][]float64{{301, 303, 300, 302}, {300, 302, 304, 301}}
	j := expect.JudgeJitter(expect.Waits{Call: fixed}, expect.BackoffParams{})
	g := expect.JudgeGrowing(expect.Waits{Call: fixed}, expect.BackoffParams{})
	fmt.Println("fixed: jittered", j.Holds, "growing", g.Holds)

	full := [][]float64{{31, 12, 160, 250}, {44, 87, 21, 377}}
	j = expect.JudgeJitter(expect.Waits{Call: full}, expect.BackoffParams{})
	g = expect.JudgeGrowing(expect.Waits{Call: full}, expect.BackoffParams{})
	fmt.Println("full jitter: jittered", j.Holds, "growing", g.Holds)

	few := [][]float64{{100, 200}}
	fmt.Println(expect.JudgeJitter(expect.Waits{Call: few}, expect.BackoffParams{}).Detail)
	// Output:
	// fixed: jittered false growing false
	// full jitter: jittered true growing true
	// inconclusive: 2 waits, need 6 (e.g. two operations of 3 retries) (waits [100ms 200ms])
}
