package expect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
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
		// A sleep of the retry number times a step (s3cmd, many
		// hand-written loops).
		{"linear", false, true, func(_ *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = math.Min(cp, 2*b*float64(i+1))
			}
			return w
		}},
		// A deterministic schedule of no family the judge fits (squares,
		// and client work before the last retry): told from jitter only by
		// repeating from chain to chain.
		{"irregular", false, true, func(_ *rand.Rand, n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = b * float64((i+1)*(i+1))
			}
			w[n-1] += 4 * b
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

// noiseModel adds scheduling noise to intended waits.
type noiseModel struct {
	name string
	add  func(r *rand.Rand, w float64) float64
}

// symmetric is ±3 ms uniform noise (clock and timestamp skew either way).
var symmetric = noiseModel{"symmetric", func(r *rand.Rand, w float64) float64 {
	return math.Max(0, w+(r.Float64()*2-1)*3)
}}

// load is one-sided, heavy-tailed noise of a loaded machine: a sleep never
// ends early; it overshoots by 0-8 ms (80%), 8-40 ms (15%) or 40-120 ms (5%).
var load = noiseModel{"load", func(r *rand.Rand, w float64) float64 {
	switch u := r.Float64(); {
	case u < 0.80:
		return w + r.Float64()*8
	case u < 0.95:
		return w + 8 + r.Float64()*32
	default:
		return w + 40 + r.Float64()*80
	}
}}

var noiseModels = []noiseModel{symmetric, load}

func noisy(r *rand.Rand, w []float64, nm noiseModel) []float64 {
	out := make([]float64, len(w))
	for i, x := range w {
		out[i] = nm.add(r, x)
	}
	return out
}

type shape struct{ calls, retries int }

func (s shape) String() string { return fmt.Sprintf("%dx%d", s.calls, s.retries) }

// simulate draws seeded gap series of every schedule under noise nm and
// hands each to check.
func simulate(seeds int, shapes []shape, nm noiseModel, check func(sc schedule, sh shape, base, cp float64, waits [][]float64)) {
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
								waits = append(waits, noisy(rng, sc.draw(rng, sh.retries), nm))
							}
							check(sc, sh, base, cp, waits)
						}
					}
				}
			}
		}
	}
}

// allShapes are calls × retries: one call of an SDK's 2-6 retries up to a
// pool of twelve (the primary run and three evidence runs of a scenario
// with three retried operations).
var allShapes = []shape{{1, 2}, {1, 3}, {1, 4}, {1, 6}, {2, 2}, {2, 3}, {2, 4}, {2, 6}, {3, 4}, {4, 3}, {6, 4}, {8, 3}, {12, 4}}

// growingShapes are the shapes TestGrowing's bounds are stated for.
var growingShapes = []shape{{1, 3}, {1, 4}, {1, 6}, {2, 3}, {2, 4}, {2, 6}, {3, 4}, {4, 3}}

// TestJitterNeverWrong: under either noise model, across every shape, a
// conclusive jitter verdict is never wrong. Under symmetric noise a
// deterministic schedule of 8 or more waits is always conclusive; the
// conclusive share of the rest is logged.
func TestJitterNeverWrong(t *testing.T) {
	for _, c := range []struct {
		nm   noiseModel
		mult float64
	}{{symmetric, 0}, {load, 0}, {symmetric, 2}, {load, 2}} {
		nm, params := c.nm, BackoffParams{Multiplier: c.mult}
		n := 0
		type tally struct{ total, conclusive int }
		rates := map[string]*tally{}
		var keys []string
		simulate(500, allShapes, nm, func(sc schedule, sh shape, base, cp float64, waits [][]float64) {
			if sc.name == "irregular" && sh.calls == 1 {
				return // one chain of an irregular schedule is not told from jitter
			}
			if (sc.name == "linear" || sc.name == "irregular") && c.mult != 0 {
				return // a known multiplier says the schedule is exponential
			}
			n++
			k := fmt.Sprintf("%-13s %s", sc.name, sh)
			if rates[k] == nil {
				rates[k] = &tally{}
				keys = append(keys, k)
			}
			rates[k].total++
			j := JudgeJitter(Waits{Call: waits}, params)
			if !j.Conclusive {
				enough := sh.calls*sh.retries >= 9 || sc.name == "fixed" && sh.calls*sh.retries >= 8
				if sc.name == "irregular" {
					enough = (sh.calls-1)*sh.retries >= 9 // repeats beyond the first chain
				}
				if nm.name == "symmetric" && !sc.jittered && enough {
					t.Errorf("%s ×%v %s %s base=%v cap=%v: inconclusive: %s", nm.name, c.mult, sc.name, sh, base, cp, j.Detail)
				}
				return
			}
			rates[k].conclusive++
			if j.Holds != sc.jittered {
				t.Errorf("%s ×%v %s %s base=%v cap=%v: jitter judged %v: %s", nm.name, c.mult, sc.name, sh, base, cp, j.Holds, j.Detail)
			}
		})
		sort.Strings(keys)
		for _, k := range keys {
			r := rates[k]
			t.Logf("%-9s ×%v %s conclusive %5.1f%% of %d", nm.name, c.mult, k, 100*float64(r.conclusive)/float64(r.total), r.total)
		}
	}
}

