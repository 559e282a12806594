package expect

import (
	"fmt"
	"math"
	"sort"
)

// Backoff statistics.
//
// Both verdicts read the client's waits: for each retry whose previous
// attempt failed, the time from the end of that attempt to the retry's start
// (the start-to-start gap minus the failed attempt's own duration, which a
// timeout or an injected delay would otherwise add as a constant). Retries
// that follow an answer carrying Retry-After are left out: their wait is the
// server's, not the backoff's. Waits are grouped per operation, in order.
//
// Noise: every observed wait w is taken to be the client's intended wait
// plus scheduling noise of at most tol(w) = Noise + NoiseRel·w (by default
// 4 ms + 1.5%).
//
// Jitter. A deterministic schedule — a fixed sleep, or exponential backoff
// without jitter, capped or not — makes every operation's waits a sequence
// b, b·m, b·m², …, then possibly one step to the cap c, then c, c, …. So the
// ratios of consecutive waits of an operation are m, m, …, one ratio in
// [1, m] (the step to the cap), then 1, 1, …, with the same m for every
// operation (m = 1 for a fixed sleep). The statistic asks whether such an m
// exists once each ratio is widened by the noise bounds of its two waits
// (interval arithmetic on log ratios): the hypothesis "deterministic" is
// feasible or it is not. Jittered waits (full: U(0, v); equal: v/2 + U(0,
// v/2); decorrelated: U(base, 3·prev)) give ratios spread so widely that no
// single m explains them. A deterministic schedule also gives every operation
// the same wait at the same retry index, so waits of different operations at
// one index that differ beyond noise prove jitter (with three operations or
// more, one late value among agreeing others, by no more than Spike = 30 ms,
// is forgiven once as a scheduling spike). When three in four
// waits (and at least MinFixedWaits, 5) lie within the noise of their median,
// the schedule is a fixed delay (this also catches immediate retries, and
// forgives a rare spike).
//
//   - Infeasible: jitter holds (the waits cannot come from a deterministic
//     schedule).
//   - Feasible with at least MinRatios (8) informative comparisons — ratios
//     of consecutive waits both above 3·Noise, plus same-index comparisons
//     across operations: jitter fails.
//   - Feasible with fewer: inconclusive (fails, naming how many are needed).
//
// Growing. Each operation's waits are split into an earlier and a later half
// (the middle one of an odd count left out); the halves are summed over all
// operations. Growing holds when the later sum is at least GrowingMinRatio
// (1.25) times the earlier one and exceeds it by more than the noise bounds
// of the waits involved. A fixed sleep gives a ratio of 1 and fails;
// exponential backoff gives ≈ m^(k/2) and passes, with or without full or
// equal jitter (sums weigh the large waits, so a few tiny full-jitter draws do
// not sway it). Fewer than MinGrowingWaits (4) waits in operations retried at
// least twice is inconclusive. Full jitter is random by design: with one
// operation of 4 retries it looks flat about one time in 20; with 3
// operations of 4 retries, about one in 400 (measured by TestGrowing).
// Decorrelated jitter is a random walk (each wait drawn from
// [base, 3×previous]) and is not reliably growing at all; do not ask it for
// `growing`.

// BackoffParams tunes the statistics; the zero value means the defaults.
type BackoffParams struct {
	Noise           float64 // ms, absolute noise allowance (default 4)
	NoiseRel        float64 // relative noise allowance (default 0.015)
	MinRatios       int     // informative comparisons needed to call a schedule deterministic (default 8)
	MinFixedWaits   int     // waits within noise of one value that make a fixed delay (default 5)
	MinGrowingWaits int     // waits needed to judge growth (default 4)
	GrowingMinRatio float64 // later/earlier sum needed to call waits growing (default 1.25)
	Spike           float64 // ms, a rare scheduling delay forgiven once across operations (default 30)
}

