package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gameday/gameday/internal/svgplot"
)

// n formats a coordinate.
func n(v float64) string { return svgplot.Num(v) }

// Timeline geometry, in viewBox units.
const (
	tlWidth   = 1000.0
	tlLeft    = 170.0 // lane labels
	tlRight   = 16.0
	tlAxisH   = 26.0
	tlRowH    = 11.0 // one sub-row of request marks
	tlMaxRows = 4
	tlSmallH  = 28.0 // workload, alerts, artifacts lanes
	tlRecH    = 34.0 // the recovery row
)

// timelineSVG draws a Timeline: an axis in seconds since the scenario
// started, a lane per target (requests coloured by status, injected faults
// marked, fault windows shaded), the workload's runs and attempts, the
// alerts, the artifact writes, and the recovery span.
//
// The recovery span is labelled with m's recovery_time_ms or
// gave_up_after_ms, so that it reads as the tables do.
func timelineSVG(tl *Timeline, m Metrics) svgplot.Drawing {
	lo, hi := timelineDomain(tl)
	x := svgplot.Linear(lo, hi, tlLeft, tlWidth-tlRight)
	xs := func(ms int64) float64 { return x.Clamped(float64(ms)) }

	var back, marks, front []svgplot.El
	y := tlAxisH
	type lane struct{ y, h float64 }
	lanes := map[string]lane{}
	addLane := func(key, label, sub string, h float64, idx int) lane {
		l := lane{y, h}
		class := "lane"
		if idx%2 == 1 {
			class = "lane alt"
		}
		back = append(back, svgplot.Rect(0, y, tlWidth, h, class, "", ""))
		ty := y + h/2 + 4
		if sub != "" {
			ty = y + h/2
			back = append(back, svgplot.Text(8, ty+11, sub, "start", "lane-sub"))
		}
		back = append(back, svgplot.Text(8, ty, label, "start", "lane-label"))
		lanes[key] = l
		y += h
		return l
	}

	// Target lanes: requests in up to tlMaxRows sub-rows, so that
	// concurrent requests do not hide each other.
	byTarget := map[string][]TimelineRequest{}
	for _, r := range tl.Requests {
		byTarget[r.Target] = append(byTarget[r.Target], r)
	}
	targets := slices.Clone(tl.Targets)
	for t := range byTarget {
		if !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
	}
	idx := 0
	for _, t := range targets {
		reqs := byTarget[t]
		rows, used := assignRows(reqs, xs)
		injected := 0
		for _, r := range reqs {
			if r.Fault != "" {
				injected++
			}
		}
		sub := fmt.Sprintf("%d %s, %d injected", len(reqs), plural(len(reqs), "request"), injected)
		l := addLane("target:"+t, t, sub, max(34, 12+float64(used)*tlRowH), idx)
		idx++
		for i, r := range reqs {
			x0, x1 := xs(r.StartMS), xs(r.EndMS)
			w := max(x1-x0, 2.5)
			ry := l.y + 8 + float64(rows[i])*tlRowH
			class, data := "req "+statusClass(r), "request"
			if r.Fault != "" {
				class += " inj"
				data = "injected"
			}
			marks = append(marks, svgplot.Rect(x0, ry, w, tlRowH-2, class, requestTitle(r), data))
			if r.Fault != "" {
				cx := x0 + w/2
				front = append(front, svgplot.Path(fmt.Sprintf("M%s %sL%s %sL%s %sZ", n(cx-3.5), n(ry-6), n(cx+3.5), n(ry-6), n(cx), n(ry-1)),
					"inj-mark", requestTitle(r), ""))
			}
		}
	}

	// The workload: one bar per process start.
	wl := addLane("workload", "workload", fmt.Sprintf("%d %s", len(tl.Runs), plural(len(tl.Runs), "process start")), 34, idx)
	idx++
	for _, r := range tl.Runs {
		x0, x1 := xs(r.StartMS), xs(r.EndMS)
		w := max(x1-x0, 2)
		class := "run " + runClass(r)
		marks = append(marks, svgplot.Rect(x0, wl.y+6, w, wl.h-12, class, runTitle(r), "run"))
		label := fmt.Sprintf("run %d", r.Run)
		if r.Attempt > 0 {
			label += fmt.Sprintf(" r%d", r.Attempt)
		}
		if w >= 7*float64(len(label))+6 {
			front = append(front, svgplot.Text(x0+4, wl.y+wl.h/2+4, label, "start", "run-label"))
		}
		if r.Attempt > 0 { // a restart: a right-pointing triangle at its start
			front = append(front, svgplot.Path(fmt.Sprintf("M%s %sL%s %sL%s %sZ", n(x0), n(wl.y+1), n(x0+7), n(wl.y+5), n(x0), n(wl.y+9)),
				"restart-mark", fmt.Sprintf("restart %d of run %d", r.Attempt, r.Run), "restart"))
		}
		if r.Crashed {
			cy := wl.y + wl.h/2
			front = append(front, svgplot.Path(fmt.Sprintf("M%s %sL%s %sM%s %sL%s %s", n(x1-5), n(cy-5), n(x1+5), n(cy+5), n(x1-5), n(cy+5), n(x1+5), n(cy-5)),
				"crash-mark", fmt.Sprintf("run %d attempt %d crashed (%s)", r.Run, r.Attempt, orDash(r.Signal)), "crash"))
		}
	}

	// Alerts.
	al := addLane("alerts", "alerts", alertsSub(tl.Alerts), tlSmallH, idx)
	idx++
	for i, a := range tl.Alerts {
		class, r, data := "alert al-"+levelClass(a.Level), 5.0, "alert-"+levelClass(a.Level)
		if a.Level == "page" && a.Firing {
			r = 7
		}
		if !a.Firing {
			class += " al-off"
			data = "alert-off"
		}
		cy := al.y + al.h/2 + float64(i%3-1)*3
		marks = append(marks, svgplot.Circle(xs(a.AtMS), cy, r, class, alertTitle(a), data))
	}
	if len(tl.Alerts) == 0 {
		back = append(back, svgplot.Text(tlLeft+6, al.y+al.h/2+4, "no notifications", "start", "none"))
	}

	// Artifact writes.
	ar := addLane("artifacts", "artifact writes", fmt.Sprintf("%d stored", len(tl.Artifacts)), tlSmallH, idx)
	for _, a := range tl.Artifacts {
		class := "art"
		if !a.Delivered {
			class += " art-lost"
		}
		cx := xs(a.AtMS)
		marks = append(marks, svgplot.Rect(cx-4, ar.y+ar.h/2-4, 8, 8, class, artifactTitle(a), "artifact"))
	}
	if len(tl.Artifacts) == 0 {
		back = append(back, svgplot.Text(tlLeft+6, ar.y+ar.h/2+4, "none", "start", "none"))
	}
	lanesEnd := y

	// Fault windows, behind the marks of their lane.
	for _, w := range tl.Windows {
		l, ok := lanes["target:"+w.Target]
		if !ok {
			continue
		}
		x0, x1 := xs(w.FromMS), xs(w.ToMS)
		back = append(back, svgplot.Rect(x0, l.y+1, max(x1-x0, 2), l.h-2, "win win-"+w.Kind,
			fmt.Sprintf("fault %s %s on %s from %s to %s", w.Fault, w.Kind, w.Target, svgplot.MS(float64(w.FromMS)), svgplot.MS(float64(w.ToMS))), "window"))
	}
	// Timer faults: a line through their lane.
	for _, f := range tl.Faults {
		l, ok := lanes["target:"+f.Target]
		if f.Target == "workload" {
			l, ok = lanes["workload"], true
		}
		if !ok {
			continue
		}
		fx := xs(f.AtMS)
		title := fmt.Sprintf("timer fault %s: %s %s at %s", f.Name, f.Action, f.Target, svgplot.MS(float64(f.AtMS)))
		front = append(front, svgplot.Line(fx, l.y+1, fx, l.y+l.h-1, "timer-fault", title),
			svgplot.Path(fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sZ", n(fx), n(l.y+1), n(fx+5), n(l.y+6), n(fx), n(l.y+11), n(fx-5), n(l.y+6)), "timer-mark", title, "timer-fault"))
	}

	// Recovery: from the first injected fault to the end of the run that
	// recovered, or to when the workload gave up.
	ry := y + 14
	var rec []svgplot.El
	switch {
	case tl.FirstFaultMS == nil:
		rec = append(rec, svgplot.Text(tlLeft+6, ry+4, "no fault injected: nothing to recover from", "start", "none"))
	default:
		ff := xs(*tl.FirstFaultMS)
		rec = append(rec, svgplot.Line(ff, tlAxisH, ff, lanesEnd, "first-fault", "first injected fault at "+svgplot.MS(float64(*tl.FirstFaultMS))))
		to, class, label, data := ff, "rec", "", "recovery"
		switch {
		case tl.RecoveredMS != nil:
			to = xs(*tl.RecoveredMS)
			d := *tl.RecoveredMS - *tl.FirstFaultMS
			if m.RecoveryTimeMS != nil {
				d = *m.RecoveryTimeMS
			}
			label = "recovered after " + formatMS(d)
		case tl.GaveUpMS != nil:
			to, class, data = xs(*tl.GaveUpMS), "gaveup", "gave-up"
			d := *tl.GaveUpMS - *tl.FirstFaultMS
			if m.GaveUpAfterMS != nil {
				d = *m.GaveUpAfterMS
			}
			label = "gave up after " + formatMS(d)
		default:
			label = "did not recover"
			class, data = "gaveup", "gave-up"
		}
		rec = append(rec,
			svgplot.Line(ff, ry, to, ry, class+" span", label),
			svgplot.Line(ff, ry-5, ff, ry+5, class, label),
			svgplot.Line(to, ry-5, to, ry+5, class, label))
		rec[len(rec)-3].Data = data
		if to > tlWidth-tlRight-7*float64(len(label)) {
			rec = append(rec, svgplot.Text(ff-6, ry+4, label, "end", class+"-label"))
		} else {
			rec = append(rec, svgplot.Text(to+6, ry+4, label, "start", class+"-label"))
		}
	}
	back = append(back, svgplot.Text(8, ry+4, "recovery", "start", "lane-label"))
	y += tlRecH

	// Axis on top, its grid through every lane.
	var axis []svgplot.El
	step := svgplot.Step(lo, hi, 8)
	for _, t := range svgplot.Ticks(lo, hi, 8) {
		tx := x.At(t)
		axis = append(axis, svgplot.Line(tx, tlAxisH-4, tx, lanesEnd, "grid", ""), svgplot.Text(tx, 14, svgplot.TickMS(t, step), "middle", "tick"))
	}
	axis = append(axis, svgplot.Text(8, 14, "since start", "start", "tick"))
	if tl.Omitted > 0 {
		axis = append(axis, svgplot.Text(tlWidth-tlRight, y-6, fmt.Sprintf("%d successful %s not drawn (the report keeps %d)",
			tl.Omitted, plural(tl.Omitted, "request"), MaxTimelineRequests), "end", "none"))
	}

	els := slices.Concat(back, axis, marks, front, rec)
	return svgplot.Drawing{W: n(tlWidth), H: n(y), Label: "timeline", Els: els}
}

// timelineDomain returns the span a timeline draws: from just before its
// first event to just after its last, in ms since the scenario started.
func timelineDomain(tl *Timeline) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	see := func(vs ...int64) {
		for _, v := range vs {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
	}
	for _, r := range tl.Requests {
		see(r.StartMS, r.EndMS)
	}
	for _, r := range tl.Runs {
		see(r.StartMS, r.EndMS)
	}
	for _, f := range tl.Faults {
		see(f.AtMS)
	}
	for _, a := range tl.Alerts {
		see(a.AtMS)
	}
	for _, w := range tl.Windows {
		see(w.FromMS)
	}
	if math.IsInf(lo, 1) {
		return 0, float64(max(tl.EndMS, 1))
	}
	pad := max((hi-lo)*0.02, 5)
	return max(lo-pad, 0), hi + pad
}

// assignRows puts each request (in start order) into the first sub-row
// whose last mark ended before it starts, opening up to tlMaxRows rows; it
// returns each request's row and the number of rows used.
func assignRows(reqs []TimelineRequest, xs func(int64) float64) ([]int, int) {
	rows := make([]int, len(reqs))
	var ends []float64
	for i, r := range reqs {
		x0 := xs(r.StartMS)
		x1 := max(xs(r.EndMS), x0+2.5)
		row := -1
		for k, e := range ends {
			if e <= x0-0.5 {
				row = k
				break
			}
		}
		switch {
		case row >= 0:
		case len(ends) < tlMaxRows:
			row = len(ends)
			ends = append(ends, 0)
		default:
			row = 0
			for k := range ends {
				if ends[k] < ends[row] {
					row = k
				}
			}
		}
		ends[row] = max(ends[row], x1)
		rows[i] = row
	}
	return rows, max(len(ends), 1)
}

func statusClass(r TimelineRequest) string {
	switch {
	case r.Status == 0:
		return "st-none"
	case r.Status < 300:
		return "st-2xx"
	case r.Status < 400:
		return "st-3xx"
	case r.Status < 500:
		return "st-4xx"
	default:
		return "st-5xx"
	}
}

func requestTitle(r TimelineRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s → ", r.Method, r.Path)
	if r.Status != 0 {
		fmt.Fprintf(&b, "%d", r.Status)
	} else {
		b.WriteString("no answer")
	}
	if r.Error != "" {
		b.WriteString(" (" + r.Error + ")")
	}
	fmt.Fprintf(&b, "\nat %s, took %s; run %d attempt %d", svgplot.MS(float64(r.StartMS)), svgplot.MS(float64(r.EndMS-r.StartMS)), r.Run, r.Attempt)
	if r.Retry {
		b.WriteString("; a retry")
	}
	if r.Fault != "" {
		fmt.Fprintf(&b, "\ninjected by fault %s (%s)", r.Fault, r.Action)
	}
	return b.String()
}

func runClass(r TimelineRun) string {
	switch {
	case r.Succeeded:
		return "run-ok"
	case r.Crashed:
		return "run-crashed"
	case r.TimedOut:
		return "run-timeout"
	default:
		return "run-failed"
	}
}

func runTitle(r TimelineRun) string {
	how := fmt.Sprintf("exit %d", r.ExitCode)
	switch {
	case r.Crashed:
		how = "crashed (" + orDash(r.Signal) + ")"
	case r.TimedOut:
		how = "timed out"
	case r.Signal != "":
		how = "ended by " + r.Signal
	}
	return fmt.Sprintf("run %d attempt %d (run_id %s): %s after %s, from %s to %s\nlog: %s",
		r.Run, r.Attempt, r.RunID, how, svgplot.MS(float64(r.EndMS-r.StartMS)), svgplot.MS(float64(r.StartMS)), svgplot.MS(float64(r.EndMS)), r.Log)
}

func levelClass(level string) string {
	switch level {
	case "info", "warning", "page":
		return level
	default:
		return "other"
	}
}

func alertsSub(as []TimelineAlert) string {
	count := map[string]int{}
	for _, a := range as {
		if a.Firing {
			count[a.Level]++
		}
	}
	var parts []string
	for _, l := range Severities {
		if count[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[l], l))
		}
	}
	if len(parts) == 0 {
		return "none firing"
	}
	return strings.Join(parts, ", ")
}

