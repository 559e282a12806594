package harness

import (
	"strconv"
	"testing"
	"time"

	"github.com/gameday/gameday/scenarios"
)

// TestRemaining: a fault re-armed beside another keeps its progress; the
// schedule left is exact for skip, times, after and until, and for every
// whenever its phase is at a multiple of every.
func TestRemaining(t *testing.T) {
	n := func(v int) *int { return &v }
	d := func(v time.Duration) *time.Duration { return &v }
	str := func(p *int) string {
		if p == nil {
			return "-"
		}
		return strconv.Itoa(*p)
	}
	for _, c := range []struct {
		name         string
		f            scenarios.Fault
		done         count
		elapsed      time.Duration
		gone         bool
		skip, times  *int
		after, until *time.Duration
	}{
		{name: "times spent", f: scenarios.Fault{Times: n(1)}, done: count{3, 1}, gone: true},
		{name: "times left", f: scenarios.Fault{Times: n(3)}, done: count{3, 1}, times: n(2)},
		{name: "skips left", f: scenarios.Fault{Skip: n(5)}, done: count{2, 0}, skip: n(3)},
		{name: "skips done", f: scenarios.Fault{Skip: n(2)}, done: count{4, 2}},
		{name: "every in phase", f: scenarios.Fault{Skip: n(1), Every: n(2)}, done: count{3, 1}},
		{name: "every out of phase", f: scenarios.Fault{Every: n(3)}, done: count{4, 1}, skip: n(2)},
		{name: "until passed", f: scenarios.Fault{Until: d(time.Second)}, elapsed: 2 * time.Second, gone: true},
		{name: "after and until shifted", f: scenarios.Fault{After: d(time.Second), Until: d(3 * time.Second)}, elapsed: 2 * time.Second, after: d(0), until: d(time.Second)},
	} {
		got := remaining(&c.f, c.done, c.elapsed)
		if (got == nil) != c.gone {
			t.Errorf("%s: gone %v, want %v", c.name, got == nil, c.gone)
			continue
		}
		if got == nil {
			continue
		}
		if str(got.Skip) != str(c.skip) || str(got.Times) != str(c.times) {
			t.Errorf("%s: skip %s times %s, want %s %s", c.name, str(got.Skip), str(got.Times), str(c.skip), str(c.times))
		}
		if (got.After == nil) != (c.after == nil) || (got.After != nil && *got.After != *c.after) ||
			(got.Until == nil) != (c.until == nil) || (got.Until != nil && *got.Until != *c.until) {
			t.Errorf("%s: after %v until %v", c.name, got.After, got.Until)
		}
		if c.f.Every != nil && (got.Every == nil || *got.Every != *c.f.Every) {
			t.Errorf("%s: every changed", c.name)
		}
	}
}
