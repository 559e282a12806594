package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// JobIndexEnv is the variable a Kubernetes Indexed Job sets in each pod: the
// pod's 0-based completion index. `--shard job/N` reads it.
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// Shard is one part of a sharded run: Index of Count, counted from 1.
type Shard struct {
	Index int
	Count int
}

// String renders the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Parse reads a --shard value: "I/N" with 1 <= I <= N, or "job/N", which
// takes I from $JOB_COMPLETION_INDEX + 1 (the 0-based index Kubernetes gives
// each pod of an Indexed Job), read through getenv.
func Parse(v string, getenv func(string) string) (Shard, error) {
	is, ns, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: want I/N, e.g. 2/3", v)
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard %q: N must be a whole number of at least 1", v)
	}
	if is == "job" {
		env := getenv(JobIndexEnv)
		k, err := strconv.Atoi(env)
		if err != nil || k < 0 {
			return Shard{}, fmt.Errorf("--shard %q: $%s is %q, want the pod's 0-based index (set by a Kubernetes Indexed Job)", v, JobIndexEnv, env)
		}
		is = strconv.Itoa(k + 1)
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return Shard{}, fmt.Errorf("--shard %q: I must be a whole number (or job)", v)
	}
	if i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: I must be 1..%d", v, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// Pair is one run of a scenario: its name and seed.
type Pair struct {
	Name string
	Seed int64
}

// String renders the pair as name@seed.
func (p Pair) String() string { return p.Name + "@" + strconv.FormatInt(p.Seed, 10) }

// ErrNoSeed is wrapped by Pairs when a scenario has no fixed seed.
var ErrNoSeed = errors.New("no seed")

// Assign returns, for every pair, the shard (1..count) it belongs to. The
// pairs are put in the order of a hash of (name, seed), then dealt round
// robin: the assignment depends only on the set of pairs, never on their
// order, and shard sizes differ by at most one. Duplicated pairs are given
// the same shard.
func Assign(pairs []Pair, count int) map[Pair]int {
	type keyed struct {
		key  uint64
		pair Pair
	}
	seen := map[Pair]bool{}
	var ks []keyed
	for _, p := range pairs {
		if seen[p] {
			continue
		}
		seen[p] = true
		h := sha256.Sum256(fmt.Appendf(nil, "gameday-shard\x00%s\x00%d", p.Name, p.Seed))
		ks = append(ks, keyed{binary.BigEndian.Uint64(h[:8]), p})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		switch {
		case a.key != b.key:
			if a.key < b.key {
				return -1
			}
			return 1
		case a.pair.Name != b.pair.Name:
			return strings.Compare(a.pair.Name, b.pair.Name)
		case a.pair.Seed < b.pair.Seed:
			return -1
		case a.pair.Seed > b.pair.Seed:
			return 1
		}
		return 0
	})
	out := make(map[Pair]int, len(ks))
	for j, k := range ks {
		out[k.pair] = j%count + 1
	}
	return out
}

// Select returns the pairs of shard s, in the order given.
func (s Shard) Select(pairs []Pair) []Pair {
	of := Assign(pairs, s.Count)
	var out []Pair
	for _, p := range pairs {
		if of[p] == s.Index {
			out = append(out, p)
		}
	}
	return out
}

// Filter returns a predicate that holds for the pairs of shard s, for
// harness.RunOptions.Only.
func (s Shard) Filter(pairs []Pair) func(name string, seed int64) bool {
	of := Assign(pairs, s.Count)
	return func(name string, seed int64) bool { return of[Pair{name, seed}] == s.Index }
}

// Dir is the folder name of the shard's outputs under an upload prefix:
// shard-I-of-N.
func (s Shard) Dir() string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }
