// Package scenarios implements the gameday scenario file: its Go types, strict
// loading with file:line:col errors, defaults, cross-field validation and the
// JSON Schema.
//
//	sc, err := scenarios.LoadFile("scenarios/library/storage-503-single-transient.yaml")
//	if err != nil {
//		return err // a strictyaml.Errors, one line per problem
//	}
//	storage := sc.FirstMinIO()
//	runID := sc.RunIDFor(seed, 1)
package scenarios
