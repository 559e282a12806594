// Package s3dir copies a run's output folder to s3://bucket/prefix and back:
// `gameday run --upload` and `gameday merge s3://bucket/prefix`. It talks
// to any S3 API (AWS, MinIO, ...) with minio-go, configured from the
// standard AWS variables (see ConfigFromEnv).
//
//	loc, _ := s3dir.ParseURL("s3://ci-results/nightly/42")
//	cfg, _ := s3dir.ConfigFromEnv(os.Getenv)
//	cl, _ := s3dir.NewClient(cfg)
//	n, err := s3dir.Upload(ctx, cl, "gameday-out/x", loc)
package s3dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Location is a bucket and a key prefix ("" or without leading and
// trailing slashes).
type Location struct {
	Bucket string
	Prefix string
}

// String renders the location as s3://bucket/prefix.
func (l Location) String() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// Join returns the location of a folder below l.
func (l Location) Join(elem ...string) Location {
	return Location{Bucket: l.Bucket, Prefix: strings.Trim(path.Join(append([]string{l.Prefix}, elem...)...), "/")}
}

// IsURL reports whether s is written as an s3:// URL.
func IsURL(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseURL reads s3://bucket[/prefix].
func ParseURL(s string) (Location, error) {
	if !IsURL(s) {
		return Location{}, fmt.Errorf("%q: want s3://bucket/prefix", s)
	}
	rest := strings.TrimPrefix(s, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%q: no bucket; want s3://bucket/prefix", s)
	}
	prefix = strings.Trim(prefix, "/")
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "." || seg == ".." {
			return Location{}, fmt.Errorf("%q: %q is not allowed in the prefix", s, seg)
		}
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

// Config says where the S3 API is and who calls it.
type Config struct {
	// Endpoint is host[:port]; Secure says https.
	Endpoint string
	Secure   bool
	// AccessKey, SecretKey and SessionToken are static credentials.
	AccessKey, SecretKey, SessionToken string
	// Region, when empty, is looked up per bucket.
	Region string
}

// DefaultEndpoint is the endpoint when AWS_ENDPOINT_URL is unset.
const DefaultEndpoint = "https://s3.amazonaws.com"

// ConfigFromEnv reads the variables every AWS SDK and the AWS CLI read:
// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else DefaultEndpoint (a URL,
// http:// or https://); AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// (required), AWS_SESSION_TOKEN; AWS_REGION, else AWS_DEFAULT_REGION.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	raw := getenv("AWS_ENDPOINT_URL_S3")
	if raw == "" {
		raw = getenv("AWS_ENDPOINT_URL")
	}
	if raw == "" {
		raw = DefaultEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return Config{}, fmt.Errorf("AWS_ENDPOINT_URL %q: want http(s)://host[:port]", raw)
	}
	cfg := Config{
		Endpoint:     u.Host,
		Secure:       u.Scheme == "https",
		AccessKey:    getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: getenv("AWS_SESSION_TOKEN"),
		Region:       getenv("AWS_REGION"),
	}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set to reach s3://")
	}
	return cfg, nil
}

// NewClient returns a minio-go client for cfg.
func NewClient(cfg Config) (*minio.Client, error) {
	cl, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	return cl, nil
}

// Upload copies every regular file below dir to loc, keeping the relative
// paths, and returns how many it wrote.
func Upload(ctx context.Context, cl *minio.Client, dir string, loc Location) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := loc.Join(filepath.ToSlash(rel)).Prefix
		ctype := mime.TypeByExtension(filepath.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		if _, err := cl.FPutObject(ctx, loc.Bucket, key, p, minio.PutObjectOptions{ContentType: ctype}); err != nil {
			return fmt.Errorf("upload %s to %s: %w", p, Location{loc.Bucket, key}, err)
		}
		n++
		return nil
	})
	return n, err
}

// Download copies every object below loc into dir, keeping the paths
// relative to loc, and returns how many it wrote. A key that would land
// outside dir is an error.
func Download(ctx context.Context, cl *minio.Client, loc Location, dir string) (int, error) {
	prefix := loc.Prefix
	if prefix != "" {
		prefix += "/"
	}
	n := 0
	for obj := range cl.ListObjects(ctx, loc.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return n, fmt.Errorf("list %s: %w", loc, obj.Err)
		}
		rel := strings.TrimPrefix(obj.Key, prefix)
		if rel == "" || strings.HasSuffix(rel, "/") {
			continue // a folder marker
		}
		to := filepath.Join(dir, filepath.FromSlash(rel))
		if r, err := filepath.Rel(dir, to); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return n, fmt.Errorf("download %s: key %q lands outside %s", loc, obj.Key, dir)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return n, err
		}
		if err := cl.FGetObject(ctx, loc.Bucket, obj.Key, to, minio.GetObjectOptions{}); err != nil {
			return n, fmt.Errorf("download %s: %w", Location{loc.Bucket, obj.Key}, err)
		}
		n++
	}
	return n, nil
}
