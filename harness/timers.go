package harness

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// TimerFault is a crash or pause that fires on the harness's timer, After
// since arming, rather than on a request.
type TimerFault struct {
	Name   string
	Target string
	// Action is "crash" or "pause".
	Action string
	After  time.Duration
	// RestartAfter brings a crashed target back this long after the crash
	// when Restart is set; without it the target stays down.
	Restart      bool
	RestartAfter time.Duration
	// PauseFor is how long a pause lasts.
	PauseFor time.Duration
}

// Controller is what a timer fault acts on: a Target, or the runner's
// handle on the workload.
type Controller interface {
	Crash(ctx context.Context) error
	Restart(ctx context.Context) error
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
}

// TimerEvent is one thing a timer did.
type TimerEvent struct {
	Fault  string
	Target string
	// Action is "crash", "restart", "pause" or "resume".
	Action string
	At     time.Time
	Err    error
	// By says what did it, for a Stack's OnLifecycle: "timer" (a timer
	// fault), "fault" (a request fault fired by a proxy) or "hand" (Stack
	// Crash or Restart).
	By string
}

// TimerOptions configure ArmTimers; the zero value uses real time.
type TimerOptions struct {
	// After is time.After unless set (tests pass a fake clock's).
	After func(time.Duration) <-chan time.Time
	// Now stamps events; default time.Now.
	Now func() time.Time
	// OnEvent, when set, is called after each event (from the timer's
	// goroutine).
	OnEvent func(TimerEvent)
}

// Timers are armed timer faults. Stop ends them.
type Timers struct {
	opts   TimerOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	events []TimerEvent
}

// ArmTimers starts one goroutine per fault. lookup resolves a fault's
// target; a fault whose target is unknown records an error event. The
// goroutines end when ctx ends or Stop is called; a pending restart or
// resume is then carried out at once, so nothing stays crashed or frozen
// because the timers stopped.
func ArmTimers(ctx context.Context, faults []TimerFault, lookup func(name string) (Controller, bool), opts TimerOptions) *Timers {
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	t := &Timers{opts: opts, cancel: cancel}
	for _, f := range faults {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.run(ctx, f, lookup)
		}()
	}
	return t
}

func (t *Timers) record(f TimerFault, action string, err error) {
	ev := TimerEvent{Fault: f.Name, Target: f.Target, Action: action, At: t.opts.Now(), Err: err}
	t.mu.Lock()
	t.events = append(t.events, ev)
	t.mu.Unlock()
	if t.opts.OnEvent != nil {
		t.opts.OnEvent(ev)
	}
}

func (t *Timers) run(ctx context.Context, f TimerFault, lookup func(string) (Controller, bool)) {
	c, ok := lookup(f.Target)
	if !ok {
		t.record(f, f.Action, fmt.Errorf("timer %s: unknown target %q", f.Name, f.Target))
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-t.opts.After(f.After):
	}
	// Follow-ups (restart, resume) must happen even when the timers stop.
	bg := context.WithoutCancel(ctx)
	switch f.Action {
	case "crash":
		err := c.Crash(bg)
		t.record(f, "crash", err)
		if err != nil || !f.Restart {
			return
		}
		select {
		case <-ctx.Done():
		case <-t.opts.After(f.RestartAfter):
		}
		t.record(f, "restart", c.Restart(bg))
	case "pause":
		err := c.Pause(bg)
		t.record(f, "pause", err)
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-t.opts.After(f.PauseFor):
		}
		t.record(f, "resume", c.Resume(bg))
	default:
		t.record(f, f.Action, fmt.Errorf("timer %s: action %q is not crash or pause", f.Name, f.Action))
	}
}

// Stop cancels pending timers, carries out pending restarts and resumes,
// and waits for the goroutines to end.
func (t *Timers) Stop() {
	t.cancel()
	t.wg.Wait()
}

// Events returns what the timers did so far.
func (t *Timers) Events() []TimerEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TimerEvent(nil), t.events...)
}