func alertTitle(a TimelineAlert) string {
	state := a.Action
	if !a.Firing && a.Action == "firing" {
		state = "rejected payload"
	}
	return fmt.Sprintf("%s: %s (%s %s) at %s", a.Level, a.Name, a.Source, state, svgplot.MS(float64(a.AtMS)))
}

func artifactTitle(a TimelineArtifact) string {
	t := fmt.Sprintf("%s %s stored at %s by run %d attempt %d", a.Method, a.Path, svgplot.MS(float64(a.AtMS)), a.Run, a.Attempt)
	if !a.Delivered {
		t += "; the answer never reached the client"
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stripSVG draws the recovery time of every run of a repeated scenario as
// a dot (a strip plot), with the min, median, p95 and max marked, and the
// runs that gave up on a row of their own at the time they gave up.
func stripSVG(runs []Scenario, st *RecoveryStats) svgplot.Drawing {
	const w, left, right = 1000.0, tlLeft, 24.0
	hi := 1.0
	for _, r := range runs {
		if v := r.Metrics.RecoveryTimeMS; v != nil {
			hi = max(hi, float64(*v))
		}
		if v := r.Metrics.GaveUpAfterMS; v != nil {
			hi = max(hi, float64(*v))
		}
	}
	hi *= 1.05
	x := svgplot.Linear(0, hi, left, w-right)
	recY, gaveY := 62.0, 92.0
	h := 80.0
	if st.GaveUp > 0 {
		h = 110
	}
	var els []svgplot.El
	els = append(els, svgplot.Rect(0, 40, w, 44, "lane", "", ""), svgplot.Text(8, recY+4, "recovered", "start", "lane-label"))
	if st.GaveUp > 0 {
		els = append(els, svgplot.Rect(0, 84, w, 26, "lane alt", "", ""), svgplot.Text(8, gaveY+4, "gave up", "start", "lane-label"))
	}
	step := svgplot.Step(0, hi, 8)
	for _, t := range svgplot.Ticks(0, hi, 8) {
		tx := x.At(t)
		els = append(els, svgplot.Line(tx, 36, tx, h, "grid", ""), svgplot.Text(tx, h+14, svgplot.TickMS(t, step), "middle", "tick"))
	}
	if st.Recovered > 0 {
		marks := []struct {
			label string
			v     int64
		}{{"min", *st.MinMS}, {"median", *st.MedianMS}, {"p95", *st.P95MS}, {"max", *st.MaxMS}}
		lastX := math.Inf(-1)
		level := 0
		for _, m := range marks {
			mx := x.At(float64(m.v))
			if mx-lastX < 70 {
				level++
			} else {
				level = 0
			}
			lastX = mx
			ly := 30 - float64(level%3)*10
			els = append(els, svgplot.Line(mx, ly+3, mx, recY+14, "q-mark", m.label+" "+svgplot.MS(float64(m.v))),
				svgplot.Text(mx, ly, m.label+" "+svgplot.MS(float64(m.v)), "middle", "q-label"))
		}
	}
	for i, r := range runs {
		jitter := float64(i%3-1) * 6
		title := fmt.Sprintf("seed %d: %s", r.Seed, r.Verdict())
		switch {
		case r.Metrics.RecoveryTimeMS != nil:
			v := float64(*r.Metrics.RecoveryTimeMS)
			els = append(els, svgplot.Circle(x.At(v), recY+jitter, 5, "dot", title+", recovered after "+svgplot.MS(v), "seed-recovered"))
		case r.Metrics.GaveUpAfterMS != nil:
			v := float64(*r.Metrics.GaveUpAfterMS)
			els = append(els, svgplot.Circle(x.At(v), gaveY+jitter/2, 5, "dot gaveup-dot", title+", gave up after "+svgplot.MS(v), "seed-gave-up"))
		}
	}
	return svgplot.Drawing{W: n(w), H: n(h + 22), Label: "recovery time per seed", Els: els}
}
