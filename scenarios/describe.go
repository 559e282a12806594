package scenarios

import (
	"fmt"
	"strings"
)

// String renders a match for people: "GET|PUT /features/* X-A: b
// ?versionId=1", or "every request".
func (m *Match) String() string {
	if m == nil {
		return "every request"
	}
	var parts []string
	if len(m.Method) > 0 {
		parts = append(parts, strings.Join(m.Method, "|"))
	}
	if m.Path != "" {
		parts = append(parts, m.Path)
	}
	for _, k := range sortedKeys(m.Headers) {
		parts = append(parts, k+": "+m.Headers[k])
	}
	for _, k := range sortedKeys(m.Query) {
		parts = append(parts, "?"+k+"="+m.Query[k])
	}
	if len(parts) == 0 {
		return "every request"
	}
	return strings.Join(parts, " ")
}

// Schedule renders the fault's schedule for people: "after 1s, times 2",
// or "always".
func (f *Fault) Schedule() string {
	var parts []string
	if f.After != nil {
		parts = append(parts, "after "+f.After.String())
	}
	if f.Until != nil {
		parts = append(parts, "until "+f.Until.String())
	}
	for _, k := range []struct {
		name string
		n    *int
	}{{"skip", f.Skip}, {"every", f.Every}, {"times", f.Times}} {
		if k.n != nil {
			parts = append(parts, fmt.Sprintf("%s %d", k.name, *k.n))
		}
	}
	if f.Probability != nil {
		parts = append(parts, fmt.Sprintf("probability %g", *f.Probability))
	}
	if len(parts) == 0 {
		return "always"
	}
	return strings.Join(parts, ", ")
}
