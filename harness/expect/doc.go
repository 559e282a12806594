// Package expect judges a scenario's expectations against what the harness
// observed (package observe) and returns one verdict per expectation, named
// as DESIGN.md names them (outcome, pages, alerts.info, retries_after[0],
// attempts_per_operation, backoff.jitter, backoff.growing,
// retry_after_honored, artifacts, recovery_time, duration, requests[1],
// timeout), each with want, got and a message a person can act on:
//
//	verdicts := expect.Judge(expect.Input{Expect: sc.Expect, Obs: obs, Timeout: sc.Timeout})
//	for _, v := range verdicts { fmt.Println(v.Name, v.Passed, v.Message) }
//
// The backoff statistics (JudgeJitter, JudgeGrowing) are pure functions of
// the observed waits; their comment documents them.
package expect
