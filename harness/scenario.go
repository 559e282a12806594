package harness

import (
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/stub"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// TargetSpecOf turns a scenario target into what a Backend starts.
func TargetSpecOf(t *scenarios.Target) lifecycle.TargetSpec {
	spec := lifecycle.TargetSpec{Name: t.Name, Kind: lifecycle.Kind(t.Kind)}
	for _, r := range t.Routes {
		sr := stub.Route{
			Method:  stub.Methods(r.Method),
			Path:    r.Path,
			Status:  r.Status,
			JSON:    r.JSON,
			Headers: r.Headers,
			Delay:   stub.Duration(r.Delay),
		}
		if r.Body != nil {
			sr.Body = *r.Body
		}
		spec.Routes = append(spec.Routes, sr)
	}
	return spec
}

// ObjectsOf returns a minio target's seed objects.
func ObjectsOf(t *scenarios.Target) []lifecycle.Object {
	var out []lifecycle.Object
	for _, o := range t.Objects {
		obj := lifecycle.Object{Bucket: o.Bucket, Key: o.Key, FromFile: o.FromFile}
		if o.Size != nil {
			obj.Size = int64(*o.Size)
		}
		if o.Content != nil {
			obj.Content, obj.HasContent = *o.Content, true
		}
		out = append(out, obj)
	}
	return out
}

// TimerFaultsOf returns the scenario's timer faults (crash or pause without
// match), in file order.
func TimerFaultsOf(s *scenarios.Scenario) []TimerFault { return TimerFaultsIn(s.Faults) }

// TimerFaultsIn converts the timer faults among faults (crash or pause
// without match), in order.
func TimerFaultsIn(faults []*scenarios.Fault) []TimerFault {
	var out []TimerFault
	for _, f := range faults {
		if !f.IsTimer() {
			continue
		}
		tf := TimerFault{Name: f.Name, Target: f.Target}
		if f.After != nil {
			tf.After = *f.After
		}
		tf.Action = f.Action.Kind()
		switch a := f.Action.Action.(type) {
		case *injectors.Crash:
			if a.RestartAfter != nil {
				tf.Restart, tf.RestartAfter = true, *a.RestartAfter
			}
		case *injectors.Pause:
			tf.PauseFor = a.For
		}
		out = append(out, tf)
	}
	return out
}
