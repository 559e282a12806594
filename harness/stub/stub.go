// Package stub serves the canned HTTP routes of a scenario's stub target. It
// is what `gameday stub --routes FILE --listen ADDR` runs.
//
//	routes, _ := stub.LoadFile("routes.yaml")
//	srv, _ := stub.NewServer(routes)
//	http.ListenAndServe("127.0.0.1:8081", srv)
//
// A routes file is YAML (or JSON) holding a `routes:` list in scenario
// syntax:
//
//	routes:
//	  - {method: GET, path: /v1/schema, status: 200, json: {version: 3}}
//	  - {method: [POST, PUT], path: "/v1/runs/{id}/*", status: 201, body: ok, headers: {X-Trace: "1"}, delay: 20ms}
//
// The first matching route wins. In a path, `*` matches any run of
// characters, `/` included, and `{param}` matches one path segment. A
// request no route matches gets 404 with a JSON error. GET /healthz answers
// 200 for readiness.
package stub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/gameday/gameday/scenarios"
)

// Route is one canned answer: scenarios.Route as the server uses it. Files
// are read by LoadFile through the scenario loader; this type only carries
// the loaded values (and is what WriteFile writes).
type Route struct {
	// Method is a list of methods; empty matches any method.
	Method Methods `json:"method,omitempty"`
	// Path is a glob: `*` matches any characters, `{param}` one segment.
	Path string `json:"path"`
	// Status defaults to 200.
	Status int `json:"status,omitempty"`
	// JSON, when set, is sent encoded as JSON with Content-Type
	// application/json. It takes precedence over Body.
	JSON any `json:"json,omitempty"`
	// Body is sent as is.
	Body string `json:"body,omitempty"`
	// Headers are added to the response.
	Headers map[string]string `json:"headers,omitempty"`
	// Delay is waited before answering.
	Delay Duration `json:"delay,omitempty"`
}

// Methods is a list of HTTP methods; empty matches any method.
type Methods []string

// Duration is a time.Duration written as a Go duration string ("20ms") in
// routes files.
type Duration time.Duration

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// File is the routes file format.
type File struct {
	Routes []Route `json:"routes"`
}

// LoadFile reads a routes file (YAML or JSON). It is decoded and checked by
// the scenario loader (scenarios.LoadRoutes), exactly as a stub target's
// routes in a scenario are: unknown keys, wrong types and bad values are
// errors, each one line "FILE:LINE:COL: path: message", all of them
// together in a strictyaml.Errors.
func LoadFile(path string) ([]Route, error) {
	routes, err := scenarios.LoadRoutes(path)
	if err != nil {
		return nil, err
	}
	out := make([]Route, 0, len(routes))
	for _, r := range routes {
		out = append(out, FromScenario(r))
	}
	return out, nil
}

// FromScenario converts a scenario route (as loaded, status defaulted).
func FromScenario(r *scenarios.Route) Route {
	out := Route{
		Method:  Methods(r.Method),
		Path:    r.Path,
		Status:  r.Status,
		JSON:    r.JSON,
		Headers: r.Headers,
		Delay:   Duration(r.Delay),
	}
	if r.Body != nil {
		out.Body = *r.Body
	}
	return out
}

// WriteFile writes routes as a JSON routes file, readable by LoadFile.
func WriteFile(path string, routes []Route) error {
	data, err := json.MarshalIndent(File{Routes: routes}, "", "  ")
	if err != nil {
		return fmt.Errorf("write routes: %w", err)
	}
	return os.WriteFile(path, data, 0o600)
}

// compiled is a route with its path pattern compiled.
type compiled struct {
	Route
	re   *regexp.Regexp
	body []byte
}

// Server answers requests from its routes. It is safe for concurrent use.
type Server struct {
	routes []compiled
}

// NewServer compiles routes. It fails on an empty path or a JSON value that
// cannot be encoded.
func NewServer(routes []Route) (*Server, error) {
	s := &Server{}
	for i, r := range routes {
		if r.Path == "" || !strings.HasPrefix(r.Path, "/") && r.Path != "*" {
			return nil, fmt.Errorf("routes[%d]: path %q must start with /", i, r.Path)
		}
		re, err := PathPattern(r.Path)
		if err != nil {
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
		c := compiled{Route: r, re: re, body: []byte(r.Body)}
		if r.JSON != nil {
			b, err := json.Marshal(jsonable(r.JSON))
			if err != nil {
				return nil, fmt.Errorf("routes[%d]: json: %w", i, err)
			}
			c.body = b
		}
		if c.Status == 0 {
			c.Status = http.StatusOK
		}
		if c.Status < 100 || c.Status > 999 {
			return nil, fmt.Errorf("routes[%d]: status %d out of range", i, c.Status)
		}
		s.routes = append(s.routes, c)
	}
	return s, nil
}

// jsonable turns the map[any]any values a YAML decoder may give into
// map[string]any so encoding/json accepts them.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = jsonable(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}

// PathPattern compiles a route path glob: `*` matches any run of characters
// (`/` included), `{param}` one non-empty path segment, everything else
// itself.
func PathPattern(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '{':
			end := strings.IndexByte(glob[i:], '}')
			if end < 2 {
				return nil, fmt.Errorf("path %q: unclosed or empty {param}", glob)
			}
			b.WriteString("[^/]+")
			i += end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func (c *compiled) matches(r *http.Request) bool {
	if len(c.Method) > 0 {
		ok := false
		for _, m := range c.Method {
			if strings.EqualFold(m, r.Method) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return c.re.MatchString(r.URL.Path)
}

// ServeHTTP answers with the first matching route, /healthz, or a 404 JSON
// error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
		return
	}
	for i := range s.routes {
		c := &s.routes[i]
		if !c.matches(r) {
			continue
		}
		if c.Delay > 0 {
			t := time.NewTimer(time.Duration(c.Delay))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		h := w.Header()
		if c.JSON != nil {
			h.Set("Content-Type", "application/json")
		}
		for k, v := range c.Headers {
			h.Set(k, v)
		}
		w.WriteHeader(c.Status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(c.body)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":  "no route",
		"status": http.StatusNotFound,
		"method": r.Method,
		"path":   r.URL.Path,
	})
}
