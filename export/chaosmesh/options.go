package chaosmesh

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gameday/gameday/scenarios"
)

// Options say where the exported faults land. Namespace and a selector for
// every target a fault names are required.
type Options struct {
	// Namespace holds the objects and the pods they select.
	Namespace string
	// Selectors pick the pods behind each target.
	Selectors Selectors
	// Ports are the ports HTTPChaos intercepts on those pods.
	Ports Ports
}

// Selectors are the label selectors of the pods behind the targets: All
// applies to every target (the workload included), and Target[name] refines
// it for one (its labels are added, and win over All's).
type Selectors struct {
	All    map[string]string
	Target map[string]map[string]string
}

// For returns the labels that select target's pods.
func (s Selectors) For(target string) map[string]string {
	out := maps.Clone(s.All)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, s.Target[target])
	return out
}

// ParseSelectors reads --selector values: each a comma-separated list of
// K=V (for every target) or TARGET=K=V (for that target only). Keys and
// values must be valid Kubernetes labels.
func ParseSelectors(values []string) (Selectors, error) {
	s := Selectors{All: map[string]string{}, Target: map[string]map[string]string{}}
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			parts := strings.Split(item, "=")
			var target, k, val string
			switch len(parts) {
			case 2:
				k, val = parts[0], parts[1]
			case 3:
				target, k, val = parts[0], parts[1], parts[2]
			default:
				return Selectors{}, fmt.Errorf("--selector %q: want K=V or TARGET=K=V", item)
			}
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				return Selectors{}, fmt.Errorf("--selector %q: label key %q: %s", item, k, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
				return Selectors{}, fmt.Errorf("--selector %q: label value %q: %s", item, val, strings.Join(errs, "; "))
			}
			if target == "" {
				s.All[k] = val
				continue
			}
			if s.Target[target] == nil {
				s.Target[target] = map[string]string{}
			}
			s.Target[target][k] = val
		}
	}
	return s, nil
}

// Ports are the ports HTTPChaos intercepts: Target[name] for one target,
// else All, else DefaultPort of the target's kind.
type Ports struct {
	All    int32
	Target map[string]int32
}

// DefaultPort is the port a target's pods serve on when --port does not
// say: 9000 for minio (MinIO's own default), 80 for stub APIs.
func DefaultPort(kind string) int32 {
	if kind == scenarios.KindMinIO {
		return 9000
	}
	return 80
}

// For returns the port of target, of kind.
func (p Ports) For(target, kind string) int32 {
	if n, ok := p.Target[target]; ok {
		return n
	}
	if p.All != 0 {
		return p.All
	}
	return DefaultPort(kind)
}

// ParsePorts reads --port values: N for every target, or TARGET=N.
func ParsePorts(values []string) (Ports, error) {
	p := Ports{Target: map[string]int32{}}
	for _, v := range values {
		target, num, scoped := strings.Cut(v, "=")
		if !scoped {
			num, target = target, ""
		}
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil || n < 1 || n > 65535 {
			return Ports{}, fmt.Errorf("--port %q: want a port 1..65535, or TARGET=PORT", v)
		}
		if target == "" {
			p.All = int32(n)
		} else {
			p.Target[target] = int32(n)
		}
	}
	return p, nil
}

// check refuses options that name targets the scenario lacks, and targets
// without a selector.
func (o Options) check(sc *scenarios.Scenario) error {
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return fmt.Errorf("--namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	known := func(t string) bool { return t == scenarios.WorkloadTarget || sc.Target(t) != nil }
	for t := range o.Selectors.Target {
		if !known(t) {
			return fmt.Errorf("--selector %s=...: %s has no target %q (targets: %s)", t, sc.Name, t, targetNames(sc))
		}
	}
	for t := range o.Ports.Target {
		if sc.Target(t) == nil {
			return fmt.Errorf("--port %s=...: %s has no target %q (targets: %s)", t, sc.Name, t, targetNames(sc))
		}
	}
	for _, f := range sc.Faults {
		if len(o.Selectors.For(f.Target)) == 0 {
			return fmt.Errorf("fault %s: no selector for the pods of %s: pass --selector K=V (every target) or --selector %s=K=V",
				f.Name, f.Target, f.Target)
		}
	}
	return nil
}

func targetNames(sc *scenarios.Scenario) string {
	names := []string{scenarios.WorkloadTarget}
	for _, t := range sc.Targets {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}
