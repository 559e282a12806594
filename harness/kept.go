package harness

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// KeptRuns collects the runs --keep-on-failure kept up (RunOptions.Keep =
// k.Add); scenarios add to it from their own goroutines. The zero value is
// ready to use and safe for concurrent use.
type KeptRuns struct {
	mu   sync.Mutex
	runs []*Kept
}

// Add keeps r (a RunOptions.Keep callback).
func (k *KeptRuns) Add(r *Kept) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.runs = append(k.runs, r)
}

// Len counts the kept runs.
func (k *KeptRuns) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.runs)
}

// CloseAll tears every kept run down, side by side; it is safe to call more
// than once.
func (k *KeptRuns) CloseAll() {
	k.mu.Lock()
	runs := k.runs
	k.runs = nil
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Close(ctx)
		}()
	}
	wg.Wait()
}

// Hold prints the endpoints of the kept runs to w and waits for ctx to end
// (Ctrl-C), then tears them down.
func (k *KeptRuns) Hold(ctx context.Context, w io.Writer) {
	k.mu.Lock()
	runs := append([]*Kept(nil), k.runs...)
	k.mu.Unlock()
	sort.Slice(runs, func(i, j int) bool { return runs[i].Name < runs[j].Name })
	noun := "scenarios"
	if len(runs) == 1 {
		noun = "scenario"
	}
	fmt.Fprintf(w, "\n--keep-on-failure: %d failed %s kept up, faults disarmed\n", len(runs), noun)
	for _, r := range runs {
		fmt.Fprintf(w, "\nkept %s (seed %d):\n%s", r.Name, r.Seed, r.Endpoints)
	}
	fmt.Fprintf(w, "\nrunning until Ctrl-C\n")
	<-ctx.Done()
	fmt.Fprintf(w, "interrupted: tearing down\n")
	k.CloseAll()
	fmt.Fprintf(w, "stopped: every kept target, proxy and receiver is gone\n")
}
