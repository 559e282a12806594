package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
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
				o.seed = scenarios.RandomSeed(nil)
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
	// The first load decides the exit code: a bad file is exit 2.
	rules, timers, err := harness.StandaloneRules(o.faults, o.target)
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
	stop, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	err = harness.ServeStandalone(stop, harness.StandaloneOptions{
		Upstream: up, Listen: o.listen, Kind: kind, Faults: o.faults, Target: o.target, Rules: rules, Timers: timers,
		Journal: journal, Seed: o.seed, Reload: hangups(stop), Stdout: stdout,
		Log: func(format string, args ...any) { fmt.Fprintf(stderr, "gameday proxy: "+format+"\n", args...) },
	})
	var bad *harness.BadRulesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bad):
		return badInput(fmt.Errorf("proxy: %w", err))
	}
	return infra(fmt.Errorf("proxy: %w", err))
}

// hangups turns SIGHUP into reload requests until ctx ends.
func hangups(ctx context.Context) <-chan struct{} {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{})
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				select {
				case reload <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return reload
}