func (p BackoffParams) withDefaults() BackoffParams {
	if p.Noise == 0 {
		p.Noise = 4
	}
	if p.NoiseRel == 0 {
		p.NoiseRel = 0.015
	}
	if p.MinRatios == 0 {
		p.MinRatios = 8
	}
	if p.Spike == 0 {
		p.Spike = 30
	}
	if p.MinFixedWaits == 0 {
		p.MinFixedWaits = 5
	}
	if p.MinGrowingWaits == 0 {
		p.MinGrowingWaits = 4
	}
	if p.GrowingMinRatio == 0 {
		p.GrowingMinRatio = 1.25
	}
	return p
}

func (p BackoffParams) tol(w float64) float64 { return p.Noise + p.NoiseRel*w }

// Judgement is a backoff statistic's outcome.
type Judgement struct {
	Conclusive bool
	Holds      bool    // meaningful when Conclusive
	Have, Need int     // data points available / needed
	Score      float64 // growth score (growing only)
	Detail     string
}

// JudgeJitter decides whether the waits (ms, per call of an operation, by
// retry index; NaN marks a wait left out) were jittered. See the comment on
// backoff statistics above.
func JudgeJitter(waits [][]float64, params BackoffParams) Judgement {
	p := params.withDefaults()
	var all []float64
	for _, s := range waits {
		for _, w := range s {
			if !math.IsNaN(w) {
				all = append(all, w)
			}
		}
	}
	if len(all) == 0 {
		return Judgement{Need: p.MinRatios, Detail: "no retries after a failure"}
	}
	informative := 0
	type interval struct{ lo, hi float64 }
	var ops [][]interval
	for _, s := range waits {
		var rs []interval
		for i := 1; i < len(s); i++ {
			a, b := s[i-1], s[i]
			if math.IsNaN(a) || math.IsNaN(b) {
				// A left-out wait breaks the chain: start a new run of ratios.
				if len(rs) > 0 {
					ops = append(ops, rs)
				}
				rs = nil
				continue
			}
			ta, tb := p.tol(a), p.tol(b)
			lo := math.Log(math.Max(b-tb, 1e-3) / (a + ta))
			hi := math.Inf(1)
			if a-ta > 0 {
				hi = math.Log((b + tb) / (a - ta))
			}
			if a > 3*p.Noise && b > 3*p.Noise {
				informative++
			}
			rs = append(rs, interval{lo, hi})
		}
		if len(rs) > 0 {
			ops = append(ops, rs)
		}
	}
	// A deterministic schedule gives every call the same wait at the same
	// retry index: compare the calls index by index.
	differ, spikes := 0, 0
	for i := 0; ; i++ {
		var at []float64
		for _, s := range waits {
			if i < len(s) && !math.IsNaN(s[i]) {
				at = append(at, s[i])
			}
		}
		if len(at) == 0 {
			break
		}
		sort.Float64s(at)
		lo, hi := at[0], at[len(at)-1]
		if len(at) > 1 && hi > 3*p.Noise {
			informative += len(at) - 1
		}
		if hi-lo <= p.tol(lo)+p.tol(hi) {
			continue
		}
		// With three or more operations, one late value among agreeing
		// others is a scheduling spike.
		if n := len(at); n >= 3 {
			rest := at[n-2]
			if rest-lo <= p.tol(lo)+p.tol(rest) && hi-rest <= p.tol(rest)+p.tol(hi)+p.Spike {
				spikes++
				continue
			}
		}
		differ++
	}
	// One index off by no more than a scheduling spike is forgiven.
	crossOK := differ == 0 && spikes <= 1
	// Most waits within the noise of one value: a fixed delay. Three in
	// four are enough, so that a rare scheduling spike does not hide it.
	sorted := append([]float64(nil), all...)
	sort.Float64s(sorted)
	med := sorted[len(sorted)/2]
	near := 0
	for _, w := range all {
		if math.Abs(w-med) <= p.tol(w)+p.tol(med) {
			near++
		}
	}
	if len(all) >= p.MinFixedWaits && 4*near >= 3*len(all) {
		return Judgement{Conclusive: true, Holds: false, Have: len(all), Need: p.MinFixedWaits,
			Detail: fmt.Sprintf("%d of %d waits within noise of %.0fms: a fixed delay (waits %s)", near, len(all), med, fmtWaits(waits))}
	}
	if !crossOK {
		return Judgement{Conclusive: true, Holds: true, Have: informative, Need: p.MinRatios,
			Detail: fmt.Sprintf("waits at the same retry differ beyond noise %s", fmtWaits(waits))}
	}
	// Candidate log multipliers: 0 and every interval's lower end (the
	// feasible set for m is a union of closed intervals whose lower ends are
	// among these).
	cands := []float64{0}
	for _, rs := range ops {
		for _, r := range rs {
			if r.lo > 0 {
				cands = append(cands, r.lo)
			}
		}
	}
	sort.Float64s(cands)
	in := func(r interval, x float64) bool { return r.lo <= x && x <= r.hi }
	opFits := func(rs []interval, lm float64) bool {
		// prefix containing lm, at most one step in [0, lm], suffix containing 0.
		for pre := 0; pre <= len(rs); pre++ {
			if pre > 0 && !in(rs[pre-1], lm) {
				break
			}
			for t := 0; t <= 1 && pre+t <= len(rs); t++ {
				if t == 1 && !(rs[pre].lo <= lm && rs[pre].hi >= 0) {
					continue
				}
				rest := true
				for i := pre + t; i < len(rs); i++ {
					if !in(rs[i], 0) {
						rest = false
						break
					}
				}
				if rest {
					return true
				}
			}
		}
		return false
	}
	for _, lm := range cands {
		fits := true
		for _, rs := range ops {
			if !opFits(rs, lm) {
				fits = false
				break
			}
		}
		if fits {
			if informative < p.MinRatios {
				return Judgement{Have: informative, Need: p.MinRatios,
					Detail: fmt.Sprintf("inconclusive: %d informative comparisons of waits, need %d (waits %s)", informative, p.MinRatios, fmtWaits(waits))}
			}
			return Judgement{Conclusive: true, Holds: false, Have: informative, Need: p.MinRatios,
				Detail: fmt.Sprintf("waits fit a deterministic schedule ×%.2f per retry (waits %s)", math.Exp(lm), fmtWaits(waits))}
		}
	}
	return Judgement{Conclusive: true, Holds: true, Have: informative, Need: p.MinRatios,
		Detail: fmt.Sprintf("no deterministic schedule explains the waits %s", fmtWaits(waits))}
}

