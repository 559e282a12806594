package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/internal/s3dir"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
	"github.com/gameday/gameday/shard"
)

// parseShard checks --shard and returns the shard's filter of the
// scenario × seed pairs and what the report records. Bad input (a malformed
// value, a scenario without a fixed seed) is exit 2.
func parseShard(v string, list []*scenarios.Scenario, seed *int64, repeat int) (func(string, int64) bool, *reports.Shard, error) {
	if v == "" {
		return nil, nil, nil
	}
	sh, err := shard.Parse(v, os.Getenv)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("run: %w", err))
	}
	pairs, err := harness.Pairs(list, seed, repeat)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("run: --shard: %w", err))
	}
	return sh.Filter(pairs), &reports.Shard{Index: sh.Index, Count: sh.Count}, nil
}

// uploadTarget checks --upload before anything runs: the URL and the
// AWS_* variables. The location is below the shard's folder when sharded.
type uploadTarget struct {
	loc s3dir.Location
	cfg s3dir.Config
}

func parseUpload(v string, sh *reports.Shard) (*uploadTarget, error) {
	if v == "" {
		return nil, nil
	}
	loc, err := s3dir.ParseURL(v)
	if err != nil {
		return nil, badInput(fmt.Errorf("run: --upload %w", err))
	}
	cfg, err := s3dir.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, badInput(fmt.Errorf("run: --upload: %w", err))
	}
	if sh != nil {
		loc = loc.Join(shard.Shard{Index: sh.Index, Count: sh.Count}.Dir())
	}
	return &uploadTarget{loc: loc, cfg: cfg}, nil
}

// upload copies the output folder to the target; a failure is exit 3.
func (u *uploadTarget) upload(ctx context.Context, w io.Writer, out string) error {
	cl, err := s3dir.NewClient(u.cfg)
	if err != nil {
		return infra(fmt.Errorf("run: --upload: %w", err))
	}
	n, err := s3dir.Upload(ctx, cl, out, u.loc)
	if err != nil {
		return infra(fmt.Errorf("run: --upload: %w", err))
	}
	fmt.Fprintf(w, "uploaded: %d files to %s\n", n, u.loc)
	return nil
}
