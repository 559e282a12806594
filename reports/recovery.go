package reports

import (
	"fmt"
	"math"
	"slices"
)

// RecoveryStats is the distribution of recovery time over the runs of a
// scenario under --repeat (or over the runs of a period in trends).
//
// The quantiles are over the runs that recovered: Median is the middle
// value (the mean of the two middle ones for an even count, rounded down),
// P95 the nearest-rank 95th percentile (the value at rank ⌈0.95·n⌉, so
// the maximum for fewer than 20 runs). Runs that were injected a fault
// and never recovered count in GaveUp instead.
type RecoveryStats struct {
	// Runs counts the runs looked at.
	Runs int `json:"runs"`
	// Recovered counts the runs with a recovery time; GaveUp those that were
	// injected a fault and never recovered. The rest injected nothing (or
	// hit an infrastructure error first).
	Recovered int `json:"recovered"`
	GaveUp    int `json:"gave_up"`
	// MinMS, MedianMS, P95MS and MaxMS are nil when nothing recovered.
	MinMS    *int64 `json:"min_ms,omitempty"`
	MedianMS *int64 `json:"median_ms,omitempty"`
	P95MS    *int64 `json:"p95_ms,omitempty"`
	MaxMS    *int64 `json:"max_ms,omitempty"`
	// WorstSeed is the seed of the run with MaxMS (the first such run).
	WorstSeed *int64 `json:"worst_seed,omitempty"`
	// GaveUpMaxMS is the longest time until a run gave up, and
	// GaveUpWorstSeed that run's seed; nil when none gave up.
	GaveUpMaxMS     *int64 `json:"gave_up_max_ms,omitempty"`
	GaveUpWorstSeed *int64 `json:"gave_up_worst_seed,omitempty"`
}

// RecoveryOf returns the recovery distribution of runs (one Scenario per
// seed).
func RecoveryOf(runs []Scenario) *RecoveryStats {
	st := &RecoveryStats{Runs: len(runs)}
	var times []int64
	for _, r := range runs {
		m := r.Metrics
		switch {
		case m.RecoveryTimeMS != nil:
			st.Recovered++
			times = append(times, *m.RecoveryTimeMS)
			if st.MaxMS == nil || *m.RecoveryTimeMS > *st.MaxMS {
				st.MaxMS, st.WorstSeed = ptr(*m.RecoveryTimeMS), ptr(r.Seed)
			}
		case m.GaveUpAfterMS != nil:
			st.GaveUp++
			if st.GaveUpMaxMS == nil || *m.GaveUpAfterMS > *st.GaveUpMaxMS {
				st.GaveUpMaxMS, st.GaveUpWorstSeed = ptr(*m.GaveUpAfterMS), ptr(r.Seed)
			}
		}
	}
	if len(times) > 0 {
		slices.Sort(times)
		st.MinMS = ptr(times[0])
		st.MedianMS = ptr(Median(times))
		st.P95MS = ptr(Percentile(times, 95))
	}
	return st
}

// Median returns the middle of sorted (the mean of the two middle values,
// rounded down, for an even count); 0 for none.
func Median(sorted []int64) int64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		a, b := sorted[n/2-1], sorted[n/2]
		return a + (b-a)/2
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the value at rank ⌈p/100·n⌉; 0 for none.
func Percentile(sorted []int64, p float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Text renders the distribution in one line, e.g. "min 40ms, median 52ms,
// p95 1.2s, max 1.2s (seed 44) over 5 runs that recovered; 1 gave up after
// at most 3.0s (seed 46)".
func (st *RecoveryStats) Text() string {
	if st == nil || st.Runs == 0 {
		return "no runs"
	}
	var s string
	if st.Recovered > 0 {
		s = fmt.Sprintf("min %s, median %s, p95 %s, max %s (seed %d) over %d %s that recovered",
			formatMS(*st.MinMS), formatMS(*st.MedianMS), formatMS(*st.P95MS), formatMS(*st.MaxMS), *st.WorstSeed,
			st.Recovered, plural(st.Recovered, "run"))
	}
	if st.GaveUp > 0 {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("%d gave up after at most %s (seed %d)", st.GaveUp, formatMS(*st.GaveUpMaxMS), *st.GaveUpWorstSeed)
	}
	if s == "" {
		return "no fault injected, nothing to recover from"
	}
	return s
}

func ptr[T any](v T) *T { return &v }
