// Package svgplot holds the geometry shared by gameday's self-contained HTML
// pages (report.html, trends.html): linear scales, "nice" axis ticks and
// the number formats of their labels. It draws nothing itself: the pages'
// templates turn its numbers into inline SVG, so every string they show is
// escaped by html/template.
//
//	x := svgplot.Linear(0, 4200, 150, 940) // ms onto pixels
//	for _, t := range svgplot.Ticks(0, 4200, 8) {
//		_ = x.At(t) // 150 + t·(790/4200)
//	}
package svgplot

import (
	"math"
	"strconv"
	"time"
)

// Scale maps a domain [D0, D1] linearly onto a range [R0, R1].
type Scale struct{ D0, D1, R0, R1 float64 }

// Linear returns the scale from [d0, d1] onto [r0, r1]. An empty domain
// (d0 == d1) is widened by one unit so that At never divides by zero.
func Linear(d0, d1, r0, r1 float64) Scale {
	if d1 == d0 {
		d1 = d0 + 1
	}
	return Scale{D0: d0, D1: d1, R0: r0, R1: r1}
}

// At maps v onto the range; values outside the domain map outside it.
func (s Scale) At(v float64) float64 {
	return s.R0 + (v-s.D0)*(s.R1-s.R0)/(s.D1-s.D0)
}

// Clamped maps v onto the range, held within it.
func (s Scale) Clamped(v float64) float64 {
	lo, hi := min(s.R0, s.R1), max(s.R0, s.R1)
	return min(max(s.At(v), lo), hi)
}

// Step returns a "nice" step (1, 2 or 5 times a power of ten) that splits
// [lo, hi] into about n intervals.
func Step(lo, hi float64, n int) float64 {
	span := hi - lo
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// Ticks returns the multiples of Step(lo, hi, n) within [lo, hi].
func Ticks(lo, hi float64, n int) []float64 {
	step := Step(lo, hi, n)
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// Num formats a coordinate with one decimal at most: "12", "12.5".
func Num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// MS formats milliseconds for a label as the reports' tables do: 0,
// 850ms, 1.0s, 1.5s, 2m5s.
func MS(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case ms == 0:
		return "0"
	case math.Abs(ms) < 1000:
		return strconv.FormatFloat(math.Round(ms*10)/10, 'f', -1, 64) + "ms"
	case math.Abs(ms) < 60_000:
		return strconv.FormatFloat(math.Round(ms/100)/10, 'f', 1, 64) + "s"
	default:
		return d.Round(time.Second).String()
	}
}

// TickMS formats the label of an axis tick at ms on an axis whose ticks
// are step apart, with as many decimals as the step needs: "1.12s" for a
// 20ms step past one second, "750ms" below it.
func TickMS(ms, step float64) string {
	if ms == 0 {
		return "0"
	}
	if math.Abs(ms) < 1000 && step < 1000 {
		return strconv.FormatFloat(ms, 'f', decimals(step), 64) + "ms"
	}
	if math.Abs(ms) >= 60_000 && step >= 1000 {
		return time.Duration(ms * float64(time.Millisecond)).Round(time.Second).String()
	}
	return strconv.FormatFloat(ms/1000, 'f', decimals(step/1000), 64) + "s"
}

// decimals is how many decimals show a multiple of step exactly.
func decimals(step float64) int {
	if step <= 0 || step >= 1 {
		return 0
	}
	return min(int(math.Ceil(-math.Log10(step)-1e-9)), 6)
}

// Percent formats a 0..1 share as a whole percentage: "67%".
func Percent(share float64) string {
	return strconv.Itoa(int(math.Round(share*100))) + "%"
}
