package injectors

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// reflected has Entry's fields and tags but not its MarshalJSON, so
// encoding/json encodes it by reflection: the reference.
type reflected Entry

// TestEntryMarshalJSONMatchesReflection checks the hand-written encoding
// byte for byte against encoding/json's, over strings that need every kind
// of escape and times in and out of UTC.
func TestEntryMarshalJSONMatchesReflection(t *testing.T) {
	const seed = 17
	rng := rand.New(rand.NewPCG(seed, seed))
	pieces := []string{"a", "/", "?", "=", "&", "<", ">", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "日本", "\u2028", "\u2029", "\xff", "\xe2\x82", "🙂", " ", "X-Amz-Signature=***"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("plus2", 2*3600), time.Local}
	tm := func() time.Time {
		if rng.IntN(10) == 0 {
			return time.Time{}
		}
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
	}
	for i := range 2000 {
		e := Entry{Seq: rng.Uint64(), Target: str(), Run: rng.IntN(100), Attempt: -rng.IntN(3), Start: tm(), End: tm(),
			Method: str(), Path: str(), Query: str(), OpHeader: str(), OpKey: str(), Range: str(),
			Status: rng.IntN(600), UpstreamStatus: rng.IntN(600), RetryAfterMS: rng.Int64N(1e6) - 10,
			Fault: str(), Action: str(), Delivered: rng.IntN(2) == 0, BytesIn: rng.Int64(), BytesOut: rng.Int64(), Error: str()}
		want, err := json.Marshal(reflected(e))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d, entry %d:\ngot  %s\nwant %s", seed, i, got, want)
		}
		var j journal
		var buf bytes.Buffer
		j.w = &buf
		e.Seq = 0
		j.write(&e)
		want, _ = json.Marshal(reflected(e))
		if line := buf.String(); line != string(want)+"\n" {
			t.Fatalf("seed %d, entry %d: journal line\n%s\nwant\n%s", seed, i, line, want)
		}
	}
}

// TestEntryMarshalJSONYearOutOfRange fails as encoding/json does.
func TestEntryMarshalJSONYearOutOfRange(t *testing.T) {
	e := Entry{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(e); err == nil {
		t.Fatal("no error for year 10000")
	}
	j := newJournal(io.Discard)
	j.write(&e)
	if err := j.flush(); err == nil || !strings.Contains(err.Error(), "encode journal entry") {
		t.Fatalf("flush: %v", err)
	}
}

// TestJournalLinesWholeUnderConcurrency: every Write is one whole line,
// and seqs follow the order of the Writes.
func TestJournalLinesWholeUnderConcurrency(t *testing.T) {
	w := &lineChecker{t: t}
	j := newJournal(w)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				e := Entry{Target: strings.Repeat("t", g*100+i), Start: time.Now().UTC(), End: time.Now().UTC()}
				j.write(&e)
			}
		})
	}
	wg.Wait()
	if w.last != 1600 {
		t.Fatalf("last seq %d, want 1600", w.last)
	}
}

type lineChecker struct {
	t    *testing.T
	last uint64
}

func (l *lineChecker) Write(p []byte) (int, error) {
	if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
		l.t.Errorf("write of %q is not one line", p)
	}
	var e Entry
	if err := json.Unmarshal(p, &e); err != nil {
		l.t.Errorf("line %q: %v", p, err)
	}
	if e.Seq != l.last+1 {
		l.t.Errorf("seq %d after %d", e.Seq, l.last)
	}
	l.last = e.Seq
	return len(p), nil
}
