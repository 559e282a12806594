package strictyaml_test

import (
	"fmt"
	"time"

	"github.com/gameday/gameday/internal/strictyaml"
)

func ExampleDecode() {
	type Fault struct {
		Name        string        `yaml:"name,required"`
		Delay       time.Duration `yaml:"delay"`
		Probability *float64      `yaml:"probability"`
	}
	var f Fault
	doc, errs := strictyaml.Decode("fault.yaml", []byte("name: slow\ndelay: 5 parsecs\nprobabilty: 0.5\n"), &f)
	fmt.Println(errs)
	// Cross-field checks use the document's positions.
	fmt.Println(doc.Errorf("name", "name: %q is taken", f.Name))
	// Output:
	// fault.yaml:2:8: delay: invalid duration "5 parsecs": want a Go duration such as "250ms", "2s" or "6m"
	// fault.yaml:3:1: unknown key "probabilty" (did you mean "probability"?)
	// fault.yaml:1:7: name: "slow" is taken
}
