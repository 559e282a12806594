package export

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Write writes objs as one multi-document YAML stream, each document
// starting with "---". Fields are named by the types' JSON tags, as kubectl
// reads them; the status an API object carries and a null
// metadata.creationTimestamp are left out, since neither is input.
func Write(w io.Writer, objs ...any) error {
	for _, o := range objs {
		data, err := Marshal(o)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}

// Marshal renders one object as YAML, as Write does.
func Marshal(o any) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	delete(m, "status")
	prune(m)
	out, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return out, nil
}

// prune drops null creationTimestamp fields, at any depth (a Job's pod
// template has metadata too), and a metadata left empty by that.
func prune(v any) {
	switch x := v.(type) {
	case map[string]any:
		if ts, ok := x["creationTimestamp"]; ok && ts == nil {
			delete(x, "creationTimestamp")
		}
		for k, e := range x {
			prune(e)
			if md, ok := e.(map[string]any); ok && k == "metadata" && len(md) == 0 {
				delete(x, k)
			}
		}
	case []any:
		for _, e := range x {
			prune(e)
		}
	}
}
