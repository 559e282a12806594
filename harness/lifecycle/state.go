package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// StateHome is where run records live: $GAMEDAY_STATE_HOME, else
// $XDG_STATE_HOME/gameday, else ~/.local/state/gameday.
func StateHome() (string, error) {
	if d := os.Getenv("GAMEDAY_STATE_HOME"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "gameday"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "gameday"), nil
}

// ProcessRecord identifies a started process by pid and kernel start time,
// so that a recycled pid is never mistaken for it. PGID, when set, is the
// process group it leads, which Clean kills as a whole.
type ProcessRecord struct {
	Target string `json:"target"`
	PID    int    `json:"pid"`
	Start  uint64 `json:"start"`
	PGID   int    `json:"pgid,omitempty"`
}

// ContainerRecord names a started container.
type ContainerRecord struct {
	Target string `json:"target"`
	ID     string `json:"id"`
}

// RunRecord is what a run has started, as written to
// <state home>/runs/<run id>.json.
type RunRecord struct {
	RunID      string            `json:"run_id"`
	Owner      ProcessRecord     `json:"owner"`
	StartedAt  time.Time         `json:"started_at"`
	Dir        string            `json:"dir,omitempty"`
	Processes  []ProcessRecord   `json:"processes,omitempty"`
	Containers []ContainerRecord `json:"containers,omitempty"`
	// Workload is the workload attempt running now: the leader of its
	// process group (Target "workload").
	Workload *ProcessRecord `json:"workload,omitempty"`
}

// Run is one harness run: its id (the value of the `gameday.run` container
// label), a temporary directory for data and logs, and the record of what
// it started. Its methods are safe for concurrent use.
type Run struct {
	ID  string
	Dir string

	mu   sync.Mutex
	rec  RunRecord
	path string
}

// NewRun creates the run's temporary directory and its state record.
func NewRun(id string, now time.Time) (*Run, error) {
	home, err := StateHome()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(home, "runs"), 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	dir, err := os.MkdirTemp("", "gameday-"+id+"-")
	if err != nil {
		return nil, fmt.Errorf("create run dir: %w", err)
	}
	self := os.Getpid()
	start, _ := ProcessStartTime(self)
	r := &Run{
		ID:   id,
		Dir:  dir,
		path: filepath.Join(home, "runs", id+".json"),
		rec:  RunRecord{RunID: id, Owner: ProcessRecord{PID: self, Start: start}, StartedAt: now.UTC(), Dir: dir},
	}
	if err := r.saveLocked(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// RecordPath is the run's state file.
func (r *Run) RecordPath() string { return r.path }

func (r *Run) saveLocked() error {
	data, err := json.MarshalIndent(r.rec, "", "  ")
	if err != nil {
		return fmt.Errorf("write run record: %w", err)
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write run record: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("write run record: %w", err)
	}
	return nil
}

func (r *Run) addProcess(target string, pid int) error {
	start, err := ProcessStartTime(pid)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Processes = append(r.rec.Processes, ProcessRecord{Target: target, PID: pid, Start: start})
	return r.saveLocked()
}

func (r *Run) removeProcess(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Processes = slices.DeleteFunc(r.rec.Processes, func(p ProcessRecord) bool { return p.PID == pid })
	_ = r.saveLocked()
}

// setWorkload records the running workload attempt, whose leader pid
// leads process group pgid.
func (r *Run) setWorkload(pid, pgid int) error {
	start, err := ProcessStartTime(pid)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Workload = &ProcessRecord{Target: "workload", PID: pid, Start: start, PGID: pgid}
	return r.saveLocked()
}

// clearWorkload forgets the workload attempt led by pid, once its group is
// dead.
func (r *Run) clearWorkload(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Workload == nil || r.rec.Workload.PID != pid {
		return
	}
	r.rec.Workload = nil
	_ = r.saveLocked()
}

func (r *Run) addContainer(target, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Containers = append(r.rec.Containers, ContainerRecord{Target: target, ID: id})
	return r.saveLocked()
}

func (r *Run) removeContainer(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Containers = slices.DeleteFunc(r.rec.Containers, func(c ContainerRecord) bool { return c.ID == id })
	_ = r.saveLocked()
}

// Close kills every process still carrying the run's marker (MarkerEnv)
// and its descendants: what a workload or a target left running, setsid
// daemons included. Then it removes the run's directory and its record.
// Call it after every target is stopped.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := sweepRun(context.Background(), r.ID)
	err = errors.Join(err, os.RemoveAll(r.Dir))
	if e := os.Remove(r.path); e != nil && !errors.Is(e, os.ErrNotExist) {
		err = errors.Join(err, e)
	}
	return err
}

// ProcessStartTime returns the start time of pid in clock ticks since boot,
// field 22 of /proc/<pid>/stat.
func ProcessStartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	v, err := st.start()
	if err != nil {
		return 0, fmt.Errorf("process %d: malformed start time: %w", pid, err)
	}
	return v, nil
}

// processState returns field 3 of /proc/<pid>/stat (R, S, T, Z...).
func processState(pid int) (string, error) {
	st, err := readStat(pid)
	if err != nil {
		return "", err
	}
	return st.state(), nil
}

// groupMembers returns the live (not zombie) processes of process group
// pgid, from /proc/<pid>/stat field 5.
func groupMembers(pgid int) []int {
	var out []int
	for _, pid := range pids() {
		st, err := readStat(pid)
		if err != nil || st.zombie() {
			continue // gone meanwhile, or dead
		}
		if st.pgrp() == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// alive reports whether p still runs: the pid exists with the recorded start
// time and is not a zombie.
func alive(p ProcessRecord) bool {
	start, err := ProcessStartTime(p.PID)
	if err != nil || start != p.Start {
		return false
	}
	st, err := processState(p.PID)
	return err == nil && st != "Z" && st != "X"
}

// LoadRunRecords reads every run record under the state home.
func LoadRunRecords() ([]RunRecord, []string, error) {
	home, err := StateHome()
	if err != nil {
		return nil, nil, err
	}
	paths, err := filepath.Glob(filepath.Join(home, "runs", "*.json"))
	if err != nil {
		return nil, nil, err
	}
	var recs []RunRecord
	var files []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var rec RunRecord
		if err := json.Unmarshal(data, &rec); err != nil || rec.RunID == "" {
			continue
		}
		recs = append(recs, rec)
		files = append(files, p)
	}
	return recs, files, nil
}