// TestGrowing: a fixed sleep never grows; exponential backoff without
// jitter always does (under load noise, from four retries), with equal
// jitter from two operations of four retries; full jitter is statistical
// (miss rates logged).
func TestGrowing(t *testing.T) {
	for _, nm := range noiseModels {
		misses := map[string]int{}
		totals := map[string]int{}
		simulate(300, growingShapes, nm, func(sc schedule, sh shape, base, cp float64, waits [][]float64) {
			j := JudgeGrowing(Waits{Call: waits}, BackoffParams{})
			k := sc.name + " " + sh.String()
			totals[k]++
			if !j.Conclusive {
				if sh.retries >= 4 {
					t.Errorf("%s %s base=%v cap=%v: inconclusive: %s", nm.name, k, base, cp, j.Detail)
				}
				return
			}
			wrong := j.Holds != sc.growing
			if wrong {
				misses[k]++
			}
			switch sc.name {
			case "fixed":
				if wrong {
					t.Errorf("%s %s base=%v cap=%v: growing judged %v: %s", nm.name, k, base, cp, j.Holds, j.Detail)
				}
			case "exp-no-jitter", "equal":
				// Under load, an early spike can hide the growth of
				// three retries; equal jitter's own spread, that of
				// one operation.
				must := nm.name == "symmetric" || sh.retries >= 4
				if sc.name == "equal" {
					must = sh.calls >= 2 && sh.retries >= 4
				}
				if wrong && must {
					t.Errorf("%s %s base=%v cap=%v: growing judged %v: %s", nm.name, k, base, cp, j.Holds, j.Detail)
				}
			case "full":
				if wrong && sh.calls >= 2 && sh.retries >= 6 && cp > 500 {
					t.Errorf("%s %s base=%v cap=%v: growing judged %v: %s", nm.name, k, base, cp, j.Holds, j.Detail)
				}
			}
		})
		for k, n := range totals {
			if misses[k] > 0 {
				t.Logf("%-9s %-22s %4d/%4d judged wrongly", nm.name, k, misses[k], n)
			}
		}
	}
}

// TestFixedDelayWithSpikes: a fixed sleep is never judged jittered or
// growing when one wait in eight is late by a scheduling spike of up to
// 120 ms; with spikes of up to 40 ms and three operations of four retries
// it is never jittered either, and without a spike it is deterministic.
func TestFixedDelayWithSpikes(t *testing.T) {
	for seed := uint64(0); seed < 2000; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		fixed := 150 + rng.Float64()*450
		ops := 2 + int(seed%2)
		var waits [][]float64
		for o := 0; o < ops; o++ {
			w := make([]float64, 4)
			for i := range w {
				w[i] = fixed
			}
			waits = append(waits, noisy(rng, w, symmetric))
		}
		if j := JudgeJitter(Waits{Call: waits}, BackoffParams{}); !j.Conclusive || j.Holds {
			t.Fatalf("seed %d: fixed %.0fms judged conclusive=%v jittered=%v: %s", seed, fixed, j.Conclusive, j.Holds, j.Detail)
		}
		waits[rng.IntN(ops)][rng.IntN(4)] += 10 + rng.Float64()*110
		if j := JudgeJitter(Waits{Call: waits}, BackoffParams{}); j.Conclusive && j.Holds {
			t.Fatalf("seed %d: fixed %.0fms with a spike judged jittered: %s", seed, fixed, j.Detail)
		}
		if g := JudgeGrowing(Waits{Call: waits}, BackoffParams{}); !g.Conclusive || g.Holds {
			t.Fatalf("seed %d: fixed %.0fms with a spike judged growing: %s", seed, fixed, g.Detail)
		}
	}
}

