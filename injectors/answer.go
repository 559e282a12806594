package injectors

import (
	"net/http"
	"net/url"
	"time"
)

// ErrorAnswer returns the headers and body the proxy answers an injected
// status with, for a request of method on path, at now: what a fault of kind
// looks like on the wire. Exporters that hand a fault to another injector
// (Chaos Mesh's HTTPChaos) use it so the error stays protocol-true there.
func ErrorAnswer(kind Kind, st *Status, method, path string, now time.Time) (http.Header, []byte) {
	req := &http.Request{Method: method, URL: &url.URL{Path: path}}
	return errorAnswer(kind, st, req, now)
}
