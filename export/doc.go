// Package export turns gameday's own inputs into what runs beyond one
// machine: chaosmesh writes a scenario's faults as Chaos Mesh resources for
// a staging cluster, k8sjob writes a Kubernetes Indexed Job that runs a
// scenario matrix as shards. Both build the objects from the projects' Go
// API types and leave writing to Write (multi-document YAML).
//
//	res, _ := chaosmesh.Export(sc, chaosmesh.Options{Namespace: "staging", Selectors: sel})
//	_ = export.Write(os.Stdout, res.Objects...)
package export
