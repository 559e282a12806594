package harness

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"sync"
)

// Redactor replaces credentials with `***`. The zero value redacts nothing.
// It is safe for concurrent use once built.
type Redactor struct {
	secrets [][]byte // longest first, so a secret containing another wins
	repl    *strings.Replacer
}

// Mask replaces every secret.
const Mask = "***"

// NewRedactor redacts the given secrets; empty strings are ignored.
func NewRedactor(secrets ...string) *Redactor {
	var ss []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			ss = append(ss, s)
		}
	}
	sort.Slice(ss, func(i, j int) bool { return len(ss[i]) > len(ss[j]) })
	r := &Redactor{}
	var pairs []string
	for _, s := range ss {
		r.secrets = append(r.secrets, []byte(s))
		pairs = append(pairs, s, Mask)
	}
	r.repl = strings.NewReplacer(pairs...)
	return r
}

// CredentialSecrets lists what of c must never be shown.
func CredentialSecrets(c Credentials) []string { return []string{c.AccessKey, c.SecretKey} }

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || r.repl == nil || len(r.secrets) == 0 {
		return s
	}
	return r.repl.Replace(s)
}

// Bytes redacts b.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// Writer returns a WriteCloser that redacts what passes through to w, also
// when a secret is split across writes: it holds back the tail of the
// stream that could begin a secret until more arrives or Close flushes it.
// Close does not close w.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser { return &redactWriter{r: r, w: w} }

type redactWriter struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.r == nil || len(rw.r.secrets) == 0 {
		_, err := rw.w.Write(p)
		return len(p), err
	}
	rw.buf = append(rw.buf, p...)
	red := rw.r.Bytes(rw.buf)
	hold := heldTail(red, rw.r.secrets)
	if _, err := rw.w.Write(red[:len(red)-hold]); err != nil {
		return 0, err
	}
	rw.buf = append(rw.buf[:0], red[len(red)-hold:]...)
	return len(p), nil
}

// heldTail is the length of the longest suffix of b that is a proper prefix
// of a secret.
func heldTail(b []byte, secrets [][]byte) int {
	best := 0
	for _, s := range secrets {
		for n := min(len(s)-1, len(b)); n > best; n-- {
			if bytes.HasPrefix(s, b[len(b)-n:]) {
				best = n
				break
			}
		}
	}
	return best
}

func (rw *redactWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.buf)
	rw.buf = nil
	return err
}
