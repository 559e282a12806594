package svgplot_test

import (
	"testing"

	"github.com/gameday/gameday/internal/svgplot"
)

func TestTicksAreNiceAndLabelsShowTheirStep(t *testing.T) {
	if got := svgplot.Ticks(0, 4200, 8); len(got) != 5 || got[1] != 1000 || got[4] != 4000 {
		t.Errorf("ticks of 0..4200: %v", got)
	}
	for _, tc := range []struct {
		ms, step float64
		want     string
	}{
		{0, 20, "0"}, {740, 10, "740ms"}, {1120, 20, "1.12s"}, {1100, 100, "1.1s"}, {2000, 1000, "2s"}, {120000, 60000, "2m0s"},
	} {
		if got := svgplot.TickMS(tc.ms, tc.step); got != tc.want {
			t.Errorf("TickMS(%v, %v) = %q, want %q", tc.ms, tc.step, got, tc.want)
		}
	}
	for _, tc := range []struct {
		ms   float64
		want string
	}{{0, "0"}, {1.5, "1.5ms"}, {850, "850ms"}, {1000, "1.0s"}, {4849, "4.8s"}, {125000, "2m5s"}} {
		if got := svgplot.MS(tc.ms); got != tc.want {
			t.Errorf("MS(%v) = %q, want %q", tc.ms, got, tc.want)
		}
	}
	if x := svgplot.Linear(0, 10, 100, 200).At(5); x != 150 {
		t.Errorf("Linear.At: %v", x)
	}
	if x := svgplot.Linear(0, 10, 100, 200).Clamped(20); x != 200 {
		t.Errorf("Clamped: %v", x)
	}
}
