package policies

import (
	_ "embed"
	"os"
)

//go:embed default.yaml
var defaultYAML []byte

// Default returns the shipped default.yaml (the primer's defaults), for
// programs run without a policy file. ${VAR} is expanded from the
// environment.
func Default() (*Policy, error) {
	return Parse("policies/default.yaml", defaultYAML, os.Getenv)
}
