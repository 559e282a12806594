package uploader_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gameday/gameday/examples/ginkgo/uploader"
)

// TestBackoffIsFullJitterUnderTheCap: every wait lies in [0, min(cap,
// base·2^(n-1))), and the draws spread over that range.
func TestBackoffIsFullJitterUnderTheCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base, cap := 50*time.Millisecond, time.Second
	for n := 1; n <= 8; n++ {
		ceil := min(cap, base<<(n-1))
		lo, hi := ceil, time.Duration(0)
		for range 1000 {
			w := uploader.Backoff(n, base, cap, rng)
			if w < 0 || w >= ceil {
				t.Fatalf("retry %d: wait %s outside [0, %s)", n, w, ceil)
			}
			lo, hi = min(lo, w), max(hi, w)
		}
		if lo > ceil/10 || hi < ceil*9/10 {
			t.Errorf("retry %d: waits %s..%s do not spread over [0, %s)", n, lo, hi, ceil)
		}
	}
	if w := uploader.Backoff(100, base, cap, rng); w >= cap {
		t.Errorf("retry 100: %s, not under the cap", w)
	}
}
