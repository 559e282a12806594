package harness

import (
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/gameday/gameday/internal/strictyaml"

	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// expectOrder returns the keys of the scenario file's expect block in file
// order (nil when the file cannot be read again: the verdicts then keep
// DESIGN's order).
func expectOrder(path string) []string {
	b, err := scenarios.ReadFile(path)
	if err != nil {
		return nil
	}
	root, errs := strictyaml.Node(path, b)
	if len(errs) > 0 {
		return nil
	}
	for _, it := range mappingValues(root) {
		if k, _ := strictyaml.ScalarText(it.Key); k != "expect" {
			continue
		}
		values := mappingValues(it.Value)
		if values == nil {
			return nil
		}
		keys := make([]string, 0, len(values))
		for _, e := range values {
			k, _ := strictyaml.ScalarText(e.Key)
			keys = append(keys, k)
		}
		return keys
	}
	return nil
}

// mappingValues returns the pairs of a block or flow mapping, or nil.
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
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
