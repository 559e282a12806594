package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/strictyaml"
	"github.com/gameday/gameday/scenarios"
)

// proxyOptions are the flags of `gameday proxy`.
type proxyOptions struct {
	upstream, listen, faults, journal, kind, target string
	seed                                            int64
}

func newProxyCmd() *cobra.Command {
	var o proxyOptions
	cmd := &cobra.Command{
		Use:   "proxy --upstream URL --faults FILE",
		Short: "Run a standalone fault-injecting proxy in front of one server, for manual game days",
		Long: `proxy stands in front of --upstream and injects the faults listed in FILE
(a "faults:" list in scenario syntax; "target" is optional there). It prints
its listen address and seed, writes one journal line per request to
--journal, reloads FILE on SIGHUP (an invalid file keeps the old rules) and
stops cleanly on Ctrl-C, flushing the journal and printing each rule's
matched/injected totals (summed by rule name across reloads).

Timer faults (crash or pause without match) need a process to act on; the
standalone proxy owns none, so it ignores them and says so. --target must be
named by a fault of FILE. --listen takes loopback addresses only
(127.0.0.0/8, ::1, localhost).`,
		Example: `  gameday proxy --upstream http://127.0.0.1:9000 --faults faults.yaml --journal journal.jsonl
  kill -HUP <pid>    # reload faults.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("seed") {
				var b [8]byte
				_, _ = rand.Read(b[:])
				o.seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runProxy(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.upstream, "upstream", "", "URL of the server to stand in front of (required)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address to listen on (127.0.0.0/8, ::1 or localhost; port 0 picks a free port)")
	f.StringVar(&o.faults, "faults", "", "YAML file with a faults: list in scenario syntax (required)")
	f.Int64Var(&o.seed, "seed", 0, "seed of the probability draws (default random; always printed)")
	f.StringVar(&o.journal, "journal", "", "file to write the request journal to (JSON lines)")
	f.StringVar(&o.kind, "kind", "s3", "protocol of injected errors: s3 (S3 XML) or json")
	f.StringVar(&o.target, "target", "", "apply the faults of this target (and those without one); it must be named by a fault; default: the only target the file names")
	return cmd
}

// proxyRules loads the faults file and translates it for the proxy's
// target. It also returns the names of the timer faults (crash or pause
// without match), which a standalone proxy cannot fire and leaves out.
func proxyRules(path, target string) ([]injectors.Rule, []string, error) {
	faults, err := scenarios.LoadFaults(path)
	if err != nil {
		return nil, nil, err
	}
	named := map[string]bool{}
	for _, f := range faults {
		if f.Target != "" {
			named[f.Target] = true
		}
	}
	var names []string
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	switch {
	case target != "" && !named[target]:
		return nil, nil, fmt.Errorf("%s: --target %q: no fault names it (targets named: %s)", path, target, namesOrNone(names))
	case target != "":
	case len(names) == 1:
		target = names[0]
	case len(names) > 1:
		return nil, nil, fmt.Errorf("%s: faults name targets %s; choose one with --target", path, strings.Join(names, ", "))
	}
	var timers []string
	for _, f := range faults {
		if f.IsTimer() && (f.Target == "" || f.Target == target) {
			timers = append(timers, f.Name)
		}
	}
	return harness.ProxyRules(faults, target), timers, nil
}

func namesOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkListen accepts only loopback listen addresses: a standalone proxy or
// stub is a test tool and must not be reachable from other machines.
func checkListen(cmd, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: --listen %q: %w", cmd, addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s: --listen %q: port %q must be a number 0..65535 (0 picks a free port)", cmd, addr, port)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "(empty: every interface)"
	}
	return fmt.Errorf("%s: --listen %q: host %s is not a loopback address; only 127.0.0.0/8, ::1 and localhost are allowed", cmd, addr, shown)
}

// fileErrors turns a load error into exit 2. A strictyaml.Errors is printed
// as is, one FILE:LINE:COL: message line each, as gameday validate does.
func fileErrors(stderr io.Writer, err error) error {
	var errs strictyaml.Errors
	if errors.As(err, &errs) {
		fmt.Fprintln(stderr, errs.Error())
		return badInput(nil)
	}
	return badInput(err)
}

// ruleTotals adds up rule counters by rule name across reloads: Arm starts
// the counters of the new rules afresh.
type ruleTotals struct {
	order []string
	sum   map[string]injectors.RuleCounter
}

func (t *ruleTotals) add(cs []injectors.RuleCounter) {
	if t.sum == nil {
		t.sum = map[string]injectors.RuleCounter{}
	}
	for _, c := range cs {
		cur, ok := t.sum[c.Name]
		if !ok {
			t.order = append(t.order, c.Name)
			cur.Name = c.Name
		}
		cur.Matched += c.Matched
		cur.Injected += c.Injected
		t.sum[c.Name] = cur
	}
}

// with returns the totals plus the current counters, in order of first
// appearance.
func (t *ruleTotals) with(current []injectors.RuleCounter) []injectors.RuleCounter {
	all := &ruleTotals{}
	for _, n := range t.order {
		all.add([]injectors.RuleCounter{t.sum[n]})
	}
	all.add(current)
	out := make([]injectors.RuleCounter, 0, len(all.order))
	for _, n := range all.order {
		out = append(out, all.sum[n])
	}
	return out
}

func runProxy(ctx context.Context, o proxyOptions, stdout, stderr io.Writer) error {
	if o.upstream == "" {
		return badInput(errors.New("proxy: --upstream is required"))
	}
	if o.faults == "" {
		return badInput(errors.New("proxy: --faults is required"))
	}
	up, err := url.Parse(o.upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return badInput(fmt.Errorf("proxy: --upstream %q: want an http:// or https:// URL with a host", o.upstream))
	}
	kind := injectors.Kind(o.kind)
	if kind != injectors.KindS3 && kind != injectors.KindJSON {
		return badInput(fmt.Errorf("proxy: --kind %q: want s3 or json", o.kind))
	}
	if err := checkListen("proxy", o.listen); err != nil {
		return badInput(err)
	}
	rules, timers, err := proxyRules(o.faults, o.target)
	if err != nil {
		return fileErrors(stderr, err)
	}

	var journal io.Writer
	if o.journal != "" {
		jf, err := os.OpenFile(o.journal, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return badInput(fmt.Errorf("proxy: --journal: %w", err))
		}
		defer jf.Close()
		journal = jf
	}
	target := o.target
	if target == "" {
		target = up.Host
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "gameday proxy: "+format+"\n", args...) }
	ignored := func(timers []string) {
		for _, name := range timers {
			logf("fault %s: a timer fault (crash or pause without match) is ignored: a standalone proxy owns no process to crash or pause", name)
		}
	}
	ignored(timers)
	noProcess := func(what string) func(context.Context, injectors.Rule) error {
		return func(_ context.Context, r injectors.Rule) error {
			logf("fault %s: %s fired; a standalone proxy owns no process, so only the connection is affected", r.Name, what)
			return nil
		}
	}
	p, err := injectors.New(injectors.Config{
		Upstream: up, Listen: o.listen, Kind: kind, Target: target, Journal: journal, Seed: o.seed,
		OnCrash: noProcess("crash"), OnPause: noProcess("pause"),
	})
	if err != nil {
		return infra(fmt.Errorf("proxy: %w", err))
	}
	if err := p.Arm(rules); err != nil {
		_ = p.Close()
		return badInput(fmt.Errorf("proxy: %s: %w", o.faults, err))
	}

	stop, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := p.Start(stop); err != nil {
		_ = p.Close()
		return infra(fmt.Errorf("proxy: %w", err))
	}
	fmt.Fprintf(stdout, "gameday proxy listening on %s -> %s (%d rules, seed %d)\n", p.URL(), up, len(rules), o.seed)

	var totals ruleTotals
	for {
		select {
		case <-stop.Done():
			err := p.Close()
			for _, c := range totals.with(p.Counters()) {
				logf("fault %s: matched %d, injected %d", c.Name, c.Matched, c.Injected)
			}
			if err != nil {
				return infra(fmt.Errorf("proxy: %w", err))
			}
			return nil
		case <-hup:
			next, timers, err := proxyRules(o.faults, o.target)
			if err != nil {
				logf("reload %s failed, keeping the previous %d rules: %s", o.faults, len(p.Counters()), strings.ReplaceAll(err.Error(), "\n", "; "))
				continue
			}
			// Arm restarts the counters: keep what the old rules counted.
			prev := p.Counters()
			if err := p.Arm(next); err != nil {
				logf("reload %s failed, keeping the previous %d rules: %v", o.faults, len(prev), err)
				continue
			}
			totals.add(prev)
			ignored(timers)
			logf("reloaded %s: %d rules", o.faults, len(next))
		}
	}
}
