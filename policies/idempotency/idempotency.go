// Package idempotency writes a run's artifacts so that retries and restarts
// leave exactly one version of every key.
//
// The protocol, for a run with id R in bucket B:
//
//  1. Committed: if B/R/<commit marker> exists, the run is done; report
//     success without doing any work.
//  2. Put, for every artifact: HEAD the key; if it holds the same bytes
//     (size and MD5 ETag, or the x-amz-meta-gameday-sha256 we set) skip it.
//     Otherwise PUT it conditionally: If-None-Match: * when absent, If-Match:
//     <etag> when it differs. A retried PUT whose first try did land gets 412,
//     and the key is checked again instead of written twice.
//  3. Commit: PUT the marker last with If-None-Match: *. A 412 means an
//     earlier attempt (or restart) already committed.
//
// Every request goes through a retry.Executor. Artifacts must be a
// deterministic function of the run's inputs, so that a restart writes the
// same bytes and finds them already there.
//
//	st := &idempotency.Store{Client: s3, Exec: ex, Bucket: "models", Prefix: runID + "/", Marker: p.Idempotency.CommitMarker}
//	if done, err := st.Committed(ctx); err != nil || done { return err }
//	if _, err := st.Put(ctx, "model.bin", model); err != nil { return err }
//	_, err := st.Commit(ctx, meta)
package idempotency

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/policies/retry"
)

// shaMeta is the user-metadata key carrying the artifact's SHA-256.
const shaMeta = "Gameday-Sha256"

// ErrConflict means a key holds different bytes than this run wants to
// write, and a conditional write lost the race to another writer.
var ErrConflict = errors.New("artifact changed by another writer")

// Store writes the artifacts of one run. Its fields are set by the caller;
// it is safe for concurrent use once set.
type Store struct {
	// Client talks to the object store; build it with retry.NewS3Client.
	Client *minio.Client
	// Exec runs every request under the policy.
	Exec *retry.Executor
	// Bucket holds the artifacts.
	Bucket string
	// Prefix is prepended to every artifact name, normally "<run_id>/".
	Prefix string
	// Marker is the commit marker's name. Empty means "meta.json".
	Marker string
	// Logger receives one line per artifact decision. Nil discards.
	Logger *slog.Logger
}

func (s *Store) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Store) marker() string {
	if s.Marker == "" {
		return "meta.json"
	}
	return s.Marker
}

// Key returns the object key of artifact name.
func (s *Store) Key(name string) string { return s.Prefix + name }

// state is what a HEAD found.
type state struct {
	exists bool
	etag   string
	same   bool
}

func (s *Store) stat(ctx context.Context, key string, want []byte) (state, error) {
	return retry.Get(ctx, s.Exec, "stat "+s.Bucket+"/"+key, func(ctx context.Context) (state, error) {
		info, err := s.Client.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{})
		if err != nil {
			if isNotFound(err) {
				return state{}, nil
			}
			return state{}, err
		}
		st := state{exists: true, etag: strings.Trim(info.ETag, `"`)}
		if want != nil && info.Size == int64(len(want)) {
			sum := sha256.Sum256(want)
			md := md5.Sum(want)
			st.same = info.UserMetadata[shaMeta] == hex.EncodeToString(sum[:]) ||
				strings.EqualFold(st.etag, hex.EncodeToString(md[:]))
		}
		return st, nil
	})
}

// Committed reports whether the run's commit marker exists.
func (s *Store) Committed(ctx context.Context) (bool, error) {
	st, err := s.stat(ctx, s.Key(s.marker()), nil)
	if err != nil {
		return false, fmt.Errorf("check commit marker: %w", err)
	}
	return st.exists, nil
}

// Put writes artifact name with data unless it already holds exactly data.
// It reports whether it wrote.
func (s *Store) Put(ctx context.Context, name string, data []byte) (bool, error) {
	key := s.Key(name)
	st, err := s.stat(ctx, key, data)
	if err != nil {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	if st.same {
		s.log().Info("artifact", "key", key, "action", "skip", "reason", "identical")
		return false, nil
	}
	opts := putOptions(data)
	if st.exists {
		opts.SetMatchETag(st.etag)
	} else {
		opts.SetMatchETagExcept("*")
	}
	lost, err := s.put(ctx, key, data, opts)
	if err != nil {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	if lost {
		// The condition failed: an earlier attempt of ours (whose answer
		// was lost) or another writer got there first. Look again.
		st, err := s.stat(ctx, key, data)
		if err != nil {
			return false, fmt.Errorf("put %s: %w", key, err)
		}
		if !st.same {
			return false, fmt.Errorf("put %s: %w", key, ErrConflict)
		}
		s.log().Info("artifact", "key", key, "action", "skip", "reason", "landed-earlier")
		return false, nil
	}
	s.log().Info("artifact", "key", key, "action", "write", "bytes", len(data))
	return true, nil
}

// Commit creates the commit marker with data, conditionally, and reports
// whether this call created it (false: it already existed).
func (s *Store) Commit(ctx context.Context, data []byte) (bool, error) {
	key := s.Key(s.marker())
	opts := putOptions(data)
	opts.SetMatchETagExcept("*")
	existed, err := s.put(ctx, key, data, opts)
	if err != nil {
		return false, fmt.Errorf("commit %s: %w", key, err)
	}
	s.log().Info("artifact", "key", key, "action", map[bool]string{true: "skip", false: "commit"}[existed])
	return !existed, nil
}

// put PUTs data under key with opts; a 412 answer ends the operation with
// lost=true instead of an error.
func (s *Store) put(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) (lost bool, err error) {
	return retry.Get(ctx, s.Exec, "put "+s.Bucket+"/"+key, func(ctx context.Context) (bool, error) {
		_, err := s.Client.PutObject(ctx, s.Bucket, key, bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			if isPreconditionFailed(err) {
				return true, nil
			}
			return false, err
		}
		return false, nil
	})
}

func putOptions(data []byte) minio.PutObjectOptions {
	sum := sha256.Sum256(data)
	return minio.PutObjectOptions{
		ContentType:  "application/octet-stream",
		UserMetadata: map[string]string{shaMeta: hex.EncodeToString(sum[:])},
	}
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}

func isPreconditionFailed(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed"
}
