package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/harness/observe"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/redact"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// GameDayOptions configure RunGameDay. Out and Stdout are required.
type GameDayOptions struct {
	// Backend is auto, docker or process; default auto.
	Backend string
	// Seed seeds object content and the proxies' RNGs.
	Seed int64
	// Out receives report.json, junit.xml, summary.md and <name>/ with the
	// journal (written per line while the game day goes on) and the target
	// logs. It is kept.
	Out string
	// For ends the game day after this long; 0: only ctx ends it (Ctrl-C).
	For time.Duration
	// FaultsFile, when set, holds more faults (scenario syntax, see
	// scenarios.LoadFaults), armed with the scenario's and re-read on every
	// value from Reload.
	FaultsFile string
	// Faults, when set, are FaultsFile's faults already loaded (so the
	// file is read once at start); nil loads FaultsFile.
	Faults []*scenarios.Fault
	Reload <-chan struct{}
	// Commands, when set, is read line by line for commands: arm NAME,
	// disarm NAME, crash TARGET, restart TARGET, status, help.
	Commands io.Reader
	// Stdout receives every line the game day prints, through the stack's
	// redactor.
	Stdout io.Writer
	// Command is recorded in the report.
	Command string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// gameDay is one RunGameDay call.
type gameDay struct {
	sc    *scenarios.Scenario
	opts  GameDayOptions
	st    *Stack
	start time.Time

	out  io.WriteCloser // stdout through the redactor
	omu  sync.Mutex
	dir  string // <out>/<name>
	file []*scenarios.Fault

	sw       *FaultSwitch // arms and disarms the scenario's and the file's faults by name
	mu       sync.Mutex
	injected map[string]int // per fault, counted from the journal lines
}

// RunGameDay boots sc's stack for a manual game day and holds it until ctx
// ends or opts.For passes. It prints the endpoints, the armed faults,
// ready-to-paste client commands and the env file, then one line per
// injected fault and per target crash, restart, pause and resume. Faults
// can be armed and disarmed meanwhile (Commands, Reload). At the end it
// judges the scenario's expect block over what happened (outcome and
// duration are not judged: there is no workload), writes report.json,
// junit.xml and summary.md to Out with the journal, prints per-fault
// totals and the verdicts, and tears everything down. A game day is not a
// gate: the error is about starting or writing only.
func RunGameDay(ctx context.Context, sc *scenarios.Scenario, opts GameDayOptions) (*reports.Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rd := redact.New()
	g := &gameDay{sc: sc, opts: opts, start: opts.Now(), out: rd.Writer(opts.Stdout),
		dir: filepath.Join(opts.Out, sc.Name), injected: map[string]int{}}
	defer g.out.Close()
	g.file = opts.Faults
	if opts.FaultsFile != "" && opts.Faults == nil {
		fs, err := scenarios.LoadFaults(opts.FaultsFile)
		if err != nil {
			return nil, err
		}
		g.file = fs
	}
	_, statErr := os.Stat(opts.Out)
	created := os.IsNotExist(statErr)
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", g.dir, err)
	}
	st, err := BootStack(ctx, sc, StackOptions{
		Backend:     opts.Backend,
		Seed:        opts.Seed,
		Now:         opts.Now,
		Redactor:    rd,
		OnEntry:     g.entry,
		OnLifecycle: g.lifecycle,
		JournalDir:  g.dir,
		Disarmed:    true, // armed below, through the switch
	})
	if err != nil && created {
		// Nothing happened: leave no empty output folder behind.
		_ = os.RemoveAll(opts.Out)
	}
	if err != nil {
		return nil, err
	}
	g.st = st
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		_ = st.Close(tctx)
		g.printf("stopped: every target, proxy and the receiver are gone\n")
	}()
	g.sw = NewFaultSwitch(st, g.faults())
	if err := g.sw.Arm(); err != nil {
		return nil, err
	}
	envFile, err := g.envFile()
	if err != nil {
		return nil, err
	}
	g.banner(envFile)
	g.hold(ctx)
	return g.finish()
}

