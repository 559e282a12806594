package scenarios_test

import (
	"fmt"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

func ExampleLoadFile() {
	sc, err := scenarios.LoadFile("library/storage-503-single-transient.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	f := sc.Faults[0]
	fmt.Println(sc.Name, sc.Timeout, sc.FirstMinIO().Name)
	fmt.Println(f.Name, f.Target, f.Action.Kind(), f.Action.Action.(*injectors.Status).Code, *f.Times, f.On)
	fmt.Println(sc.Expect.Pages.HoldsInt(0), sc.RunIDFor(101, 1))
	// Output:
	// storage-503-single-transient 1m0s storage
	// one-503 storage status 503 1 request
	// true storage-503-single-transient-101
}

func ExampleParseCmp() {
	c, _ := scenarios.ParseCmp("<=5")
	fmt.Println(c, c.HoldsInt(5), c.HoldsInt(6))
	d, _ := scenarios.ParseCmp("<10s")
	fmt.Println(d, d.IsDuration)
	// Output:
	// <=5 true false
	// <10s true
}
