// Package redact masks the secrets a gameday run generated (every MinIO
// target's access key and secret key) in everything gameday shows or
// writes: the console, report.json, junit.xml, summary.md, the step
// summary, journals and logs.
//
// One Redactor serves a whole run. Secrets are added as they are generated,
// and every output goes through it before it is encoded: a result model is
// redacted in place, field by field (Value), before any writer sees it; a
// stream of text (a log, the console) goes through a Writer that holds back
// a tail that could begin a secret until the next write shows whether it
// does:
//
//	rd := redact.New()
//	rd.Add(creds.AccessKey, creds.SecretKey) // as soon as they exist
//	rd.Value(&result)                        // every string field, before encoding
//	w := rd.Writer(logFile)                  // streams; Close flushes
//
// A secret is masked in every form a program is likely to print it in (see
// Forms): raw, URL-encoded, and base64 in both alphabets, with or without
// padding, alone or inside a longer base64 string.
package redact

import (
	"encoding/base64"
	"io"
	"net/url"
	"reflect"
	"sync"
)

// Mask replaces every form of every secret.
const Mask = "***"

// minForm is the shortest derived form (a base64 fragment of a secret
// inside a longer string) that is masked: a shorter one would mask
// unrelated text. The raw secret is masked whatever its length.
const minForm = 8

// Redactor masks secrets. The zero value and nil mask nothing. It is safe
// for concurrent use, also while secrets are added.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]bool
	m       *matcher // nil while there is no secret
}

// New returns a Redactor that masks secrets; empty strings are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add makes r mask secrets too; empty strings and secrets already known
// are ignored. Text redacted before Add is not revisited.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if s == "" || r.secrets[s] {
			continue
		}
		if r.secrets == nil {
			r.secrets = map[string]bool{}
		}
		r.secrets[s] = true
		changed = true
	}
	if changed {
		r.m = newMatcher(r.secrets)
	}
}

func (r *Redactor) matcher() *matcher {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m
}

// Forms lists the forms of secret that are masked:
//   - the secret itself;
//   - url.QueryEscape and url.PathEscape of it;
//   - its base64 in the standard and the URL alphabet, with and without
//     padding;
//   - in both alphabets, the part of its base64 that is the same wherever
//     the secret sits inside a longer base64-encoded string: for each of the
//     three alignments, the encoding of the whole 3-byte groups the secret
//     fills alone (the characters at the edges, which mix in neighbouring
//     bytes, are left).
//
// Derived forms shorter than 8 characters are left out.
func Forms(secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{secret}
	add := func(f string) {
		if len(f) >= minForm {
			forms = append(forms, f)
		}
	}
	add(url.QueryEscape(secret))
	add(url.PathEscape(secret))
	b := []byte(secret)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(enc.EncodeToString(b))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for skip := range 3 {
			// With skip bytes of the secret in the group before, the rest
			// starts on a group boundary.
			if skip >= len(b) {
				break
			}
			rest := b[skip:]
			add(enc.EncodeToString(rest[:len(rest)/3*3]))
		}
	}
	return forms
}

// String returns s with every form of every secret replaced by Mask. Where
// forms overlap, the longest one that starts first is masked.
func (r *Redactor) String(s string) string {
	m := r.matcher()
	if m == nil {
		return s
	}
	out, _ := m.redact(nil, []byte(s), true)
	return string(out)
}

// Bytes is String for a byte slice; it returns a new slice.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// Value redacts, in place, every exported string reachable from v, which
// should be a pointer: struct fields, slice, array and map elements, map
// keys, through pointers and interfaces; []byte is redacted as text. Use
// it on a value before encoding it (JSON, XML, Markdown, ...), so that no
// encoding can split a secret or be broken by masking it. Unexported fields
// are left alone.
func (r *Redactor) Value(v any) {
	if r.matcher() == nil {
		return
	}
	walk(reflect.ValueOf(v), r.String, map[uintptr]bool{})
}

