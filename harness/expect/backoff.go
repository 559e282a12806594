package expect

import (
	"fmt"
	"math"
	"strings"
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
// Noise. A sleep never ends early, so scheduling noise is one-sided: an
// observed wait is w = s + e, where s is the client's intended wait and e is
// at least -lo(w), lo(w) = Noise + NoiseRel·w (by default 4 ms + 1.5%, which
// also covers clock granularity and a few ms of timestamp skew either way).
// Upwards e is heavy-tailed on a loaded machine: mostly a few ms, sometimes
// tens, now and then 50-120 ms or more. The statistics never treat one late
// wait as evidence of anything.
//
// Jitter. A deterministic schedule — a fixed sleep, or exponential backoff
// without jitter, capped or not — gives every operation the same intended
// waits s_i = min(c, b·m^i) at retry index i (m = 1 or c = b: a fixed
// sleep; b = 0: immediate retries). Under one-sided noise every observed wait
// at index i is then at least s_i - lo, and the lowest wait at each index
// (the lower envelope U_i = min over operations of w + lo(w)) sits close to
// s_i. Jitter (full: U(0, v); equal: v/2 + U(0, v/2); decorrelated: U(base,
// 3·prev)) puts many waits far ABOVE the highest deterministic schedule
// that fits under the envelope, which one-sided noise does not do in bulk.
//
// The judge fits that schedule from below: for every candidate m (every m
// implied by two envelope values and a ×1.05 grid, 1 to 8; within 5% of
// Multiplier when the harness knows the client's policy) and every cap
// position it takes the highest s with s_i ≤ U_i at every index — so no wait
// is below its s_i by more than lo — and scores each wait's excess over it,
// r = w - s_i - lo(s_i), by the surprise -ln S(r) of a deliberately heavy
// one-sided noise tail S: S(8 ms) = 0.3, S(40 ms) = 0.1, S(120 ms) = 0.02,
// S(≥ 300 ms) = 0.002, log-linear between (one wait adds at most ln 500 ≈
// 6.2). The fit with the least total surprise wins; a wait is late when r >
// LateMargin (2 ms). With n waits:
//
//   - n < MinSmallWaits (3): inconclusive (fails, naming how many are
//     needed); MinSmallWaits ≤ n < MinWaits (6): jittered only when the
//     surprise per wait reaches SmallSampleNeed (4) — a wait far below the
//     schedule the others imply, which one-sided noise never makes —, else
//     inconclusive.
//   - surprise per wait ≥ JitterBase + JitterSpread/√n (0.6 + 3/√n: 1.82 at
//     6 waits, 1.66 at 8, 1.47 at 12, 1.21 at 24): jitter holds.
//   - Three in four waits, at least MinFixedWaits (8), within noise above
//     the lowest one (none earlier): a fixed delay, jitter fails; the late
//     rest are scheduling spikes.
//   - No wait late and n ≥ MinDetWaits (9), or n ≥ 2·MinDetWaits with at
//     most DetLateShare (1/4) of them late and a surprise per wait of at
//     most DetMaxSurprise (0.8): deterministic, jitter fails. (Pooled
//     evidence runs of a loaded machine reach the second form.)
//   - Otherwise inconclusive: the waits sit above the best deterministic
//     schedule by about as much as scheduling noise would put them.
//
// Linear schedules s_i = min(c, b + d·i) (a sleep of the retry number
// times a step) are fitted too when the multiplier is unknown.
//
// Repeats. A deterministic schedule of any shape gives every chain the same
// intended wait at an index, so each wait sits within noise above the
// index's lowest; jitter draws each afresh. From 3 waits beyond the first
// at their index, a surprise per repeated wait below JitterBase +
// JitterSpread/√n rules jitter out (whatever the fits say), and from
// MinDetWaits repeated waits the rule above for deterministic applies to
// them: deterministic, whatever the shape (s3cmd's 3, 6, 9, 12, 16.25 s).
// From one chain only the families are known.
//
// Each layer of waits (Waits.Call, Waits.Loop) gets its own fit; their
// surprises and counts add up.
//
// Jittered waits are never judged deterministic and deterministic ones never
// jittered, under symmetric ±3 ms noise and under one-sided heavy-tailed
// load noise (TestJitterNeverWrong, TestSDKShapesWithEvidence). Small-scale equal jitter (waits of tens
// of ms) is often inconclusive: it is as spread as load noise.
//
// Growing. Each operation's waits are split into an earlier and a later half
// (the middle one of an odd count left out); the halves are summed over all
// operations. Growing holds when the later sum is at least GrowingMinRatio
// (1.5) times the earlier one and exceeds it by more than the noise: lo of
// every wait involved plus one LateSpike (120 ms; one-sided noise inflates
// single waits by up to that). A fixed sleep fails; exponential backoff
// passes (under load from four retries: an early spike can hide the growth of
// three), with equal jitter from two operations of four retries. Full jitter
// is random by design and misses more often (rates logged by TestGrowing).
// Fewer than MinGrowingWaits (4) waits in operations retried at least twice
// is inconclusive. Decorrelated jitter is a random walk (each wait drawn from
// [base, 3×previous]) and is not reliably growing at all; do not ask it for
// `growing`.

// BackoffParams tunes the statistics; the zero value means the defaults.
type BackoffParams struct {
	Noise         float64 // ms, absolute noise allowance below (and above) a wait (default 4)
	NoiseRel      float64 // relative noise allowance (default 0.015)
	MinWaits      int     // waits needed for a jittered verdict at the usual bar (default 6)
	MinSmallWaits int     // fewest waits judged at all; below MinWaits only a far higher bar calls them jittered (default 3)
	// SmallSampleNeed is the per-wait surprise that calls fewer than
	// MinWaits waits jittered (default 4).
	SmallSampleNeed float64
	// DetLateShare is the share of late waits (scheduling spikes) that
	// still lets MinDetWaits or more waits be called deterministic, and
	// DetMaxSurprise the per-wait surprise they may leave at most
	// (defaults 1/4 and 0.8; the late share applies from 2×MinDetWaits).
	DetLateShare   float64
	DetMaxSurprise float64
	MinDetWaits    int     // waits needed to call waits deterministic (default 9)
	MinFixedWaits  int     // waits needed to call them a fixed delay (default 8)
	JitterBase     float64 // per-wait surprise needed for jittered: JitterBase + JitterSpread/√n (default 0.6)
	JitterSpread   float64 // (default 3)
	LateMargin     float64 // ms above a wait's noise band that makes it late (default 2)
	// Multiplier is the client's configured backoff multiplier when the
	// harness knows it (the reference pipeline's policy); the deterministic
	// schedules tried are then a fixed sleep and ×m within 5% of it. 0:
	// unknown, any m from 1 to 8.
	Multiplier      float64
	MinGrowingWaits int     // waits needed to judge growth (default 4)
	GrowingMinRatio float64 // later/earlier sum needed to call waits growing (default 1.25)
	LateSpike       float64 // ms, the most one-sided noise adds to one wait, for growing (default 120)
}

func (p BackoffParams) withDefaults() BackoffParams {
	if p.Noise == 0 {
		p.Noise = 4
	}
	if p.NoiseRel == 0 {
		p.NoiseRel = 0.015
	}
	if p.MinWaits == 0 {
		p.MinWaits = 6
	}
	if p.MinSmallWaits == 0 {
		p.MinSmallWaits = 3
	}
	if p.SmallSampleNeed == 0 {
		p.SmallSampleNeed = 4
	}
	if p.DetLateShare == 0 {
		p.DetLateShare = 1.0 / 4
	}
	if p.DetMaxSurprise == 0 {
		p.DetMaxSurprise = 0.8
	}
	if p.MinDetWaits == 0 {
		p.MinDetWaits = 9
	}
	if p.MinFixedWaits == 0 {
		p.MinFixedWaits = 8
	}
	if p.JitterBase == 0 {
		p.JitterBase = 0.6
	}
	if p.JitterSpread == 0 {
		p.JitterSpread = 3
	}
	if p.LateMargin == 0 {
		p.LateMargin = 2
	}
	if p.MinGrowingWaits == 0 {
		p.MinGrowingWaits = 4
	}
	if p.GrowingMinRatio == 0 {
		p.GrowingMinRatio = 1.5
	}
	if p.LateSpike == 0 {
		p.LateSpike = 120
	}
	return p
}

func (p BackoffParams) tol(w float64) float64 { return p.Noise + p.NoiseRel*w }

// Judgement is a backoff statistic's outcome.
type Judgement struct {
	Conclusive bool
	Holds      bool    // meaningful when Conclusive
	Have, Need int     // data points available / needed
	Score      float64 // growth score (growing) or per-wait surprise (jitter)
	Detail     string
}

// tailKnots is the one-sided noise tail S(r) = P(noise > r) the jitter
// statistic assumes, as (r ms, ln S) knots, log-linear between and flat
// after the last: heavier than a loaded two-core machine measured.
var tailKnots = [][2]float64{{0, 0}, {8, math.Log(0.3)}, {40, math.Log(0.1)}, {120, math.Log(0.02)}, {300, math.Log(0.002)}}

// surprise is -ln S(r).
func surprise(r float64) float64 {
	if r <= 0 {
		return 0
	}
	for k := 1; k < len(tailKnots); k++ {
		a, b := tailKnots[k-1], tailKnots[k]
		if r <= b[0] {
			return -(a[1] + (b[1]-a[1])*(r-a[0])/(b[0]-a[0]))
		}
	}
	return -tailKnots[len(tailKnots)-1][1]
}

// lowerFit is the best deterministic schedule under the waits.
type lowerFit struct {
	s     []float64 // intended wait by retry index
	m     float64   // multiplier of an exponential schedule (1: a fixed sleep)
	step  float64   // ms added per retry by a linear schedule (0: not linear)
	score float64   // summed surprise
}

// fitBelow finds the deterministic schedule s_i = min(c, b·m^i), or (when
// the client's multiplier is unknown) s_i = min(c, b + d·i), with s_i ≤ U_i
// (the lower envelope) that leaves the least surprise in the waits.
func fitBelow(waits [][]float64, p BackoffParams) lowerFit {
	k := 0
	for _, s := range waits {
		k = max(k, len(s))
	}
	env := make([]float64, k)
	for i := range env {
		env[i] = math.Inf(1)
		for _, s := range waits {
			if i < len(s) && !math.IsNaN(s[i]) {
				env[i] = math.Min(env[i], s[i]+p.tol(s[i]))
			}
		}
	}
	score := func(sched []float64) float64 {
		t := 0.0
		for _, s := range waits {
			for i, w := range s {
				if !math.IsNaN(w) {
					t += surprise(w - sched[i] - p.tol(sched[i]))
				}
			}
		}
		return t
	}
	best := lowerFit{score: math.Inf(1)}
	bestSum := 0.0
	try := func(sched []float64, m, step float64) {
		sum := 0.0
		for _, s := range sched {
			sum += s
		}
		// Least surprise; among equals, the schedule closest under the
		// waits.
		if sc := score(sched); sc < best.score-1e-9 || sc <= best.score+1e-9 && sum > bestSum {
			best = lowerFit{s: sched, m: m, step: step, score: sc}
			bestSum = sum
		}
	}
	// A fixed sleep (or immediate retries): the lowest envelope value.
	c := math.Inf(1)
	for _, u := range env {
		c = math.Min(c, u)
	}
	fixed := make([]float64, k)
	for i := range fixed {
		fixed[i] = c
	}
	try(fixed, 1, 0)
	lo, hi := 1.0, 8.0
	if p.Multiplier >= 1 {
		lo, hi = p.Multiplier/1.05, p.Multiplier*1.05
	}
	var ms []float64
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			if math.IsInf(env[i], 1) || math.IsInf(env[j], 1) || env[i] <= 0 {
				continue
			}
			if m := math.Pow(env[j]/env[i], 1/float64(j-i)); m > 1 && m >= lo && m <= hi {
				ms = append(ms, m)
			}
		}
	}
	step := 1.05
	if p.Multiplier >= 1 {
		step = 1.01
	}
	for m := math.Max(lo, 1.0001); m <= math.Min(hi, 4); m *= step {
		ms = append(ms, m)
	}
	ms = append(ms, math.Max(lo, 1.0001), hi)
	for _, m := range ms {
		// The cap takes over at index capAt (k: never).
		for capAt := 1; capAt <= k; capAt++ {
			b, c := math.Inf(1), math.Inf(1)
			for i := 0; i < k; i++ {
				if i < capAt {
					b = math.Min(b, env[i]/math.Pow(m, float64(i)))
				} else {
					c = math.Min(c, env[i])
				}
			}
			if math.IsInf(b, 1) {
				continue
			}
			if capAt < k {
				if math.IsInf(c, 1) || c < b*math.Pow(m, float64(capAt-1)) {
					continue
				}
				c = math.Min(c, b*math.Pow(m, float64(capAt)))
			}
			sched := make([]float64, k)
			for i := range sched {
				sched[i] = math.Min(c, b*math.Pow(m, float64(i)))
			}
			try(sched, m, 0)
		}
	}
	if p.Multiplier < 1 {
		fitLinear(env, try)
	}
	return best
}

