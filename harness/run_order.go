package harness

import (
	"sort"
	"strings"

	"github.com/gameday/gameday/reports"
)

// orderVerdicts sorts verdicts by the position of their key in the expect
// block (`retries_after[1]` and `alerts.info` go by `retries_after` and
// `alerts`), keeping their relative order otherwise; `timeout`, implicit,
// stays last.
func orderVerdicts(vs []reports.Expectation, keys []string) {
	if len(keys) == 0 {
		return
	}
	pos := map[string]int{}
	for i, k := range keys {
		pos[k] = i
	}
	rank := func(name string) int {
		if name == "timeout" {
			return len(keys) + 1
		}
		k := name
		if i := strings.IndexAny(k, ".["); i >= 0 {
			k = k[:i]
		}
		if p, ok := pos[k]; ok {
			return p
		}
		return len(keys)
	}
	sort.SliceStable(vs, func(i, j int) bool { return rank(vs[i].Name) < rank(vs[j].Name) })
}
