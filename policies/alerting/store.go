package alerting

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"golang.org/x/sys/unix"
)

// Store keeps alert state documents by key. Load of an absent key returns
// nil data and an empty Version. Save writes data only if the document is
// still at prev (the Version Load returned); otherwise it returns
// ErrConflict and the caller loads again. Writes are atomic: a reader sees
// the old document or the new one, never a mix.
type Store interface {
	Load(ctx context.Context, key string) (data []byte, v Version, err error)
	Save(ctx context.Context, key string, data []byte, prev Version) error
}

// Version identifies one stored revision of a document ("" = absent).
type Version string

// ErrConflict is returned by Save when the document changed since Load.
var ErrConflict = errors.New("alert state changed concurrently")

var validKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func checkKey(key string) error {
	if !validKey.MatchString(key) || key == "." || key == ".." {
		return fmt.Errorf("alert state key %q: use letters, digits, '.', '_' and '-'", key)
	}
	return nil
}

// FileStore keeps each document in Dir/<key>.json. A write goes to a temp
// file in Dir that is synced and renamed over the document, under an
// advisory lock (Dir/<key>.lock) that makes the version check and the rename
// one step. State survives the process and is shared by every process using
// the same Dir (the scheduled runs of a scenario share GAMEDAY_STATE_DIR).
type FileStore struct {
	Dir string
}

// NewFileStore returns a FileStore in dir, creating it if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("file alert state: no directory (set GAMEDAY_STATE_DIR)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("file alert state: %w", err)
	}
	return &FileStore{Dir: dir}, nil
}

func fileVersion(data []byte) Version {
	sum := sha256.Sum256(data)
	return Version(hex.EncodeToString(sum[:]))
}

func (s *FileStore) read(key string) ([]byte, Version, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, key+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read alert state: %w", err)
	}
	return data, fileVersion(data), nil
}

// Load implements Store.
func (s *FileStore) Load(_ context.Context, key string) ([]byte, Version, error) {
	if err := checkKey(key); err != nil {
		return nil, "", err
	}
	return s.read(key)
}

// Save implements Store.
func (s *FileStore) Save(_ context.Context, key string, data []byte, prev Version) error {
	if err := checkKey(key); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(s.Dir, key+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock alert state: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock alert state: %w", err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN) //nolint:errcheck // closing releases it too

	_, cur, err := s.read(key)
	if err != nil {
		return err
	}
	if cur != prev {
		return ErrConflict
	}
	tmp, err := os.CreateTemp(s.Dir, key+".*.tmp")
	if err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, key+".json")); err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	if d, err := os.Open(s.Dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// S3Store keeps each document in Bucket at Prefix/<key>.json, in an
// unversioned bucket (the state is rewritten after every run; versions
// would only pile up). Save is a conditional PUT: If-Match on the ETag Load
// saw, or If-None-Match: * when the document was absent, so two writers
// cannot overwrite each other's state; a 412 becomes ErrConflict.
type S3Store struct {
	Client *minio.Client
	Bucket string
	Prefix string
}

func (s *S3Store) object(key string) string {
	return path.Join(s.Prefix, key+".json")
}

// Load implements Store.
func (s *S3Store) Load(ctx context.Context, key string) ([]byte, Version, error) {
	if err := checkKey(key); err != nil {
		return nil, "", err
	}
	obj, err := s.Client.GetObject(ctx, s.Bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("get alert state s3://%s/%s: %w", s.Bucket, s.object(key), err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, "", nil
		}
		return nil, "", fmt.Errorf("get alert state s3://%s/%s: %w", s.Bucket, s.object(key), err)
	}
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, "", fmt.Errorf("get alert state s3://%s/%s: %w", s.Bucket, s.object(key), err)
	}
	return data, Version(info.ETag), nil
}

// Save implements Store.
func (s *S3Store) Save(ctx context.Context, key string, data []byte, prev Version) error {
	if err := checkKey(key); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: "application/json"}
	if prev == "" {
		opts.SetMatchETagExcept("*")
	} else {
		opts.SetMatchETag(string(prev))
	}
	_, err := s.Client.PutObject(ctx, s.Bucket, s.object(key), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.PreconditionFailed {
			return ErrConflict
		}
		return fmt.Errorf("put alert state s3://%s/%s: %w", s.Bucket, s.object(key), err)
	}
	return nil
}

// OpenStore opens the store a policy's alerts.state names: "file" (or "")
// is a FileStore in GAMEDAY_STATE_DIR; "s3://bucket/prefix" is an S3Store
// reached through GAMEDAY_S3_ENDPOINT (else AWS_ENDPOINT_URL) with
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION. getenv is
// usually os.Getenv.
func OpenStore(_ context.Context, spec string, getenv func(string) string) (Store, error) {
	switch {
	case spec == "" || spec == "file":
		return NewFileStore(getenv("GAMEDAY_STATE_DIR"))
	case strings.HasPrefix(spec, "s3://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("alert state %q: want s3://bucket/prefix", spec)
		}
		endpoint := getenv("GAMEDAY_S3_ENDPOINT")
		if endpoint == "" {
			endpoint = getenv("AWS_ENDPOINT_URL")
		}
		if endpoint == "" {
			return nil, fmt.Errorf("alert state %q: no S3 endpoint (set GAMEDAY_S3_ENDPOINT or AWS_ENDPOINT_URL)", spec)
		}
		eu, err := url.Parse(endpoint)
		if err != nil || eu.Host == "" {
			return nil, fmt.Errorf("alert state %q: bad S3 endpoint", spec)
		}
		region := getenv("AWS_REGION")
		if region == "" {
			region = "us-east-1"
		}
		client, err := minio.New(eu.Host, &minio.Options{
			Creds:  credentials.NewStaticV4(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")),
			Secure: eu.Scheme == "https",
			Region: region,
		})
		if err != nil {
			return nil, fmt.Errorf("alert state %q: %w", spec, err)
		}
		return &S3Store{Client: client, Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}, nil
	default:
		return nil, fmt.Errorf("alert state %q: want file or s3://bucket/prefix", spec)
	}
}
