// Package history keeps the runs of `gameday run --history FILE` in one
// SQLite database file (pure Go, modernc.org/sqlite) and computes the
// trends `gameday trends` prints and draws.
//
// A nightly CI job keeps the file as a cache or artifact and appends to it:
//
//	db, err := history.Open(ctx, "gameday-history.db") // creates it when missing
//	_, err = db.Append(ctx, res, history.Meta{GitCommit: history.GitCommit(".")})
//	runs, err := db.Runs(ctx, history.Query{Since: time.Now().AddDate(0, 0, -30)})
//	trends := history.Compute(runs, history.ByDay)
//	err = db.Close()
//
// Appends from parallel jobs are safe: each is one IMMEDIATE transaction,
// and a writer waits (busy timeout) for the other's lock, as SQLite's file
// locks serialise them. The file is not safe on a network file system whose
// locks do not work (NFS without lockd), as no SQLite file is.
//
// A file that is not a gameday history (another program's SQLite database,
// a corrupt or truncated file, anything else) is refused with ErrNotHistory
// before anything is written to it.
package history

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/gameday/gameday/reports"
)

// ApplicationID marks a gameday history file in its SQLite header
// (PRAGMA application_id): "gmdy".
const ApplicationID = 0x676d6479

// SchemaVersion is the schema this package writes (PRAGMA user_version).
const SchemaVersion = 1

// BusyTimeout is how long an append waits for another process's lock.
const BusyTimeout = 60 * time.Second

// ErrNotHistory is returned (wrapped, with the reason) for a file that is
// not a gameday history database.
var ErrNotHistory = errors.New("not a gameday history file")

// schema creates the tables; every statement is idempotent.
const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	invocation      TEXT    NOT NULL,
	started_at_ms   INTEGER NOT NULL,
	recorded_at_ms  INTEGER NOT NULL,
	scenario        TEXT    NOT NULL,
	file            TEXT    NOT NULL,
	seed            INTEGER NOT NULL,
	verdict         TEXT    NOT NULL,
	passed          INTEGER NOT NULL,
	error           TEXT    NOT NULL,
	duration_ms     INTEGER NOT NULL,
	recovery_ms     INTEGER,
	gave_up_ms      INTEGER,
	requests        INTEGER NOT NULL,
	faults_injected INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	retries         INTEGER NOT NULL,
	pages           INTEGER NOT NULL,
	alerts_info     INTEGER NOT NULL,
	alerts_warning  INTEGER NOT NULL,
	alerts_page     INTEGER NOT NULL,
	duplicates      INTEGER NOT NULL,
	success_rate    REAL    NOT NULL,
	policy_sha256   TEXT    NOT NULL,
	git_commit      TEXT    NOT NULL,
	backend         TEXT    NOT NULL,
	command         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs (scenario, started_at_ms);
