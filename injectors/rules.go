package injectors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gameday/gameday/internal/glob"
)

// On says when a rule's action applies: before the request is forwarded, or
// after the upstream answered.
type On string

// Values of On. The zero value means OnRequest.
const (
	OnRequest  On = "request"
	OnResponse On = "response"
)

// Rule is one fault: which requests it matches, what it does to them and
// when. Rules are evaluated in order for each request; see Proxy.Arm.
type Rule struct {
	Name     string
	Match    Match
	Action   Action
	On       On // "" means OnRequest
	Schedule Schedule
	// Workload marks a fault on the workload rather than on the target: its
	// crash or pause is of the workload's process group (still handed to
	// Config.OnCrash / OnPause, which see this flag).
	Workload bool
}

// Match selects requests. Every set field must hold; the zero Match matches
// every request.
type Match struct {
	// Methods, if not empty, lists the methods that match (case-insensitive).
	Methods []string
	// Path, if set, is a glob over the decoded request path in which `*`
	// matches any run of characters, `/` included; every other character
	// matches itself.
	Path string
	// Headers must be present with exactly these values (Host included).
	Headers map[string]string
	// Query parameters must be present with exactly these values.
	Query map[string]string
}

// Schedule says which matching requests a rule injects into. Fields combine
// with AND; the zero Schedule fires on every match.
type Schedule struct {
	After time.Duration // only from this long after arming
	Until time.Duration // only before this long after arming; 0: no end
	Skip  int           // let the first Skip matches pass
	Every int           // among the matches after the skipped ones, only every Nth; 0 or 1: each
	Times int           // at most this many injections; 0: no limit
	// Probability, when set, is the chance in [0, 1] that a match the other
	// fields allow fires, drawn from the proxy's seeded RNG (only for values
	// strictly between 0 and 1). nil means always.
	Probability *float64
}

// Validate reports the first thing wrong with r.
func (r Rule) Validate() error {
	if r.Action == nil {
		return errors.New("no action")
	}
	if ps := r.Action.Validate(ActionContext{Workload: r.Workload}); len(ps) > 0 {
		p := ps[0]
		if p.Key != "" {
			return fmt.Errorf("%s: %s", p.Key, p.Msg)
		}
		return errors.New(p.Msg)
	}
	if r.On != "" && r.On != OnRequest && r.On != OnResponse {
		return fmt.Errorf("on %q, want request or response", r.On)
	}
	s := r.Schedule
	switch {
	case s.After < 0 || s.Until < 0:
		return errors.New("negative after/until")
	case s.Until > 0 && s.Until <= s.After:
		return errors.New("until must be later than after")
	case s.Skip < 0 || s.Every < 0 || s.Times < 0:
		return errors.New("negative skip/every/times")
	case s.Probability != nil && (*s.Probability < 0 || *s.Probability > 1):
		return fmt.Errorf("probability %v out of range 0..1", *s.Probability)
	}
	return nil
}

// matches reports whether req is selected by m. q caches the parsed query.
func (m *Match) matches(req *http.Request, q *url.Values) bool {
	if len(m.Methods) > 0 {
		ok := false
		for _, meth := range m.Methods {
			if strings.EqualFold(meth, req.Method) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if m.Path != "" && !glob.Match(m.Path, req.URL.Path) {
		return false
	}
	for k, v := range m.Headers {
		got := req.Header.Get(k)
		if strings.EqualFold(k, "Host") {
			got = req.Host
		}
		if got != v {
			return false
		}
		if got == "" && req.Header.Values(k) == nil && !strings.EqualFold(k, "Host") {
			return false
		}
	}
	if len(m.Query) > 0 {
		if *q == nil {
			*q = req.URL.Query()
		}
		for k, v := range m.Query {
			vals, ok := (*q)[k]
			if !ok {
				return false
			}
			found := false
			for _, got := range vals {
				if got == v {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// RuleCounter is the state of one armed rule.
type RuleCounter struct {
	Name     string
	Matched  int // requests whose match held
	Injected int // requests the rule fired on
}

// ruleSet is what Arm installs: the rules, their counters, the arming time.
type ruleSet struct {
	rules    []Rule
	counters []RuleCounter
	armedAt  time.Time
	// needsHeaders: some rule matches on request headers (the fast path
	// parses them only then).
	needsHeaders bool
}

// pick evaluates the rules for req in order, as DESIGN "Rule order" says:
// every rule whose match holds advances its match counter; the first whose
// schedule also fires wins and advances its injected counter. Rules after
// the winner only count the match (they draw nothing). It returns the
// winner, or nil. The caller holds the proxy's lock.
func (s *ruleSet) pick(req *http.Request, now time.Time, rng *rand.Rand) *Rule {
	return s.fire(s.matching(req, nil), now, rng)
}

// matching appends to dst the indexes of the rules whose match holds for
// req, in order. It reads only the rules, which Arm never changes once
// installed, so it needs no lock: a request that matches nothing takes
// none.
func (s *ruleSet) matching(req *http.Request, dst []int) []int {
	var q url.Values
	for i := range s.rules {
		if s.rules[i].Match.matches(req, &q) {
			dst = append(dst, i)
		}
	}
	return dst
}

// fire advances the counters of the matched rules (indexes from matching)
// and applies their schedules, as pick says. The caller holds the proxy's
// lock.
func (s *ruleSet) fire(matched []int, now time.Time, rng *rand.Rand) *Rule {
	var won *Rule
	since := now.Sub(s.armedAt)
	for _, i := range matched {
		r := &s.rules[i]
		c := &s.counters[i]
		c.Matched++
		if won != nil {
			continue
		}
		if fires(&r.Schedule, c, since, rng) {
			c.Injected++
			won = r
		}
	}
	return won
}

// fires applies a schedule to the c.Matched-th match, since arming.
func fires(s *Schedule, c *RuleCounter, since time.Duration, rng *rand.Rand) bool {
	if since < s.After || (s.Until > 0 && since >= s.Until) {
		return false
	}
	if c.Matched <= s.Skip {
		return false
	}
	if s.Every > 1 && (c.Matched-s.Skip)%s.Every != 0 {
		return false
	}
	if s.Times > 0 && c.Injected >= s.Times {
		return false
	}
	if p := s.Probability; p != nil {
		switch {
		case *p <= 0:
			return false
		case *p < 1 && rng.Float64() >= *p:
			return false
		}
	}
	return true
}
