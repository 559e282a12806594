package injectors_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/gameday/gameday/injectors"
)

// A rule with skip: 2, every: 2, times: 3 injects on matches 4, 6 and 8.
func Example() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)

	p, err := injectors.New(injectors.Config{Upstream: u, Kind: injectors.KindJSON, Target: "feature-api", Seed: 42})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err := p.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer p.Close()
	_ = p.Arm([]injectors.Rule{{
		Name:     "flaky-runs",
		Match:    injectors.Match{Methods: []string{"POST"}, Path: "/v1/runs/*"},
		Action:   &injectors.Status{Code: 503},
		Schedule: injectors.Schedule{Skip: 2, Every: 2, Times: 3},
	}})

	var got []string
	for range 9 {
		resp, err := http.Post(p.URL()+"/v1/runs/7/start", "text/plain", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got = append(got, fmt.Sprint(resp.StatusCode))
	}
	fmt.Println(strings.Join(got, " "))
	fmt.Printf("%+v\n", p.Counters())
	// Output:
	// 200 200 200 503 200 503 200 503 200
	// [{Name:flaky-runs Matched:9 Injected:3}]
}
