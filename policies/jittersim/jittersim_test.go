package jittersim_test

import (
	"bytes"
	"testing"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/jittersim"
)

// TestNoJitterNeedsTheMostCalls reproduces Brooker's qualitative result
// and prints the table published in the README.
func TestNoJitterNeedsTheMostCalls(t *testing.T) {
	cfg := jittersim.Config{Seed: 1, Trials: 100}
	rows := jittersim.Table(cfg, []int{10, 20, 30, 40, 50})
	var buf bytes.Buffer
	if err := jittersim.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("Brooker's OCC experiment, base 5ms, cap 2s, %d trials, seed %d (mean writes and completion time):\n%s", cfg.Trials, cfg.Seed, buf.String())
	cell := map[int]map[policies.Jitter]jittersim.Result{}
	for _, r := range rows {
		if cell[r.Clients] == nil {
			cell[r.Clients] = map[policies.Jitter]jittersim.Result{}
		}
		cell[r.Clients][r.Strategy] = r
	}
	for n, byS := range cell {
		none := byS[policies.JitterNone]
		for _, s := range []policies.Jitter{policies.JitterEqual, policies.JitterFull, policies.JitterDecorrelated} {
			if byS[s].Calls >= none.Calls {
				t.Errorf("%d clients: %s jitter made %.1f calls, no jitter %.1f; want no jitter to need the most", n, s, byS[s].Calls, none.Calls)
			}
		}
		// The gap grows with contention: from 30 clients on, full jitter
		// saves at least a quarter of the work, and no jitter is slowest.
		if f := byS[policies.JitterFull].Calls; n >= 30 && f > 0.75*none.Calls {
			t.Errorf("%d clients: full jitter %.1f calls, want at most 75%% of no jitter's %.1f", n, f, none.Calls)
		}
		for _, s := range []policies.Jitter{policies.JitterEqual, policies.JitterFull, policies.JitterDecorrelated} {
			if byS[s].Completion >= none.Completion {
				t.Errorf("%d clients: %s jitter took %s, no jitter %s; want no jitter slowest", n, s, byS[s].Completion, none.Completion)
			}
		}
	}
}

func TestDeterministicForASeed(t *testing.T) {
	cfg := jittersim.Config{Seed: 7, Trials: 5}
	a := jittersim.Run(cfg, 20, policies.JitterFull)
	b := jittersim.Run(cfg, 20, policies.JitterFull)
	if a != b {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	if c := jittersim.Run(jittersim.Config{Seed: 8, Trials: 5}, 20, policies.JitterFull); c == a {
		t.Errorf("different seeds, same result %+v", c)
	}
}

func TestOneClientNeverRetries(t *testing.T) {
	r := jittersim.Run(jittersim.Config{Seed: 1, Trials: 3}, 1, policies.JitterNone)
	if r.Calls != 1 {
		t.Errorf("one client made %.1f calls, want 1", r.Calls)
	}
}
