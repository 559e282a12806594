package harness

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/gameday/gameday/reports"
)

// expectOrder returns the keys of the scenario file's expect block in file
// order (nil when the file cannot be read again: the verdicts then keep
// DESIGN's order).
func expectOrder(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var top yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(b, &top, yaml.UseOrderedMap()); err != nil {
		return nil
	}
	for _, it := range top {
		if fmt.Sprint(it.Key) != "expect" {
			continue
		}
		ex, ok := it.Value.(yaml.MapSlice)
		if !ok {
			return nil
		}
		keys := make([]string, 0, len(ex))
		for _, e := range ex {
			keys = append(keys, fmt.Sprint(e.Key))
		}
		return keys
	}
	return nil
}

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