func walk(v reflect.Value, f func(string) string, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		walk(v.Elem(), f, seen)
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		// The value inside an interface is not addressable: redact a copy
		// and put it back.
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		walk(c, f, seen)
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if fv := v.Field(i); fv.CanSet() {
				walk(fv, f, seen)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.CanSet() {
				v.SetBytes([]byte(f(string(v.Bytes()))))
			}
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), f, seen)
		}
	case reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), f, seen)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		type entry struct{ k, v reflect.Value }
		var all []entry
		for it := v.MapRange(); it.Next(); {
			all = append(all, entry{it.Key(), it.Value()})
		}
		for _, e := range all {
			k := reflect.New(e.k.Type()).Elem()
			k.Set(e.k)
			walk(k, f, seen)
			val := reflect.New(e.v.Type()).Elem()
			val.Set(e.v)
			walk(val, f, seen)
			v.SetMapIndex(e.k, reflect.Value{})
			v.SetMapIndex(k, val)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	}
}

// Writer returns a writer that redacts what passes through it to w, also
// when a secret is split across writes: it holds back the longest tail of
// what it got that could begin a form of a secret, until more arrives or
// Flush or Close writes it out. Close does not close w. It is safe for
// concurrent use.
func (r *Redactor) Writer(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Writer is a redacting io.WriteCloser; see Redactor.Writer.
type Writer struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

// Write redacts p (with what was held back before it) and writes all of it
// but the tail that could begin a secret. It reports len(p) on success.
func (rw *Writer) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	m := rw.r.matcher()
	if m == nil && len(rw.buf) == 0 {
		if _, err := rw.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	rw.buf = append(rw.buf, p...)
	var out []byte
	n := len(rw.buf)
	if m != nil {
		out, n = m.redact(nil, rw.buf, false)
	} else {
		out = rw.buf
	}
	if len(out) > 0 {
		if _, err := rw.w.Write(out); err != nil {
			return 0, err
		}
	}
	rw.buf = append(rw.buf[:0], rw.buf[n:]...)
	return len(p), nil
}

// Flush writes out what is held back, redacted. Call it where the stream
// pauses and must show everything so far (the end of a screen update).
func (rw *Writer) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	out := rw.buf
	if m := rw.r.matcher(); m != nil {
		out, _ = m.redact(nil, rw.buf, true)
	}
	_, err := rw.w.Write(out)
	rw.buf = rw.buf[:0]
	return err
}

// Close flushes; it does not close the underlying writer.
func (rw *Writer) Close() error { return rw.Flush() }

// matcher finds the forms of a set of secrets in text. It is immutable.
type matcher struct {
	// strs holds every form (isForm) and every proper prefix of a form
	// (isPrefix); a form can be a prefix of a longer one too.
	strs    map[string]uint8
	first   [256]bool // first bytes of forms
	longest int
}

const (
	isForm uint8 = 1 << iota
	isPrefix
)

func newMatcher(secrets map[string]bool) *matcher {
	m := &matcher{strs: map[string]uint8{}}
	for s := range secrets {
		for _, f := range Forms(s) {
			m.strs[f] |= isForm
			m.first[f[0]] = true
			m.longest = max(m.longest, len(f))
			for n := 1; n < len(f); n++ {
				m.strs[f[:n]] |= isPrefix
			}
		}
	}
	return m
}

// redact appends b to dst with the longest form starting at each position
// masked, leftmost first. Unless final, it stops where the rest of b could
// still grow into a form (or into a longer one) with more text, and
// returns how much of b it consumed; the caller keeps the rest for later.
func (m *matcher) redact(dst, b []byte, final bool) ([]byte, int) {
	lit := 0 // start of the text not yet appended
	for p := 0; p < len(b); {
		if !m.first[b[p]] {
			p++
			continue
		}
		rest := len(b) - p
		best, open := 0, false
		for n := 1; n <= min(m.longest, rest); n++ {
			kind := m.strs[string(b[p:p+n])]
			if kind&isForm != 0 {
				best = n
			}
			if kind&isPrefix == 0 {
				break
			}
			if n == rest {
				open = true // a form may go on past the end of b
			}
		}
		if open && !final {
			return append(dst, b[lit:p]...), p
		}
		if best == 0 {
			p++
			continue
		}
		dst = append(append(dst, b[lit:p]...), Mask...)
		p += best
		lit = p
	}
	return append(dst, b[lit:]...), len(b)
}
