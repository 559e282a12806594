package lifecycle

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gameday/gameday/internal/boundedfile"
	"github.com/gameday/gameday/scenarios"
)

// Object is a seed object written to a MinIO target before faults are
// armed. Exactly one of Content (when HasContent), FromFile or Size gives
// its bytes.
type Object struct {
	Bucket string
	Key    string
	// Size in bytes of deterministic content derived from the seed, the
	// bucket and the key.
	Size int64
	// Content is written as is when HasContent is set (it may be empty).
	Content    string
	HasContent bool
	// FromFile is a path (already resolved against the scenario file).
	FromFile string
}

// MinIOClient returns a minio-go client for a MinIO target, talking to addr
// (the target itself, or a proxy in front of it).
func MinIOClient(addr string, c Credentials) (*minio.Client, error) {
	cl, err := minio.New(addr, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		return nil, fmt.Errorf("minio client: %w", err)
	}
	return cl, nil
}

// SeedBytes returns the deterministic content of a `size` seed object: a
// ChaCha8 stream keyed by the scenario seed, the bucket and the key.
func SeedBytes(seed int64, bucket, key string, size int64) io.Reader {
	k := sha256.Sum256(fmt.Appendf(nil, "gameday-seed/%d/%s/%s", seed, bucket, key))
	return io.LimitReader(rand.NewChaCha8(k), size)
}

// SeedMinIO creates buckets (with versioning enabled) on the MinIO target
// and writes objects.
func SeedMinIO(ctx context.Context, t Target, buckets []string, objects []Object, seed int64) error {
	cl, err := MinIOClient(t.Addr(), t.Credentials())
	if err != nil {
		return err
	}
	for _, b := range buckets {
		exists, err := cl.BucketExists(ctx, b)
		if err != nil {
			return fmt.Errorf("seed %s: bucket %s: %w", t.Name(), b, err)
		}
		if !exists {
			if err := cl.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
				return fmt.Errorf("seed %s: create bucket %s: %w", t.Name(), b, err)
			}
		}
		if err := cl.EnableVersioning(ctx, b); err != nil {
			return fmt.Errorf("seed %s: versioning of %s: %w", t.Name(), b, err)
		}
	}
	for _, o := range objects {
		var r io.Reader
		size := o.Size
		switch {
		case o.HasContent:
			r, size = strings.NewReader(o.Content), int64(len(o.Content))
		case o.FromFile != "":
			// Checked at validation, but the file may have changed since:
			// a FIFO or a device must not hang or flood the seeding.
			f, err := boundedfile.Open(o.FromFile, int64(scenarios.MaxObjectSize))
			if err != nil {
				return fmt.Errorf("seed %s: %s/%s: %w", t.Name(), o.Bucket, o.Key, err)
			}
			defer f.Close()
			r, size = f, f.Size
		default:
			r = SeedBytes(seed, o.Bucket, o.Key, o.Size)
		}
		if _, err := cl.PutObject(ctx, o.Bucket, o.Key, r, size, minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("seed %s: put %s/%s: %w", t.Name(), o.Bucket, o.Key, err)
		}
	}
	return nil
}