// fitLinear tries the linear schedules s_i = min(c, b + d·i) under the
// envelope env (a sleep of d times the retry number, as s3cmd and many
// hand-written loops do), for every d implied by two envelope values and
// every cap position.
func fitLinear(env []float64, try func(sched []float64, m, step float64)) {
	k := len(env)
	var ds []float64
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			if d := (env[j] - env[i]) / float64(j-i); d > 0 && !math.IsInf(d, 0) && !math.IsNaN(d) {
				ds = append(ds, d)
			}
		}
	}
	for _, d := range ds {
		for capAt := 1; capAt <= k; capAt++ {
			b, c := math.Inf(1), math.Inf(1)
			for i := 0; i < k; i++ {
				if i < capAt {
					b = math.Min(b, env[i]-d*float64(i))
				} else {
					c = math.Min(c, env[i])
				}
			}
			if math.IsInf(b, 1) {
				continue
			}
			if capAt < k {
				if math.IsInf(c, 1) || c < b+d*float64(capAt-1) {
					continue
				}
				c = math.Min(c, b+d*float64(capAt))
			}
			sched := make([]float64, k)
			for i := range sched {
				sched[i] = math.Max(0, math.Min(c, b+d*float64(i)))
			}
			try(sched, 1, d)
		}
	}
}