CREATE TABLE IF NOT EXISTS expectations (
	run_id INTEGER NOT NULL REFERENCES runs (id),
	name   TEXT    NOT NULL,
	passed INTEGER NOT NULL,
	want   TEXT    NOT NULL,
	got    TEXT    NOT NULL,
	PRIMARY KEY (run_id, name)
);
`

// DB is an open history file. It is safe for concurrent use.
type DB struct {
	path string
	db   *sql.DB
}

// Open opens the history file at path, creating it (and its tables) when it
// does not exist or is empty. A file that is not a gameday history is
// ErrNotHistory; one written by a newer gameday is refused too.
func Open(ctx context.Context, path string) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("history %s: the file name must not contain ? or #", path)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", path+"?_busy_timeout="+fmt.Sprint(BusyTimeout.Milliseconds())+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	h := &DB{path: path, db: db}
	if err := h.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return h, nil
}

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// checkHeader refuses a file that exists, is not empty and does not start
// like an SQLite database, before SQLite touches it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("history %s: %w: not a regular file", path, ErrNotHistory)
	}
	head := make([]byte, 100)
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0:
		return nil // empty: a new history
	case n < len(head) || !bytes.Equal(head[:len(sqliteMagic)], sqliteMagic):
		return fmt.Errorf("history %s: %w: not an SQLite database (corrupt, truncated or another kind of file)", path, ErrNotHistory)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("history %s: %w", path, err)
	}
	return nil
}

// init checks the file is ours (or new, then creates the tables), in one
// transaction so that two processes creating it at once agree.
func (h *DB) init(ctx context.Context) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return h.fail(err)
	}
	defer tx.Rollback()
	var app, version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return h.fail(err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return h.fail(err)
	}
	switch {
	case app == ApplicationID && version > SchemaVersion:
		return fmt.Errorf("history %s: written by a newer gameday (schema %d, this one reads %d)", h.path, version, SchemaVersion)
	case app == ApplicationID:
		var check string
		if err := tx.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
			return h.fail(err)
		}
		if check != "ok" {
			return fmt.Errorf("history %s: %w: corrupt (%s)", h.path, ErrNotHistory, check)
		}
		return tx.Commit()
	case app != 0:
		return fmt.Errorf("history %s: %w: an SQLite database of another program (application_id %#x)", h.path, ErrNotHistory, app)
	}
	var tables []string
	rows, err := tx.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return h.fail(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return h.fail(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h.fail(err)
	}
	if len(tables) > 0 {
		return fmt.Errorf("history %s: %w: an SQLite database of another program (tables %s)", h.path, ErrNotHistory, strings.Join(tables, ", "))
	}
	for _, stmt := range []string{
		schema,
		fmt.Sprintf("PRAGMA application_id = %d", ApplicationID),
		fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion),
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return h.fail(err)
		}
	}
	return h.fail(tx.Commit())
}

// fail names the file in a database error and tells a corrupt file apart.
func (h *DB) fail(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "file is not a database") || strings.Contains(msg, "malformed") || strings.Contains(msg, "SQLITE_CORRUPT") || strings.Contains(msg, "SQLITE_NOTADB") {
		return fmt.Errorf("history %s: %w: corrupt (%v)", h.path, ErrNotHistory, err)
	}
	return fmt.Errorf("history %s: %w", h.path, err)
}

// Close closes the database.
func (h *DB) Close() error { return h.db.Close() }

// Meta is what a run's rows carry beyond its Result.
type Meta struct {
	// Invocation groups the rows of one gameday run; default a random id.
	Invocation string
	// GitCommit is the commit of the scenarios' repository, if any (see
	// GitCommit).
	GitCommit string
	// Now stamps recorded_at; default time.Now.
	Now func() time.Time
}

// Append records every run of r, one row per scenario run (every seed of a
// repeated scenario is a row of its own) with its verdicts, in one
// transaction, and returns how many runs it recorded.
func (h *DB) Append(ctx context.Context, r *reports.Result, meta Meta) (int, error) {
	if meta.Invocation == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		meta.Invocation = hex.EncodeToString(b[:])
	}
	now := time.Now
	if meta.Now != nil {
		now = meta.Now
	}
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, h.fail(err)
	}
	defer tx.Rollback()
	n := 0
	for _, s := range r.Scenarios {
		runs := []reports.Scenario{s}
		if s.Repeats != nil && len(s.Repeats.Each) > 0 {
			runs = s.Repeats.Each
		}
		for _, run := range runs {
			if run.PolicySHA256 == "" {
				run.PolicySHA256 = s.PolicySHA256
			}
			if err := insertRun(ctx, tx, r, run, meta, now()); err != nil {
				return 0, h.fail(err)
			}
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, h.fail(err)
	}
	return n, nil
}

func insertRun(ctx context.Context, tx *sql.Tx, r *reports.Result, s reports.Scenario, meta Meta, now time.Time) error {
	started := r.StartedAt
	if s.Timeline != nil && !s.Timeline.Start.IsZero() {
		started = s.Timeline.Start
	}
	m := s.Metrics
	alerts := m.Alerts
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (invocation, started_at_ms, recorded_at_ms, scenario, file, seed,
		verdict, passed, error, duration_ms, recovery_ms, gave_up_ms, requests, faults_injected, attempts, retries, pages,
		alerts_info, alerts_warning, alerts_page, duplicates, success_rate, policy_sha256, git_commit, backend, command)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		meta.Invocation, started.UnixMilli(), now.UnixMilli(), s.Name, s.File, s.Seed,
		s.Verdict(), s.Passed && s.Error == "", s.Error, s.DurationMS, nullable(m.RecoveryTimeMS), nullable(m.GaveUpAfterMS),
		m.Requests, m.FaultsInjected, m.Attempts, m.Retries, m.Pages,
		alerts["info"], alerts["warning"], alerts["page"], m.DuplicateArtifacts, m.SuccessRate,
		s.PolicySHA256, meta.GitCommit, r.Backend, r.Command)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for _, e := range s.Expectations {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO expectations (run_id, name, passed, want, got) VALUES (?, ?, ?, ?, ?)`,
			id, e.Name, e.Passed, e.Want, e.Got); err != nil {
			return err
		}
	}
	return nil
}

