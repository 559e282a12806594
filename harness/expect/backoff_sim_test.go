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

func TestBackoffSimulation(t *testing.T) {
	type key struct{ sched, shape string }
	miss := map[key]int{}
	inconc := map[key]int{}
	total := map[key]int{}
	for _, shape := range []struct{ ops, retries int }{{1, 4}, {1, 6}, {2, 4}, {3, 4}, {2, 6}, {4, 3}} {
		for _, base := range []float64{50, 100} {
			for _, cp := range []float64{500, 2000, math.Inf(1)} {
				for _, fixed := range []float64{200, 300, 500} {
					for _, sc := range schedules(base, cp, fixed) {
						for seed := uint64(0); seed < 500; seed++ {
							rng := rand.New(rand.NewPCG(seed, uint64(len(sc.name))))
							var waits [][]float64
							for o := 0; o < shape.ops; o++ {
								waits = append(waits, noisy(rng, sc.draw(rng, shape.retries), 4))
							}
							k := key{sc.name, fmt.Sprintf("%dx%d", shape.ops, shape.retries)}
							total[k]++
							j := JudgeJitter(waits, BackoffParams{})
							if !j.Conclusive {
								inconc[k]++
							} else if j.Holds != sc.jittered {
								miss[k]++
								if miss[k] < 3 {
									t.Logf("jitter miss %v base=%v cap=%v: %s", k, base, cp, j.Detail)
								}
							}
						}
					}
				}
			}
		}
	}
	for k, n := range total {
		t.Logf("%-14s %-5s total %4d  wrong %3d  inconclusive %4d", k.sched, k.shape, n, miss[k], inconc[k])
	}
}