// Waits are a client's backoff waits in ms, as series by layer, each
// indexed by retry (NaN marks a wait left out: it followed a Retry-After,
// or the retry started before the failed attempt ended).
//
// A chain whose attempts were all made under one operation header (or
// under none) is one Call series. A chain of an application-level loop
// (several calls of one attempt each) is one Loop series: the waits between
// its calls. A nested chain gives one Call series per call (its SDK's own
// retries) and one Loop series (the waits between the calls). Each layer
// has its own deterministic schedule, so the two are fitted apart.
type Waits struct {
	Call [][]float64
	Loop [][]float64
}

// N counts the waits that are not left out.
func (w Waits) N() int { return count(w.Call) + count(w.Loop) }

// Pool returns w with the series of more appended: the waits of evidence
// runs.
func (w Waits) Pool(more Waits) Waits {
	return Waits{Call: append(append([][]float64(nil), w.Call...), more.Call...),
		Loop: append(append([][]float64(nil), w.Loop...), more.Loop...)}
}

func (w Waits) layers() [][][]float64 {
	var out [][][]float64
	for _, l := range [][][]float64{w.Call, w.Loop} {
		if count(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

func (w Waits) String() string {
	switch {
	case count(w.Loop) == 0:
		return fmtWaits(w.Call)
	case count(w.Call) == 0:
		return "between calls " + fmtWaits(w.Loop)
	}
	return "within calls " + fmtWaits(w.Call) + ", between calls " + fmtWaits(w.Loop)
}

func count(series [][]float64) int {
	n := 0
	for _, s := range series {
		for _, w := range s {
			if !math.IsNaN(w) {
				n++
			}
		}
	}
	return n
}

// layerStats are what the jitter statistic learns of one layer.
type layerStats struct {
	n, late, fixedNear int
	score              float64 // summed surprise over the best fit
	fixed              float64 // the lowest wait, less noise (fixed-delay rule)
	sched              string
	rep                repeats
}

// repeats compares the chains of a layer with each other, retry index by
// retry index: any deterministic schedule, whatever its shape, gives every
// chain the same intended wait at an index, so under one-sided noise each
// wait sits within noise above the index's lowest; jitter draws each
// afresh. n counts the waits beyond the first at each index (the lowest one
// tells nothing), late those above the noise band, score their summed
// surprise.
type repeats struct {
	n, late int
	score   float64
}

func (r *repeats) add(o repeats) { r.n += o.n; r.late += o.late; r.score += o.score }

func repeatStats(waits [][]float64, p BackoffParams) repeats {
	var r repeats
	for i := 0; ; i++ {
		env, seen, more := math.Inf(1), 0, false
		for _, s := range waits {
			if i < len(s) {
				more = true
				if !math.IsNaN(s[i]) {
					env = math.Min(env, s[i]+p.tol(s[i]))
					seen++
				}
			}
		}
		if !more {
			return r
		}
		if seen < 2 {
			continue
		}
		r.n += seen - 1
		for _, s := range waits {
			if i < len(s) && !math.IsNaN(s[i]) {
				x := s[i] - env - p.tol(env)
				r.score += surprise(x)
				if x > p.LateMargin {
					r.late++
				}
			}
		}
	}
}

// deterministic reports whether n waits, late of them above their
// schedule's noise band with score summed surprise, are enough to call the
// schedule deterministic: none late and n ≥ MinDetWaits, or from
// 2·MinDetWaits a share of scheduling spikes.
func (p BackoffParams) deterministic(n, late int, score float64) bool {
	if n < p.MinDetWaits {
		return false
	}
	return late == 0 || n >= 2*p.MinDetWaits && p.DetLateShare*float64(n) >= float64(late) && score/float64(n) <= p.DetMaxSurprise
}

func jitterStats(waits [][]float64, p BackoffParams) layerStats {
	st := layerStats{n: count(waits)}
	f := fitBelow(waits, p)
	st.score = f.score
	st.sched = fmtSchedule(f, p)
	for _, s := range waits {
		for i, w := range s {
			if !math.IsNaN(w) && w-f.s[i]-p.tol(f.s[i]) > p.LateMargin {
				st.late++
			}
		}
	}
	// A fixed sleep: waits not late above the lowest one. One-sided noise
	// only adds, so the late rest are scheduling spikes (and immediate
	// retries are a fixed sleep of 0).
	c := math.Inf(1)
	for _, s := range waits {
		for _, w := range s {
			if !math.IsNaN(w) {
				c = math.Min(c, w+p.tol(w))
			}
		}
	}
	for _, s := range waits {
		for _, w := range s {
			if !math.IsNaN(w) && w-c-p.tol(c) <= p.LateMargin {
				st.fixedNear++
			}
		}
	}
	st.fixed = math.Max(0, c-p.tol(c))
	st.rep = repeatStats(waits, p)
	return st
}

// jitterNeed is the surprise per wait that calls n waits jittered.
func (p BackoffParams) jitterNeed(n int) float64 {
	if n < p.MinWaits {
		return p.SmallSampleNeed
	}
	return p.JitterBase + p.JitterSpread/math.Sqrt(float64(n))
}

// JudgeJitter decides whether the waits were jittered. See the comment on
// backoff statistics above.
func JudgeJitter(waits Waits, params BackoffParams) Judgement {
	p := params.withDefaults()
	n := waits.N()
	if n == 0 {
		return Judgement{Need: p.MinWaits, Detail: "no retries after a failure"}
	}
	if n < p.MinSmallWaits {
		return Judgement{Have: n, Need: p.MinWaits,
			Detail: fmt.Sprintf("inconclusive: %d waits, need %d (e.g. two operations of 3 retries) (waits %s)", n, p.MinWaits, waits)}
	}
	var st layerStats
	var scheds []string
	for _, l := range waits.layers() {
		ls := jitterStats(l, p)
		st.n += ls.n
		st.late += ls.late
		st.fixedNear += ls.fixedNear
		st.score += ls.score
		st.rep.add(ls.rep)
		scheds = append(scheds, ls.sched)
		if len(scheds) == 1 {
			st.fixed = ls.fixed
		}
	}
	per := st.score / float64(n)
	need := p.jitterNeed(n)
	sched := strings.Join(scheds, " and ")
	j := Judgement{Have: n, Need: p.MinWaits, Score: per}
	// Waits that repeat from chain to chain are no jitter, whatever shape
	// their schedule has (and clients seeded alike retry in lock-step).
	rep := st.rep
	repPer := 0.0
	if rep.n > 0 {
		repPer = rep.score / float64(rep.n)
	}
	repeated := rep.n >= p.MinSmallWaits && repPer < p.JitterBase+p.JitterSpread/math.Sqrt(float64(rep.n))
	switch {
	case per >= need && !repeated:
		j.Conclusive, j.Holds = true, true
		j.Detail = fmt.Sprintf("no deterministic schedule explains the waits: the highest under them (%s) leaves %d of %d waits late, surprise %.2f per wait ≥ %.2f (waits %s)", sched, st.late, n, per, need, waits)
	case n >= p.MinFixedWaits && 4*st.fixedNear >= 3*n && len(scheds) == 1:
		j.Conclusive = true
		j.Detail = fmt.Sprintf("%d of %d waits within noise of %.0fms, none earlier: a fixed delay (waits %s)", st.fixedNear, n, st.fixed, waits)
	case p.deterministic(n, st.late, st.score):
		j.Conclusive = true
		if st.late == 0 {
			j.Detail = fmt.Sprintf("all %d waits fit the deterministic schedule %s within noise (waits %s)", n, sched, waits)
		} else {
			j.Detail = fmt.Sprintf("%d of %d waits fit the deterministic schedule %s within noise, the other %d no later than scheduling spikes (waits %s)", n-st.late, n, sched, st.late, waits)
		}
	case p.deterministic(rep.n, rep.late, rep.score):
		j.Conclusive = true
		j.Detail = fmt.Sprintf("the waits repeat from chain to chain: at every retry index %d of %d waits beyond the first are within noise of it, surprise %.2f per wait — a deterministic schedule, whatever its shape (waits %s)", rep.n-rep.late, rep.n, repPer, waits)
	case per >= need:
		j.Need = p.MinDetWaits
		j.Detail = fmt.Sprintf("inconclusive: no exponential, linear or fixed schedule explains the waits, but they repeat from chain to chain (%d of %d waits beyond the first at their retry index within noise of it), which jitter does not do; need %d such waits to call them deterministic (waits %s)", rep.n-rep.late, rep.n, p.MinDetWaits, waits)
	case n < p.MinWaits:
		j.Detail = fmt.Sprintf("inconclusive: %d waits, need %d unless they are far more spread than noise (surprise %.2f per wait, want %.2f) (waits %s)", n, p.MinWaits, per, need, waits)
	case st.late == 0:
		j.Need = p.MinDetWaits
		j.Detail = fmt.Sprintf("inconclusive: %d waits fit the deterministic schedule %s, need %d to call it deterministic (waits %s)", n, sched, p.MinDetWaits, waits)
	default:
		j.Detail = fmt.Sprintf("inconclusive: the highest deterministic schedule under the waits (%s) leaves %d of %d waits late, surprise %.2f per wait — more than one-sided noise to call it deterministic, less than %.2f to call it jittered; more operations would tell (waits %s)", sched, st.late, n, per, need, waits)
	}
	return j
}

// fmtSchedule shows the fitted schedule as the waits it stands for (each
// value less its noise allowance).
func fmtSchedule(f lowerFit, p BackoffParams) string {
	out := ""
	for i, s := range f.s {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.0f", math.Max(0, s-p.tol(s)))
	}
	if f.step > 0 {
		return fmt.Sprintf("+%.0fms: %sms", f.step, out)
	}
	return fmt.Sprintf("×%.2f: %sms", f.m, out)
}

// JudgeGrowing decides whether the waits grow from retry to retry. See the
// comment on backoff statistics above.
func JudgeGrowing(layered Waits, params BackoffParams) Judgement {
	p := params.withDefaults()
	waits := append(append([][]float64(nil), layered.Call...), layered.Loop...)
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
			Detail: fmt.Sprintf("inconclusive: %d waits in operations retried at least twice, need %d (waits %s)", used, p.MinGrowingWaits, layered)}
	}
	score := late / math.Max(early, 1e-3)
	j := Judgement{Conclusive: true, Have: used, Need: p.MinGrowingWaits, Score: score}
	noise += p.LateSpike
	j.Holds = score >= p.GrowingMinRatio && late-early > noise
	if j.Holds {
		j.Detail = fmt.Sprintf("later waits sum to %.2f× the earlier ones (≥ %.2f) (waits %s)", score, p.GrowingMinRatio, layered)
	} else {
		j.Detail = fmt.Sprintf("later waits sum to %.2f× the earlier ones, want ≥ %.2f beyond noise (waits %s)", score, p.GrowingMinRatio, layered)
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
			if math.IsNaN(w) {
				out += "-" // left out: after a Retry-After, or overlapping
			} else {
				out += fmt.Sprintf("%.0fms", w)
			}
		}
		out += "]"
	}
	return out
}
