package expect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// schedule draws the intended waits of one operation's retries.
type schedule struct {
	name     string
	jittered bool
	growing  bool
	draw     func(rng *rand.Rand, n int) []float64
}

func expo(b, m, cp float64, i int) float64 { return math.Min(cp, b*math.Pow(m, float64(i))) }

func schedules(b, cp, fixed float64) []schedule {
	return []schedule{
		{"fixed", false, false, func(_ *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = fixed
			}
			return w
		}},
		{"exp-no-jitter", false, true, func(_ *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = expo(b, 2, cp, i)
			}
			return w
		}},
		{"full", true, true, func(r *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = r.Float64() * expo(b, 2, cp, i)
			}
			return w
		}},
		{"equal", true, true, func(r *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				v := expo(b, 2, cp, i)
				w[i] = v/2 + r.Float64()*v/2
			}
			return w
		}},
		{"decorrelated", true, true, func(r *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			prev := b
			for i := range w {
				prev = math.Min(cp, b+r.Float64()*(3*prev-b))
				w[i] = prev
			}
			return w
		}},
	}
}

func noisy(r *rand.Rand, w []float64, noise float64) []float64 {
	out := make([]float64, len(w))
	for i, x := range w {
		out[i] = math.Max(0, x+(r.Float64()*2-1)*noise)
	}
	return out
}

type shape struct{ calls, retries int }

func (s shape) String() string { return fmt.Sprintf("%dx%d", s.calls, s.retries) }

// simulate draws seeded gap series of every schedule and hands each verdict
// to check. Noise is uniform in ±3 ms, as scheduling adds on a busy machine.
func simulate(seeds int, shapes []shape, check func(sc schedule, sh shape, base, cp float64, waits [][]float64)) {
	for _, sh := range shapes {
		for _, base := range []float64{50, 100} {
			for _, cp := range []float64{500, 2000, math.Inf(1)} {
				for _, fixed := range []float64{200, 300, 500} {
					for _, sc := range schedules(base, cp, fixed) {
						if sc.name == "decorrelated" && cp == 500 {
							// Pinned at the cap within a retry or two:
							// constant waits carry no jitter to see.
							continue
						}
						if sc.name != "fixed" && fixed != 300 {
							continue // the fixed value only matters to "fixed"
						}
						for seed := 0; seed < seeds; seed++ {
							rng := rand.New(rand.NewPCG(uint64(seed), uint64(len(sc.name))))
							var waits [][]float64
							for o := 0; o < sh.calls; o++ {
								waits = append(waits, noisy(rng, sc.draw(rng, sh.retries), 3))
							}
							check(sc, sh, base, cp, waits)
						}
					}
				}
			}
		}
	}
}

var allShapes = []shape{{1, 3}, {1, 4}, {1, 6}, {2, 3}, {2, 4}, {2, 6}, {3, 4}, {4, 3}}

// TestJitterNeverWrong: across every shape, a conclusive jitter verdict is
// never wrong; with two or more operations of four or more retries each it
// is always conclusive.
func TestJitterNeverWrong(t *testing.T) {
	n, inconclusive := 0, 0
	simulate(300, allShapes, func(sc schedule, sh shape, base, cp float64, waits [][]float64) {
		n++
		j := JudgeJitter(waits, BackoffParams{})
		if !j.Conclusive {
			inconclusive++
			if sh.calls >= 2 && sh.retries >= 4 {
				t.Errorf("%s %s base=%v cap=%v: inconclusive with %s: %s", sc.name, sh, base, cp, sh, j.Detail)
			}
			return
		}
		if j.Holds != sc.jittered {
			t.Errorf("%s %s base=%v cap=%v: jitter judged %v: %s", sc.name, sh, base, cp, j.Holds, j.Detail)
		}
	})
	t.Logf("%d series, %d inconclusive (none with 2+ operations of 4+ retries)", n, inconclusive)
}

// TestGrowing: a fixed sleep never grows; exponential backoff without
// jitter and with equal jitter always does; full jitter does with two or
// more operations of six retries (its single-operation miss rate is logged).
func TestGrowing(t *testing.T) {
	misses := map[string]int{}
	totals := map[string]int{}
	simulate(300, allShapes, func(sc schedule, sh shape, base, cp float64, waits [][]float64) {
		j := JudgeGrowing(waits, BackoffParams{})
		k := sc.name + " " + sh.String()
		totals[k]++
		if !j.Conclusive {
			if sh.retries >= 4 {
				t.Errorf("%s base=%v cap=%v: inconclusive: %s", k, base, cp, j.Detail)
			}
			return
		}
		wrong := j.Holds != sc.growing
		if wrong {
			misses[k]++
		}
		switch sc.name {
		case "fixed", "exp-no-jitter", "equal":
			if wrong {
				t.Errorf("%s base=%v cap=%v: growing judged %v: %s", k, base, cp, j.Holds, j.Detail)
			}
		case "full":
			if wrong && sh.calls >= 2 && sh.retries >= 6 && cp > 500 {
				t.Errorf("%s base=%v cap=%v: growing judged %v: %s", k, base, cp, j.Holds, j.Detail)
			}
		}
	})
	for k, n := range totals {
		if misses[k] > 0 {
			t.Logf("%-22s %4d/%4d judged wrongly (statistical; not asserted)", k, misses[k], n)
		}
	}
}

// TestFixedDelayWithSpikes: a fixed sleep stays a fixed sleep when one wait
// in eight is late by a scheduling spike of up to 40 ms.
func TestFixedDelayWithSpikes(t *testing.T) {
	for seed := uint64(0); seed < 500; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		fixed := 150 + rng.Float64()*450
		var waits [][]float64
		for o := 0; o < 2; o++ {
			w := make([]float64, 4)
			for i := range w {
				w[i] = fixed
			}
			waits = append(waits, noisy(rng, w, 3))
		}
		waits[rng.IntN(2)][rng.IntN(4)] += 10 + rng.Float64()*30
		j := JudgeJitter(waits, BackoffParams{})
		if !j.Conclusive || j.Holds {
			t.Fatalf("seed %d: fixed %.0fms with a spike judged conclusive=%v jittered=%v: %s", seed, fixed, j.Conclusive, j.Holds, j.Detail)
		}
		if g := JudgeGrowing(waits, BackoffParams{}); !g.Conclusive || g.Holds {
			t.Fatalf("seed %d: fixed %.0fms with a spike judged growing: %s", seed, fixed, g.Detail)
		}
	}
}
