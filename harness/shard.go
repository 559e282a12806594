package harness

import (
	"fmt"

	"github.com/gameday/gameday/scenarios"
	"github.com/gameday/gameday/shard"
)

// Pairs returns the scenario × seed pairs RunScenarios runs for list with
// the seed override and repeat (seeds S..S+repeat-1 per scenario), in run
// order. Sharding needs every shard to agree on them, so a scenario whose
// seed would be drawn at random is an error wrapping shard.ErrNoSeed.
func Pairs(list []*scenarios.Scenario, override *int64, repeat int) ([]shard.Pair, error) {
	var out []shard.Pair
	for _, sc := range list {
		base, ok := sc.FixedSeed(override)
		if !ok {
			return nil, fmt.Errorf("scenario %s (%s) has %w, so every shard would draw its own: give it `seed:` or pass --seed (e.g. the CI pipeline's number)",
				sc.Name, sc.File, shard.ErrNoSeed)
		}
		for k := range max(repeat, 1) {
			out = append(out, shard.Pair{Name: sc.Name, Seed: base + int64(k)})
		}
	}
	return out, nil
}
