package shard_test

import (
	"fmt"

	"github.com/gameday/gameday/shard"
)

// Three shards of two scenarios × two seeds: every pair in exactly one.
func ExampleShard_Select() {
	pairs := []shard.Pair{{Name: "a", Seed: 1}, {Name: "a", Seed: 2}, {Name: "b", Seed: 1}, {Name: "b", Seed: 2}}
	for i := 1; i <= 3; i++ {
		sh, _ := shard.Parse(fmt.Sprintf("%d/3", i), nil)
		fmt.Println(sh, sh.Select(pairs))
	}
	// Output:
	// 1/3 [a@1 b@2]
	// 2/3 [b@1]
	// 3/3 [a@2]
}
