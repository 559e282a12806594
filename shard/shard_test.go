package shard_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/scenarios"
	"github.com/gameday/gameday/shard"
)

func TestParse(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == shard.JobIndexEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		in, env string
		want    shard.Shard
	}{
		{"1/3", "", shard.Shard{Index: 1, Count: 3}},
		{"3/3", "", shard.Shard{Index: 3, Count: 3}},
		{"1/1", "", shard.Shard{Index: 1, Count: 1}},
		{"job/4", "0", shard.Shard{Index: 1, Count: 4}},
		{"job/4", "3", shard.Shard{Index: 4, Count: 4}},
	} {
		got, err := shard.Parse(tc.in, env(tc.env))
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, env, want string }{
		{"4/3", "", "I must be 1..3"},
		{"0/3", "", "I must be 1..3"},
		{"x", "", "want I/N"},
		{"x/3", "", "I must be a whole number"},
		{"1/0", "", "N must be"},
		{"1/y", "", "N must be"},
		{"job/3", "", "$JOB_COMPLETION_INDEX is \"\""},
		{"job/3", "3", "I must be 1..3"},
		{"job/3", "-1", "0-based index"},
	} {
		_, err := shard.Parse(tc.in, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v; want one naming %q", tc.in, err, tc.want)
		}
	}
}

// libraryPairs returns the scenario × seed pairs of `gameday run
// scenarios/library --repeat n`.
func libraryPairs(t *testing.T, n int) []shard.Pair {
	t.Helper()
	files, err := scenarios.Collect([]string{"../scenarios/library"})
	if err != nil {
		t.Fatal(err)
	}
	var list []*scenarios.Scenario
	for _, f := range files {
		sc, err := scenarios.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, sc)
	}
	pairs, err := harness.Pairs(list, nil, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != len(files)*n {
		t.Fatalf("%d pairs for %d files × %d seeds", len(pairs), len(files), n)
	}
	return pairs
}

// TestShardsOfTheLibraryRunEveryPairOnce: shards 1/3, 2/3 and 3/3 of
// scenarios/library --repeat 2 together hold every scenario × seed exactly
// once, balanced, and the same ones whatever the order of the files.
func TestShardsOfTheLibraryRunEveryPairOnce(t *testing.T) {
	pairs := libraryPairs(t, 2)
	seen := map[shard.Pair]int{}
	sizes := map[int]int{}
	for i := 1; i <= 3; i++ {
		s := shard.Shard{Index: i, Count: 3}
		for _, p := range s.Select(pairs) {
			seen[p]++
			sizes[i]++
		}
	}
	for _, p := range pairs {
		if seen[p] != 1 {
			t.Errorf("%s ran %d times across the shards, want 1", p, seen[p])
		}
	}
	if len(seen) != len(pairs) {
		t.Errorf("shards ran %d pairs, want %d", len(seen), len(pairs))
	}
	for i := 1; i <= 3; i++ {
		if d := sizes[i] - len(pairs)/3; d < 0 || d > 1 {
			t.Errorf("shard %d/3 has %d of %d pairs: unbalanced", i, sizes[i], len(pairs))
		}
	}

	want := shard.Assign(pairs, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := append([]shard.Pair(nil), pairs...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := shard.Assign(shuffled, 3)
		for p, i := range want {
			if got[p] != i {
				t.Fatalf("%s moved from shard %d to %d when the files were reordered", p, i, got[p])
			}
		}
		keep := (shard.Shard{Index: 2, Count: 3}).Filter(shuffled)
		for p, i := range want {
			if keep(p.Name, p.Seed) != (i == 2) {
				t.Fatalf("Filter disagrees with Assign on %s", p)
			}
		}
	}
}

func TestPairsNeedFixedSeeds(t *testing.T) {
	sc, err := scenarios.Load("x.yaml", t.TempDir(), []byte("name: x\ntargets: {api: {kind: stub}}\nworkload: {pipeline: reference}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.Pairs([]*scenarios.Scenario{sc}, nil, 2); err == nil || !strings.Contains(err.Error(), "no seed") {
		t.Fatalf("Pairs without a seed: %v; want an error naming it", err)
	}
	seed := int64(7)
	pairs, err := harness.Pairs([]*scenarios.Scenario{sc}, &seed, 2)
	if err != nil || len(pairs) != 2 || pairs[0] != (shard.Pair{Name: "x", Seed: 7}) || pairs[1] != (shard.Pair{Name: "x", Seed: 8}) {
		t.Fatalf("Pairs with --seed 7 --repeat 2 = %v, %v", pairs, err)
	}
}

func TestOnePairManyShards(t *testing.T) {
	pairs := []shard.Pair{{Name: "only", Seed: 1}}
	holders := 0
	for i := 1; i <= 5; i++ {
		holders += len((shard.Shard{Index: i, Count: 5}).Select(pairs))
	}
	if holders != 1 {
		t.Fatalf("one pair held by %d of 5 shards", holders)
	}
}
