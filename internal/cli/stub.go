package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/harness/stub"
)

func newStubCmd() *cobra.Command {
	var routesFile, listen string
	cmd := &cobra.Command{
		Use:   "stub --routes FILE [--listen 127.0.0.1:PORT]",
		Short: "Serve a stub target's canned routes (YAML/JSON `routes:` list in scenario syntax)",
		Long: `Serve the routes of a stub target. FILE holds a ` + "`routes:`" + ` list in scenario
syntax (YAML or JSON): method (one or a list), path (` + "`*`" + ` matches anything, ` + "`{param}`" + `
one segment), status, json or body, headers, delay. It is checked exactly as a
stub target's routes in a scenario; every problem is printed as one
FILE:LINE:COL line (exit 2). The first match wins; an unmatched request gets
404 with a JSON error. GET /healthz answers 200. --listen takes loopback
addresses only (127.0.0.0/8, ::1, localhost).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if routesFile == "" {
				return badInput(errors.New("stub: --routes is required"))
			}
			if err := checkListen("stub", listen); err != nil {
				return badInput(err)
			}
			routes, err := stub.LoadFile(routesFile)
			if err != nil {
				return fileErrors(cmd.ErrOrStderr(), err)
			}
			srv, err := stub.NewServer(routes)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", routesFile, err))
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return infra(fmt.Errorf("stub: listen: %w", err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "stub listening on http://%s (%d routes)\n", ln.Addr(), len(routes))
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return infra(fmt.Errorf("stub: %w", err))
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
			return nil
		},
	}
	cmd.Flags().StringVar(&routesFile, "routes", "", "routes file (YAML or JSON)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "loopback address to listen on (127.0.0.0/8, ::1 or localhost; port 0 picks a free port)")
	return cmd
}
