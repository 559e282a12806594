package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gameday/gameday/internal/redact"
)

const (
	secret = "0f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4" // as harness generates them: hex
	key    = "gd3c2b1a09e8d7c6b5a4"
	odd    = "p/q+r s&t=u?v%w~x<y>z\"quote\\back" // every character some encoding escapes
)

func TestStringMasksEveryForm(t *testing.T) {
	r := redact.New(secret, key, odd, "")
	for _, s := range []string{secret, key, odd} {
		b := []byte(s)
		cases := map[string]string{
			"raw":             s,
			"QueryEscape":     url.QueryEscape(s),
			"PathEscape":      url.PathEscape(s),
			"base64 std":      base64.StdEncoding.EncodeToString(b),
			"base64 url":      base64.URLEncoding.EncodeToString(b),
			"base64 raw std":  base64.RawStdEncoding.EncodeToString(b),
			"base64 raw url":  base64.RawURLEncoding.EncodeToString(b),
			"in url, query":   "http://127.0.0.1:1/v1/p-" + url.PathEscape(s) + "?k=" + url.QueryEscape(s),
			"twice in a line": s + " and " + s,
		}
		// Inside a longer base64 string, at each alignment, in both
		// alphabets.
		for pre := range 3 {
			long := append(append([]byte(strings.Repeat("A", pre)), b...), "tail!"...)
			cases[fmt.Sprintf("inside base64 std, %d before", pre)] = base64.StdEncoding.EncodeToString(long)
			cases[fmt.Sprintf("inside base64 url, %d before", pre)] = base64.URLEncoding.EncodeToString(long)
		}
		for name, in := range cases {
			got := r.String("<" + in + ">")
			for _, f := range fullForms(s) {
				if strings.Contains(got, f) {
					t.Errorf("%q: %s: form %q survives in %q", s[:4], name, f, got)
				}
			}
			if !strings.Contains(got, redact.Mask) {
				t.Errorf("%q: %s: nothing masked in %q", s[:4], name, got)
			}
		}
	}
}

// fullForms are the forms a reader could decode the whole secret from.
func fullForms(s string) []string {
	b := []byte(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s),
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
}

func TestStringLeavesOtherTextAlone(t *testing.T) {
	r := redact.New(secret, key)
	for _, s := range []string{"", "plain text", "GET /v1/schema 503", "***", `{"a":"\u003c"}`} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q", s, got)
		}
	}
	var none *redact.Redactor
	if got := none.String(secret); got != secret {
		t.Errorf("nil Redactor changed %q to %q", secret, got)
	}
	if got := redact.New().String(secret); got != secret {
		t.Errorf("empty Redactor changed %q to %q", secret, got)
	}
}

func TestAddLater(t *testing.T) {
	r := redact.New()
	if got := r.String("k=" + key); got != "k="+key {
		t.Fatalf("masked before Add: %q", got)
	}
	r.Add(key)
	r.Add(key, "") // again: no change
	if got := r.String("k=" + key); got != "k=***" {
		t.Fatalf("not masked after Add: %q", got)
	}
}

func TestWriterSplitAcrossWrites(t *testing.T) {
	r := redact.New(secret, key)
	text := "user " + key + " secret " + secret + " b64 " + base64.StdEncoding.EncodeToString([]byte(secret)) + " end " + key[:5]
	// Every split point of the text, in two writes; and one byte per write.
	for cut := 0; cut <= len(text); cut++ {
		var out bytes.Buffer
		w := r.Writer(&out)
		for _, part := range []string{text[:cut], text[cut:]} {
			if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if want := "user *** secret *** b64 *** end " + key[:5]; out.String() != want {
			t.Fatalf("cut at %d: got %q, want %q", cut, out.String(), want)
		}
	}
	var out bytes.Buffer
	w := r.Writer(&out)
	for i := range len(text) {
		_, _ = w.Write([]byte{text[i]})
	}
	_ = w.Close()
	if strings.Contains(out.String(), secret) || strings.Contains(out.String(), key) {
		t.Fatalf("byte-wise writes leaked: %q", out.String())
	}
}

func TestWriterHoldsOnlyWhatCouldBeASecret(t *testing.T) {
	r := redact.New(secret)
	var out bytes.Buffer
	w := r.Writer(&out)
	_, _ = w.Write([]byte("line one\n"))
	if out.String() != "line one\n" {
		t.Fatalf("a line that cannot begin a secret was held: %q", out.String())
	}
	_, _ = w.Write([]byte("then " + secret[:10]))
	if out.String() != "line one\nthen " {
		t.Fatalf("got %q", out.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "line one\nthen "+secret[:10] {
		t.Fatalf("Flush: got %q", out.String())
	}
}

func TestWriterConcurrent(t *testing.T) {
	r := redact.New(secret)
	var out bytes.Buffer
	w := r.Writer(&out)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_, _ = w.Write([]byte(secret + "\n"))
				r.Add(key)
			}
		}()
	}
	wg.Wait()
	_ = w.Close()
	if strings.Contains(out.String(), secret) || strings.Count(out.String(), "***\n") != 400 {
		t.Fatalf("concurrent writes: %q...", out.String()[:min(80, out.Len())])
	}
}