func nullable(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// Run is one recorded run of a scenario.
type Run struct {
	ID         int64
	Invocation string
	StartedAt  time.Time
	Scenario   string
	File       string
	Seed       int64
	Verdict    string // PASS, FAIL or ERROR
	Passed     bool
	Error      string
	DurationMS int64
	// RecoveryMS and GaveUpMS are nil when absent.
	RecoveryMS, GaveUpMS *int64
	Retries, Pages       int
	PolicySHA256         string
	GitCommit            string
	// Expectations maps an expectation's name to whether it held.
	Expectations map[string]bool
}

// Query selects runs: those started at or after Since (zero: all), of the
// scenarios whose name matches the glob Scenario ("" or "*": all).
type Query struct {
	Since    time.Time
	Scenario string
	// Match reports whether a name matches the glob; default: exact or "*".
	Match func(glob, name string) bool
}

// Runs returns the runs q selects, oldest first.
func (h *DB) Runs(ctx context.Context, q Query) ([]Run, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT id, invocation, started_at_ms, scenario, file, seed, verdict, passed, error,
		duration_ms, recovery_ms, gave_up_ms, retries, pages, policy_sha256, git_commit
		FROM runs WHERE started_at_ms >= ? ORDER BY started_at_ms, id`, sinceMS(q.Since))
	if err != nil {
		return nil, h.fail(err)
	}
	defer rows.Close()
	match := q.Match
	if match == nil {
		match = func(glob, name string) bool { return glob == "*" || glob == name }
	}
	var out []Run
	byID := map[int64]int{}
	for rows.Next() {
		var r Run
		var started int64
		var rec, gave sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Invocation, &started, &r.Scenario, &r.File, &r.Seed, &r.Verdict, &r.Passed, &r.Error,
			&r.DurationMS, &rec, &gave, &r.Retries, &r.Pages, &r.PolicySHA256, &r.GitCommit); err != nil {
			return nil, h.fail(err)
		}
		if q.Scenario != "" && !match(q.Scenario, r.Scenario) {
			continue
		}
		r.StartedAt = time.UnixMilli(started).UTC()
		if rec.Valid {
			r.RecoveryMS = &rec.Int64
		}
		if gave.Valid {
			r.GaveUpMS = &gave.Int64
		}
		r.Expectations = map[string]bool{}
		byID[r.ID] = len(out)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, h.fail(err)
	}
	rows.Close()
	erows, err := h.db.QueryContext(ctx, `SELECT e.run_id, e.name, e.passed FROM expectations e JOIN runs r ON r.id = e.run_id
		WHERE r.started_at_ms >= ?`, sinceMS(q.Since))
	if err != nil {
		return nil, h.fail(err)
	}
	defer erows.Close()
	for erows.Next() {
		var id int64
		var name string
		var passed bool
		if err := erows.Scan(&id, &name, &passed); err != nil {
			return nil, h.fail(err)
		}
		if i, ok := byID[id]; ok {
			out[i].Expectations[name] = passed
		}
	}
	if err := erows.Err(); err != nil {
		return nil, h.fail(err)
	}
	return out, nil
}

func sinceMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// GitCommit returns the commit checked out in dir's git repository, else
// $GITHUB_SHA or $CI_COMMIT_SHA, else "". getenv is os.Getenv in
// production.
func GitCommit(dir string, getenv func(string) string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--verify", "--quiet", "HEAD")
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if out, err := cmd.Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c
		}
	}
	for _, v := range []string{"GITHUB_SHA", "CI_COMMIT_SHA"} {
		if c := getenv(v); c != "" {
			return c
		}
	}
	return ""
}

// DefaultTrendsFile is where `gameday trends FILE` writes trends.html:
// beside FILE.
func DefaultTrendsFile(historyFile string) string {
	return filepath.Join(filepath.Dir(historyFile), "trends.html")
}
