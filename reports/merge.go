package reports

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Shard says which part of a sharded run (--shard I/N) a report is.
type Shard struct {
	// Index is I, counted from 1.
	Index int `json:"index"`
	// Count is N.
	Count int `json:"count"`
}

// Part is one report given to Merge, with where it came from (a folder, an
// s3:// URL) for error messages.
type Part struct {
	Source string
	Result *Result
}

// ErrMerge is wrapped by every error of Merge: parts that do not belong to
// one run. Such input is refused whole rather than merged in part.
var ErrMerge = errors.New("cannot merge")

// Merge combines the reports of the parts of one run (the shards of
// `gameday run --shard I/N`, in any order) into the report a single run of
// the same scenarios and seeds writes. It refuses (ErrMerge) parts with
// different format versions or --repeat counts, shards of different counts,
// a shard given twice or missing, a scenario coming from two different
// files, and a scenario × seed pair that ran in two parts.
//
// A scenario's runs under --repeat may be spread over the parts: Merge
// gathers every part's runs of it (Repeats.Each), puts them in seed order
// and folds them again with Aggregate, so verdicts, held/runs and the
// worst-case metrics are those of a single run. Scenarios are listed by
// file, then name, keeping each part's own order. StartedAt is the earliest
// part's start and DurationMS the wall time from it to the last part's end.
// The result has no Shard and is summarized.
func Merge(parts []Part) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	first := parts[0]
	if err := checkParts(parts); err != nil {
		return nil, err
	}
	out := &Result{FormatVersion: first.Result.FormatVersion, Repeat: first.Result.Repeat}
	if out.Repeat == 1 {
		out.Repeat = 0
	}
	var end time.Time
	backends := map[string]bool{}
	for i, p := range parts {
		r := p.Result
		if i == 0 || r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if e := r.StartedAt.Add(time.Duration(r.DurationMS) * time.Millisecond); e.After(end) {
			end = e
		}
		if r.Backend != "" && len(r.Scenarios) > 0 {
			backends[r.Backend] = true
		}
	}
	out.DurationMS = end.Sub(out.StartedAt).Milliseconds()
	out.Backend = strings.Join(slices.Sorted(maps.Keys(backends)), "+")
	if out.Backend == "" {
		out.Backend = first.Result.Backend
	}

	// Every run of every scenario, and where it came from.
	type run struct {
		sc     Scenario
		source string
	}
	runs := map[string][]run{}
	files := map[string]string{}
	fileFrom := map[string]string{}
	for _, p := range parts {
		for _, sc := range p.Result.Scenarios {
			if f, ok := files[sc.Name]; ok && f != sc.File {
				return nil, fmt.Errorf("%w: scenario %s is %s in %s but %s in %s", ErrMerge, sc.Name, f, fileFrom[sc.Name], sc.File, p.Source)
			}
			files[sc.Name], fileFrom[sc.Name] = sc.File, p.Source
			each := []Scenario{sc}
			if sc.Repeats != nil && len(sc.Repeats.Each) > 0 {
				each = sc.Repeats.Each
			}
			for _, e := range each {
				for _, seen := range runs[sc.Name] {
					if seen.sc.Seed == e.Seed {
						return nil, fmt.Errorf("%w: scenario %s with seed %d ran in both %s and %s", ErrMerge, sc.Name, e.Seed, seen.source, p.Source)
					}
				}
				runs[sc.Name] = append(runs[sc.Name], run{e, p.Source})
			}
		}
	}

	for _, name := range order(parts) {
		rs := runs[name]
		slices.SortStableFunc(rs, func(a, b run) int { return cmp.Compare(a.sc.Seed, b.sc.Seed) })
		if out.Repeat == 0 {
			if len(rs) > 1 {
				return nil, fmt.Errorf("%w: scenario %s ran in both %s and %s without --repeat", ErrMerge, name, rs[0].source, rs[1].source)
			}
			out.Scenarios = append(out.Scenarios, rs[0].sc)
			continue
		}
		each := make([]Scenario, len(rs))
		for i, r := range rs {
			each[i] = r.sc
		}
		agg, err := Aggregate(each)
		if err != nil {
			return nil, err
		}
		out.Scenarios = append(out.Scenarios, agg)
	}
	out.Summarize()
	return out, nil
}

// checkParts refuses parts that are not of one run.
func checkParts(parts []Part) error {
	first := parts[0]
	repeat := func(r *Result) int { return max(r.Repeat, 1) }
	shards := map[int]string{}
	count := 0
	for _, p := range parts {
		r := p.Result
		if r == nil {
			return fmt.Errorf("%w: %s: no report", ErrMerge, p.Source)
		}
		if r.FormatVersion != first.Result.FormatVersion {
			return fmt.Errorf("%w: mixed format versions: %s has format_version %d, %s has %d",
				ErrMerge, first.Source, first.Result.FormatVersion, p.Source, r.FormatVersion)
		}
		if repeat(r) != repeat(first.Result) {
			return fmt.Errorf("%w: mixed --repeat: %s ran %d per scenario, %s ran %d",
				ErrMerge, first.Source, repeat(first.Result), p.Source, repeat(r))
		}
		if r.Shard == nil {
			continue
		}
		if count == 0 {
			count = r.Shard.Count
		}
		if r.Shard.Count != count || r.Shard.Index < 1 || r.Shard.Index > r.Shard.Count {
			return fmt.Errorf("%w: mixed shard counts: %s is shard %d/%d, another is of %d",
				ErrMerge, p.Source, r.Shard.Index, r.Shard.Count, count)
		}
		if prev, dup := shards[r.Shard.Index]; dup {
			return fmt.Errorf("%w: shard %d/%d given twice: %s and %s", ErrMerge, r.Shard.Index, count, prev, p.Source)
		}
		shards[r.Shard.Index] = p.Source
	}
	var missing []string
	for i := 1; i <= count; i++ {
		if _, ok := shards[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: shard %s missing: every shard's report is needed, or the merged verdict would leave runs out",
			ErrMerge, strings.Join(missing, ", "))
	}
	return nil
}

// order returns the scenario names of the parts, each part's order kept,
// merged by (file, name): for the shards of a run of one folder this is the
// single run's order.
func order(parts []Part) []string {
	heads := make([]int, len(parts))
	seen := map[string]bool{}
	var out []string
	for {
		best := -1
		for i, p := range parts {
			scs := p.Result.Scenarios
			for heads[i] < len(scs) && seen[scs[heads[i]].Name] {
				heads[i]++
			}
			if heads[i] == len(scs) {
				continue
			}
			if best < 0 || less(scs[heads[i]], parts[best].Result.Scenarios[heads[best]]) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		name := parts[best].Result.Scenarios[heads[best]].Name
		seen[name] = true
		out = append(out, name)
	}
}

func less(a, b Scenario) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Name < b.Name
}