// report stands for a result model: nested structs, slices, maps,
// pointers, an interface and an unexported field.
type report struct {
	Name     string            `json:"name" xml:"name"`
	Items    []item            `json:"items" xml:"items"`
	Labels   map[string]string `json:"labels" xml:"-"`
	Counts   map[string]int    `json:"counts" xml:"-"`
	Next     *report           `json:"next,omitempty" xml:"next,omitempty"`
	Any      any               `json:"any,omitempty" xml:"-"`
	Raw      []byte            `json:"raw" xml:"raw"`
	Fixed    [2]string         `json:"fixed" xml:"fixed"`
	internal string
}

type item struct {
	Message string `json:"message" xml:"message"`
}

func TestValueRedactsEveryStringBeforeEncoding(t *testing.T) {
	r := redact.New(secret, key)
	// A control character right before the secret: encoded first, JSON
	// writes it as \u0001 followed by the secret's hex digits, and masking
	// the encoded text would cut into the escape.
	msg := "GET /v1/p-" + secret + " \x01" + secret
	v := &report{
		Name:     "n-" + key,
		Items:    []item{{Message: msg}, {Message: "fine"}},
		Labels:   map[string]string{"alertname": "leak-" + secret, key: "as a key"},
		Counts:   map[string]int{"k-" + key: 1},
		Next:     &report{Name: base64.StdEncoding.EncodeToString([]byte(secret))},
		Any:      item{Message: secret},
		Raw:      []byte("raw " + secret),
		Fixed:    [2]string{secret, "x"},
		internal: secret,
	}
	r.Value(v)
	if v.internal != secret {
		t.Errorf("unexported field changed: %q", v.internal)
	}
	v.internal = ""
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	x, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for name, enc := range map[string][]byte{"json": j, "xml": x} {
		for _, s := range []string{secret, key} {
			for _, f := range redact.Forms(s) {
				if bytes.Contains(enc, []byte(f)) {
					t.Errorf("%s: form %q in %s", name, f, enc)
				}
			}
		}
	}
	if !json.Valid(j) {
		t.Errorf("invalid JSON: %s", j)
	}
	var back report
	if err := json.Unmarshal(j, &back); err != nil || back.Items[0].Message != "GET /v1/p-*** \x01***" {
		t.Errorf("round trip: %q, %v", back.Items[0].Message, err)
	}
	if v.Labels["***"] != "as a key" || v.Counts["k-***"] != 1 {
		t.Errorf("map keys: %v %v", v.Labels, v.Counts)
	}
}

func TestValueHandlesCyclesAndNil(t *testing.T) {
	r := redact.New(secret)
	a := &report{Name: secret}
	a.Next = a
	r.Value(a)
	if a.Name != redact.Mask {
		t.Errorf("got %q", a.Name)
	}
	r.Value(nil)
	r.Value((*report)(nil))
	var none *redact.Redactor
	none.Value(a)
}

func TestFormsSkipShortDerivedForms(t *testing.T) {
	for _, f := range redact.Forms("abcd")[1:] {
		if len(f) < 8 {
			t.Errorf("short derived form %q", f)
		}
	}
	if fs := redact.Forms("abcd"); fs[0] != "abcd" {
		t.Errorf("raw secret first: %v", fs)
	}
	if redact.Forms("") != nil {
		t.Error("forms of the empty string")
	}
}

func ExampleRedactor() {
	rd := redact.New()
	rd.Add("s3cr3t-value-123")
	fmt.Println(rd.String("GET /v1/p-s3cr3t-value-123 and czNjcjN0LXZhbHVlLTEyMw=="))
	w := rd.Writer(os.Stdout)
	fmt.Fprint(w, "split: s3cr3t-")
	fmt.Fprint(w, "value-123\n")
	w.Close()
	// Output:
	// GET /v1/p-*** and ***
	// split: ***
}

func BenchmarkWriter(b *testing.B) {
	r := redact.New(secret, key, "gd1111111111111111aa", "2222222222222222222222222222222222222222")
	line := []byte("2026-01-01T00:00:00Z GET /models/day/part-0.bin 200 0f3c 1234 bytes in 12ms abcdef\n")
	var out bytes.Buffer
	w := r.Writer(&out)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		out.Reset()
		_, _ = w.Write(line)
	}
}