func (g *gameDay) printf(format string, a ...any) {
	g.omu.Lock()
	defer g.omu.Unlock()
	fmt.Fprintf(g.out, format, a...)
}

// elapsed is the game day's clock for live lines: "+12.3s".
func (g *gameDay) elapsed() string {
	return fmt.Sprintf("+%.1fs", g.opts.Now().Sub(g.start).Seconds())
}

// faults are the scenario's faults and the faults file's.
func (g *gameDay) faults() []*scenarios.Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append(append([]*scenarios.Fault(nil), g.sc.Faults...), g.file...)
}

// entry prints one line per injected fault.
func (g *gameDay) entry(e injectors.Entry) {
	if e.Fault == "" {
		return
	}
	g.mu.Lock()
	g.injected[e.Fault]++
	n := g.injected[e.Fault]
	g.mu.Unlock()
	answer := fmt.Sprint(e.Status)
	if e.Status == 0 {
		answer = "no answer (" + e.Error + ")"
	}
	g.printf("%s injected %s (%s) on %s: %s %s → %s [%d so far]\n", g.elapsed(), e.Fault, e.Action, e.Target, e.Method, e.Path, answer, n)
}

// lifecycle prints one line per crash, restart, pause and resume.
func (g *gameDay) lifecycle(ev TimerEvent) {
	by := ev.By + " " + ev.Fault // "timer storage-restart", "fault x"
	if ev.By == "hand" {
		by = "by hand"
	}
	if ev.Err != nil {
		g.printf("%s %s: %s %s failed: %v\n", g.elapsed(), by, ev.Action, ev.Target, ev.Err)
		return
	}
	g.printf("%s %s: %s %s\n", g.elapsed(), by, ev.Action, ev.Target)
}

func (g *gameDay) envFile() (string, error) {
	now := g.opts.Now()
	w := g.st.WorkloadEnv()
	w.ScheduledAt, w.RunStartedAt = now, now
	if err := os.MkdirAll(w.StateDir, 0o700); err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	envFile := filepath.Join(g.st.Run.Dir, "workload.env")
	if err := WriteEnvFile(envFile, append(Environ(os.Environ(), w), g.st.Run.MarkerEnv(lifecycle.PartWorkload))); err != nil {
		return "", err
	}
	return envFile, nil
}

// banner prints what the facilitator needs: the stack, the armed faults and
// commands for the clients people have.
func (g *gameDay) banner(envFile string) {
	sc, st := g.sc, g.st
	g.printf("gameday up: scenario %s, seed %d, backend %s, run %s (ready in %s)\n",
		sc.Name, g.opts.Seed, st.Backend.Name(), st.Run.ID, g.opts.Now().Sub(g.start).Round(time.Millisecond))
	g.printf("%s", st.Endpoints(envFile))
	g.printf("faults:\n%s", FaultTable(g.faults()))
	g.printf("clients (load the env file first: set -a; . %s; set +a):\n%s", envFile, ClientCommands(sc, st))
	g.printf("journal: %s (per target, one line per request as it completes; all of them in journal.jsonl at the end)\n", filepath.Join(g.dir, "journal-<target>.jsonl"))
	if g.opts.Commands != nil {
		g.printf("commands: arm NAME, disarm NAME, crash TARGET, restart TARGET, status, help\n")
	}
	if g.opts.For > 0 {
		g.printf("running for %s (Ctrl-C stops early)\n", g.opts.For)
	} else {
		g.printf("running until Ctrl-C\n")
	}
}

// FaultTable renders faults one per line: name, target, match, action and
// schedule.
func FaultTable(faults []*scenarios.Fault) string {
	if len(faults) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, f := range faults {
		target := f.Target
		if target == "" {
			target = "any"
		}
		if f.Via != "" {
			target += " via " + f.Via
		}
		match := f.Match.String()
		if f.IsTimer() {
			match = "(timer)"
		}
		fmt.Fprintf(&b, "  %-24s %-14s %-28s %-22s %s\n", f.Name, target, match, f.Action.String(), f.Schedule())
	}
	return b.String()
}