// TestRepeatedDrawsAreNoJitter: waits that repeat from chain to chain are
// never jittered, whatever their shape. Three runs of a client seeded alike
// repeat one full-jitter draw (50 ms ×2, cap 500 ms): lock-step retries, no
// jitter, also when the multiplier is known. s3cmd's upload retries (3 s
// times the retry number, then work of its own before the last) measured
// through the proxy in two runs are not jittered, and deterministic from
// three. The same exponential schedule without jitter is deterministic.
func TestRepeatedDrawsAreNoJitter(t *testing.T) {
	seeded := [][]float64{{16, 29, 165, 347}, {16, 30, 165, 346}, {16, 29, 166, 346}}
	for _, m := range []float64{0, 2} {
		if j := JudgeJitter(Waits{Call: seeded}, BackoffParams{Multiplier: m}); j.Holds {
			t.Errorf("multiplier %v: a repeated draw judged jittered: %s", m, j.Detail)
		}
	}
	s3cmd := [][]float64{{3004, 6012, 9052, 12252, 16253}, {3002, 6013, 9053, 12254, 16256}}
	j := JudgeJitter(Waits{Call: s3cmd}, BackoffParams{})
	if j.Conclusive {
		t.Errorf("s3cmd, two runs: want inconclusive, got %s", j.Detail)
	}
	s3cmd = append(s3cmd, []float64{3003, 6011, 9051, 12250, 16251})
	if j := JudgeJitter(Waits{Call: s3cmd}, BackoffParams{}); !j.Conclusive || j.Holds || !strings.Contains(j.Detail, "whatever its shape") {
		t.Errorf("s3cmd, three runs: want deterministic, got %s", j.Detail)
	}
	plain := [][]float64{{101, 201, 401, 802}, {101, 201, 401, 802}, {102, 202, 402, 802}}
	for _, m := range []float64{0, 2} {
		if j := JudgeJitter(Waits{Call: plain}, BackoffParams{Multiplier: m}); !j.Conclusive || j.Holds {
			t.Errorf("multiplier %v: want deterministic, got %s", m, j.Detail)
		}
	}
}

// TestLeftOutWaitsShowAsDash: waits after a Retry-After are left out of
// the statistics and shown as "-".
func TestLeftOutWaitsShowAsDash(t *testing.T) {
	w := Waits{Call: [][]float64{{math.NaN(), math.NaN()}, {1, 402, 802}, {1, 401, 802}, {2, 404, 801}}}
	if j := JudgeJitter(w, BackoffParams{}); !strings.Contains(j.Detail, "[- -] [1ms 402ms 802ms]") {
		t.Errorf("want left-out waits as -, got %s", j.Detail)
	}
}

// TestLinearFromOneChain: one chain of a linear schedule (1 s, 2 s, ... 6 s)
// is never jittered; the exponential fit alone left it 4.4 surprise per
// wait above its schedule.
func TestLinearFromOneChain(t *testing.T) {
	one := [][]float64{{1003, 2004, 3002, 4005, 5003, 6004}}
	if j := JudgeJitter(Waits{Call: one}, BackoffParams{}); j.Holds {
		t.Errorf("linear, one chain: judged jittered: %s", j.Detail)
	} else if !strings.Contains(j.Detail, "+") {
		t.Errorf("linear, one chain: want the linear schedule named, got %s", j.Detail)
	}
}

// sdkShape is a real client's retry schedule: per call, the waits it
// intends before each retry.
type sdkShape struct {
	name     string
	jittered bool
	waits    int // per call
	draw     func(r *rand.Rand, i int) float64
}

var sdkShapes = []sdkShape{
	// botocore legacy mode: 5 attempts, rand()·2^i s.
	{"boto3-legacy", true, 4, func(r *rand.Rand, i int) float64 { return r.Float64() * 1000 * math.Pow(2, float64(i)) }},
	// botocore standard mode: 3 attempts, rand()·2^i s, at most 20 s.
	{"boto3-standard", true, 2, func(r *rand.Rand, i int) float64 { return r.Float64() * math.Min(20000, 1000*math.Pow(2, float64(i))) }},
	// The same schedules without jitter must never pass for jittered.
	{"legacy-no-jitter", false, 4, func(_ *rand.Rand, i int) float64 { return 500 * math.Pow(2, float64(i)) }},
	{"standard-no-jitter", false, 2, func(_ *rand.Rand, i int) float64 { return 1000 * math.Pow(2, float64(i)) }},
}

// TestSDKShapesWithEvidence: one call per run under a persistent fault (a
// real SDK's 2-4 waits), judged on the primary run alone and then on the
// pool of up to three evidence runs (one more call each), stopping at the
// first conclusive verdict as the harness does. Conclusive verdicts are
// never wrong; the conclusive rates are logged (and quoted in the docs).
func TestSDKShapesWithEvidence(t *testing.T) {
	const seeds = 500
	for _, nm := range noiseModels {
		for _, sh := range sdkShapes {
			alone, pooled := 0, 0
			for seed := 0; seed < seeds; seed++ {
				rng := rand.New(rand.NewPCG(uint64(seed), 77))
				var pool [][]float64
				for run := 0; run <= 3; run++ {
					w := make([]float64, sh.waits)
					for i := range w {
						w[i] = sh.draw(rng, i)
					}
					pool = append(pool, noisy(rng, w, nm))
					j := JudgeJitter(Waits{Call: pool}, BackoffParams{})
					if !j.Conclusive {
						continue
					}
					if j.Holds != sh.jittered {
						t.Errorf("%s %s seed %d after %d runs: jitter judged %v: %s", nm.name, sh.name, seed, run+1, j.Holds, j.Detail)
					}
					if run == 0 {
						alone++
					}
					pooled++
					break
				}
			}
			t.Logf("%-9s %-18s conclusive %5.1f%% on the primary run, %5.1f%% with up to 3 evidence runs", nm.name, sh.name,
				100*float64(alone)/seeds, 100*float64(pooled)/seeds)
		}
	}
}
