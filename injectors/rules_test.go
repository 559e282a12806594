package injectors

import (
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gameday/gameday/internal/glob"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"/features/*", "/features/day/part-0.bin", true},
		{"/features/*", "/features/", true},
		{"/features/*", "/feature", false},
		{"/models/*/model.bin", "/models/run-1/x/model.bin", true},
		{"/models/*/model.bin", "/models/run-1/model.json", false},
		{"*", "", true},
		{"", "", true},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxbyy", false},
		{"/exact", "/exact", true},
		{"/exact", "/exactly", false},
	}
	for _, c := range cases {
		if got := glob.Match(c.pattern, c.name); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func TestScheduleSkipEveryTimes(t *testing.T) {
	s := &ruleSet{rules: []Rule{{Name: "r", Action: &Reset{On: true}, Schedule: Schedule{Skip: 2, Every: 2, Times: 3}}},
		counters: make([]RuleCounter, 1)}
	rng := rand.New(rand.NewPCG(1, 2))
	var fired []int
	for i := 1; i <= 12; i++ {
		if s.pick(httptest.NewRequest("GET", "/x", nil), time.Time{}, rng) != nil {
			fired = append(fired, i)
		}
	}
	if len(fired) != 3 || fired[0] != 4 || fired[1] != 6 || fired[2] != 8 {
		t.Fatalf("fired on %v, want [4 6 8]", fired)
	}
}

func TestMatchHeadersAndQuery(t *testing.T) {
	m := Match{Methods: []string{"get"}, Headers: map[string]string{"X-Kind": "a", "Host": "api.test"}, Query: map[string]string{"uploads": ""}}
	req := httptest.NewRequest("GET", "http://api.test/b?uploads", nil)
	req.Header.Set("X-Kind", "a")
	var q = req.URL.Query()
	if !m.matches(req, &q) {
		t.Fatal("want a match")
	}
	req.Header.Set("X-Kind", "b")
	if m.matches(req, &q) {
		t.Fatal("header value differs: want no match")
	}
	m2 := Match{Headers: map[string]string{"X-Empty": ""}}
	if m2.matches(req, &q) {
		t.Fatal("absent header must not match an empty value")
	}
}

func TestValidate(t *testing.T) {
	bad := []Rule{
		{Name: "none"},
		{Name: "negative", Action: &Delay{D: -time.Second}},
		{Name: "false reset", Action: &Reset{}},
		{Name: "code", Action: &Status{Code: 99}},
		{Name: "p", Action: &Reset{On: true}, Schedule: Schedule{Probability: new(1.5)}},
		{Name: "on", Action: &Reset{On: true}, On: "later"},
		{Name: "window", Action: &Reset{On: true}, Schedule: Schedule{After: 2 * time.Second, Until: time.Second}},
	}
	for _, r := range bad {
		if r.Validate() == nil {
			t.Errorf("rule %s: want an error", r.Name)
		}
	}
	zero := int64(0)
	if err := (Rule{Action: &Truncate{Bytes: Size(zero)}}).Validate(); err != nil {
		t.Errorf("truncate 0: %v", err)
	}
}

func TestOpKeyAndRedaction(t *testing.T) {
	got := OpKey("GET", "/b/k", "X-Amz-Date=1&b=2&a=1&X-Amz-Signature=s", "bytes=0-9")
	if want := "GET /b/k?a=1&b=2 bytes=0-9"; got != want {
		t.Errorf("OpKey = %q, want %q", got, want)
	}
	if got := OpKey("HEAD", "/b/k", "", ""); got != "HEAD /b/k" {
		t.Errorf("OpKey = %q", got)
	}
	if got, want := OpKey("GET", "/b", "list-type=2&api_token=a%2Fb", ""), OpKey("GET", "/b", "api_token=a/b&list-type=2", ""); got != want {
		t.Errorf("OpKey of one decoded value: %q != %q", got, want)
	}
	red := RedactQuery("X-Amz-Credential=AK%2F1&x=1&X-Amz-Signature=abc&sessionToken=t&client_secret=s&X-Amz-Security-Token=z")
	want := "X-Amz-Credential=***&x=1&X-Amz-Signature=***&sessionToken=***&client_secret=***&X-Amz-Security-Token=***"
	if red != want {
		t.Errorf("RedactQuery = %q, want %q", red, want)
	}
}

func TestRetryAfterMS(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := retryAfterMS("2", now); got != 2000 {
		t.Errorf("seconds: %d", got)
	}
	if got := retryAfterMS(now.Add(5*time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), now); got != 5000 {
		t.Errorf("date: %d", got)
	}
	if got := retryAfterMS("soon", now); got != 0 {
		t.Errorf("garbage: %d", got)
	}
}

// TestOpKeyTellsTokenValuesApart: ListObjectsV2 pages differ only in their
// continuation-token, so keying on the redacted "***" made three pages look
// like one operation attempted three times.
func TestOpKeyTellsTokenValuesApart(t *testing.T) {
	keys := map[string]bool{}
	for _, tok := range []string{"p1", "p2", "p3"} {
		k := OpKey("GET", "/bucket", "list-type=2&continuation-token="+tok, "")
		if strings.Contains(k, "="+tok) {
			t.Errorf("OpKey %q carries the raw token %q", k, tok)
		}
		keys[k] = true
	}
	if len(keys) != 3 {
		t.Errorf("three continuation tokens gave %d op_keys: %v", len(keys), keys)
	}
	a := OpKey("GET", "/bucket", "list-type=2&continuation-token=p1", "")
	b := OpKey("GET", "/bucket", "continuation-token=p1&list-type=2", "")
	if a != b {
		t.Errorf("one token value gave two op_keys: %q, %q", a, b)
	}
	if want := "GET /bucket?continuation-token=#f64551fcd6f0&list-type=2"; a != want { // sha256("p1")[:12]
		t.Errorf("OpKey = %q, want %q", a, want)
	}
	// X-Amz-* parameters stay out entirely, even the sensitive ones.
	if k := OpKey("GET", "/b/k", "X-Amz-Signature=s1&X-Amz-Security-Token=t1", ""); k != "GET /b/k" {
		t.Errorf("OpKey = %q, want X-Amz-* left out", k)
	}
}
