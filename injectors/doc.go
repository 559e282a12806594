// Package injectors is the fault-injecting HTTP proxy that stands in front of
// every gameday target. It forwards requests unchanged (Host included),
// applies rules (match + action + schedule) in order, and writes one journal
// line per request. It takes plain Go rule values and knows nothing of
// scenario files.
//
//	p, err := injectors.New(injectors.Config{Upstream: u, Kind: injectors.KindS3, Target: "storage", Journal: f})
//	if err := p.Start(ctx); err != nil { ... }
//	defer p.Close()
//	p.Arm([]injectors.Rule{{Name: "one-503", Match: injectors.Match{Methods: []string{"GET"}, Path: "/features/*"},
//		Action: injectors.Action{Status: &injectors.Status{Code: 503}}, Schedule: injectors.Schedule{Times: 1}}})
package injectors