// ClientCommands renders ready-to-paste commands for the clients people
// have, against every target's proxy: awscli with --endpoint-url (Debian's
// awscli 2.9 ignores AWS_ENDPOINT_URL), curl with --aws-sigv4, mc, and curl
// for the stubs. They read the credentials from the env file's variables.
func ClientCommands(sc *scenarios.Scenario, st *Stack) string {
	var b strings.Builder
	for _, t := range sc.Targets {
		p := st.Proxies[t.Name]
		if p == nil {
			continue
		}
		url := p.URL()
		switch t.Kind {
		case scenarios.KindMinIO:
			bucket := ""
			if len(t.Buckets) > 0 {
				bucket = t.Buckets[0]
			}
			fmt.Fprintf(&b, "  aws --endpoint-url %s s3 ls s3://%s/\n", url, bucket)
			fmt.Fprintf(&b, "  curl --aws-sigv4 aws:amz:us-east-1:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" %s/%s/\n", url, bucket)
			fmt.Fprintf(&b, "  mc alias set %s %s \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" && mc ls %s/%s\n", t.Name, url, t.Name, bucket)
		default:
			path := "/"
			if len(t.Routes) > 0 {
				path = examplePath(t.Routes[0].Path)
			}
			fmt.Fprintf(&b, "  curl -i %s%s\n", url, path)
		}
	}
	return b.String()
}

// examplePath turns a route glob into a path that matches it: {param}
// segments and stars become "x".
func examplePath(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString("x")
		case '{':
			if end := strings.IndexByte(glob[i:], '}'); end > 0 {
				b.WriteString("x")
				i += end
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// hold waits for the end of the game day, carrying out commands and
// reloads meanwhile.
func (g *gameDay) hold(ctx context.Context) {
	var deadline <-chan time.Time
	if g.opts.For > 0 {
		t := time.NewTimer(g.opts.For)
		defer t.Stop()
		deadline = t.C
	}
	var cmds <-chan string
	if g.opts.Commands != nil {
		ch := make(chan string)
		cmds = ch
		go func() {
			// The reader may block for ever (a terminal): this goroutine
			// ends with the process, or when the reader ends.
			sc := bufio.NewScanner(g.opts.Commands)
			for sc.Scan() {
				select {
				case ch <- sc.Text():
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			g.printf("interrupted: ending the game day, tearing down\n")
			return
		case <-deadline:
			g.printf("--for %s elapsed: ending the game day, tearing down\n", g.opts.For)
			return
		case <-g.opts.Reload:
			g.reload()
		case line := <-cmds:
			g.command(ctx, line)
		}
	}
}

// reload re-reads the faults file and re-arms; a bad file keeps the
// faults armed before.
func (g *gameDay) reload() {
	if g.opts.FaultsFile == "" {
		g.printf("%s reload: no --faults file to reload\n", g.elapsed())
		return
	}
	fs, err := scenarios.LoadFaults(g.opts.FaultsFile)
	if err != nil {
		g.printf("%s reload %s failed, the faults armed before stay: %v\n", g.elapsed(), g.opts.FaultsFile, err)
		return
	}
	g.mu.Lock()
	g.file = fs
	g.mu.Unlock()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	err = g.sw.SetFaults(g.faults())
	if err == nil && len(names) > 0 {
		err = g.sw.Arm(names...) // the file's faults, afresh
	}
	if err != nil {
		g.printf("%s reload: %v\n", g.elapsed(), err)
		return
	}
	g.printf("%s reloaded %s: %d faults\n%s", g.elapsed(), g.opts.FaultsFile, len(fs), FaultTable(fs))
}

// command carries out one command line.
func (g *gameDay) command(ctx context.Context, line string) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return
	}
	arg := ""
	if len(fields) > 1 {
		arg = fields[1]
	}
	switch fields[0] {
	case "arm", "disarm":
		on := fields[0] == "arm"
		var f *scenarios.Fault
		for _, x := range g.faults() {
			if x.Name == arg {
				f = x
			}
		}
		switch {
		case f == nil:
			g.printf("%s: no fault %q (status lists them)\n", fields[0], arg)
			return
		case f.IsTimer():
			g.printf("%s: %s is a timer fault; it fires once, on its own\n", fields[0], arg)
			return
		}
		set := g.sw.Disarm
		if on {
			set = g.sw.Arm
		}
		if err := set(arg); err != nil {
			g.printf("%s %s: %v\n", fields[0], arg, err)
			return
		}
		g.printf("%s %sed %s\n", g.elapsed(), fields[0], arg)
	case "crash", "restart":
		var err error
		if fields[0] == "crash" {
			err = g.st.Crash(ctx, arg)
		} else {
			err = g.st.Restart(ctx, arg)
		}
		if err != nil {
			g.printf("%s %s: %v\n", fields[0], arg, err)
		}
	case "status":
		g.printf("%s", g.status())
	case "help":
		g.printf("commands: arm NAME, disarm NAME, crash TARGET, restart TARGET, status, help\n")
	default:
		g.printf("unknown command %q (help lists them)\n", fields[0])
	}
}

// status lists the targets' states and each fault's totals.
func (g *gameDay) status() string {
	var b strings.Builder
	for _, name := range g.st.Order {
		fmt.Fprintf(&b, "  %-16s %s\n", name, g.st.Targets[name].State())
	}
	b.WriteString(g.totals())
	return b.String()
}

// totals renders, per fault, whether it is armed and its matched and
// injected counts so far.
func (g *gameDay) totals() string {
	armed := g.sw.Armed()
	var b strings.Builder
	for _, f := range g.faults() {
		state := "armed"
		switch {
		case f.IsTimer():
			state = "timer"
		case !slices.Contains(armed, f.Name):
			state = "disarmed"
		}
		matched := g.sw.Matched(f.Name)
		g.mu.Lock()
		injected := g.injected[f.Name]
		g.mu.Unlock()
		fmt.Fprintf(&b, "  %-24s %-9s matched %d, injected %d\n", f.Name, state, matched, injected)
	}
	return b.String()
}

// finish ends the game day: totals, disarm, bring targets back, then the
// journal, the judge over what happened and the reports.
func (g *gameDay) finish() (*reports.Result, error) {
	sc, st := g.sc, g.st
	g.printf("per fault:\n%s", g.totals())
	timerFaults := st.Disarm()
	ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
	defer cancel()
	infraErr := st.BringBack(ctx)
	var artifacts *observe.Artifacts
	artifactsErr := infraErr
	if a := sc.Expect.Artifacts; a != nil && infraErr == nil {
		artifacts, artifactsErr = listArtifacts(ctx, st, a, []string{sc.RunIDFor(g.opts.Seed, 1)})
	}
	st.CloseProxies()
	journal, jerr := st.Journal()
	end := g.opts.Now()
	writeJournal(st.Redactor, filepath.Join(g.dir, "journal.jsonl"), journal)
	copyTargetLogs(st, g.dir)
	seen := Observed{Scenario: sc, Faults: g.faults(), Seed: g.opts.Seed, Start: g.start, End: end,
		Journal: journal, Notifications: st.Notifications(), TimerFaults: timerFaults,
		Artifacts: artifacts, ArtifactsErr: artifactsErr, Err: infraErr}
	if seen.Err == nil {
		seen.Err = jerr
	}
	res := seen.Judge()
	out := &reports.Result{StartedAt: g.start.UTC(), Command: g.opts.Command, Backend: st.Backend.Name(),
		DurationMS: res.DurationMS, Scenarios: []reports.Scenario{res}}
	out.Summarize()
	st.Redactor.Value(out)
	if err := reports.WriteFiles(g.opts.Out, out); err != nil {
		return out, fmt.Errorf("write report: %w", err)
	}
	g.printf("verdicts:\n")
	for _, e := range out.Scenarios[0].Expectations {
		word := "PASS"
		if !e.Passed {
			word = "FAIL"
		}
		line := fmt.Sprintf("  %-4s %-26s want %s, got %s", word, e.Name, e.Want, e.Got)
		if e.Message != "" && !e.Passed {
			line += " — " + e.Message
		}
		g.printf("%s\n", line)
	}
	g.printf("report: %s\n", filepath.Join(g.opts.Out, reports.JSONFile))
	return out, nil
}