// JudgeGrowing decides whether the waits grow from retry to retry. See the
// comment on backoff statistics above.
func JudgeGrowing(waits [][]float64, params BackoffParams) Judgement {
	p := params.withDefaults()
	var early, late, noise float64
	used := 0
	for _, s := range waits {
		var w []float64
		for _, x := range s {
			if !math.IsNaN(x) {
				w = append(w, x)
			}
		}
		h := len(w) / 2
		for i := 0; i < h; i++ {
			e, l := w[i], w[len(w)-1-i]
			early += e
			late += l
			noise += p.tol(e) + p.tol(l)
		}
		used += 2 * h
	}
	if used < p.MinGrowingWaits {
		return Judgement{Have: used, Need: p.MinGrowingWaits,
			Detail: fmt.Sprintf("inconclusive: %d waits in operations retried at least twice, need %d (waits %s)", used, p.MinGrowingWaits, fmtWaits(waits))}
	}
	score := late / math.Max(early, 1e-3)
	j := Judgement{Conclusive: true, Have: used, Need: p.MinGrowingWaits, Score: score}
	j.Holds = score >= p.GrowingMinRatio && late-early > noise
	if j.Holds {
		j.Detail = fmt.Sprintf("later waits sum to %.2f× the earlier ones (≥ %.2f) (waits %s)", score, p.GrowingMinRatio, fmtWaits(waits))
	} else {
		j.Detail = fmt.Sprintf("later waits sum to %.2f× the earlier ones, want ≥ %.2f beyond noise (waits %s)", score, p.GrowingMinRatio, fmtWaits(waits))
	}
	return j
}

func fmtWaits(waits [][]float64) string {
	out := ""
	for i, s := range waits {
		if i > 0 {
			out += " "
		}
		out += "["
		for k, w := range s {
			if k > 0 {
				out += " "
			}
			out += fmt.Sprintf("%.0fms", w)
		}
		out += "]"
	}
	return out
}
