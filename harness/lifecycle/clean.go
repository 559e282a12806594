package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/moby/moby/client"
)

// Removed is one thing Clean removed.
type Removed struct {
	RunID  string
	What   string // "process", "process group", "container", "dir", "record"
	ID     string // pid, container id, path
	Target string
}

func (r Removed) String() string {
	if r.Target != "" {
		return fmt.Sprintf("run %s: %s %s (%s)", r.RunID, r.What, r.ID, r.Target)
	}
	return fmt.Sprintf("run %s: %s %s", r.RunID, r.What, r.ID)
}

// Clean removes what runs that no longer live left behind: their processes
// (matched by recorded pid and start time, never by name), the process
// group of a workload attempt that was running (grandchildren included),
// every process that carries the marker (MarkerEnv) of a run whose owner
// is dead, with its descendants (setsid daemons included), their containers
// (by the gameday.run label, including containers of runs with no record),
// their temporary directories and their records. Runs whose owner process
// still lives are left alone. Docker is skipped when no daemon answers.
func Clean(ctx context.Context) ([]Removed, error) {
	recs, files, err := LoadRunRecords()
	if err != nil {
		return nil, err
	}
	var removed []Removed
	var errs []error
	live := map[string]bool{}
	for i, rec := range recs {
		if alive(rec.Owner) {
			live[rec.RunID] = true
			continue
		}
		for _, p := range rec.Processes {
			if !alive(p) {
				continue
			}
			// The process leads its own group: kill the group, then the
			// pid itself in case it left it.
			_ = syscall.Kill(-p.PID, syscall.SIGKILL)
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
			if err := waitGone(ctx, p); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, Removed{RunID: rec.RunID, What: "process", ID: fmt.Sprint(p.PID), Target: p.Target})
		}
		if w := rec.Workload; w != nil {
			killed, err := killGroup(ctx, *w)
			if err != nil {
				errs = append(errs, err)
			} else if killed {
				removed = append(removed, Removed{RunID: rec.RunID, What: "process group", ID: fmt.Sprint(w.PGID), Target: w.Target})
			}
		}
		if rec.Dir != "" {
			if _, err := os.Stat(rec.Dir); err == nil {
				if err := os.RemoveAll(rec.Dir); err != nil {
					errs = append(errs, err)
				} else {
					removed = append(removed, Removed{RunID: rec.RunID, What: "dir", ID: rec.Dir})
				}
			}
		}
		if err := os.Remove(files[i]); err == nil {
			removed = append(removed, Removed{RunID: rec.RunID, What: "record", ID: files[i]})
		}
	}
	// Whatever carries the marker of a run whose owner is dead: a setsid
	// daemon of a workload, a target, all their descendants. Records or
	// not.
	owners := map[ProcessRecord]bool{}
	swept, err := sweep(ctx, func(m Marker) bool {
		if live[m.RunID] {
			return false
		}
		a, ok := owners[m.Owner]
		if !ok {
			a = alive(m.Owner)
			owners[m.Owner] = a
		}
		return !a
	})
	for _, p := range swept {
		removed = append(removed, Removed{RunID: p.Marker.RunID, What: "process", ID: fmt.Sprint(p.PID), Target: p.Marker.Part})
	}
	if err != nil {
		errs = append(errs, err)
	}
	cs, err := cleanContainers(ctx, live)
	removed = append(removed, cs...)
	if err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// killGroup SIGKILLs what is left of the process group p leads and waits
// until none of it runs. It reports whether anything was left. The group is
// known to be the recorded one when its leader runs with the recorded start
// time, or when the leader's pid is free while members remain: Linux hands
// out no pid whose number is still a live group's id, so a group that lost
// its leader keeps its id until its last member is gone. A leader pid taken
// by another process means the group died and the number was reused: left
// alone.
func killGroup(ctx context.Context, p ProcessRecord) (bool, error) {
	pgid := p.PGID
	if pgid <= 0 {
		pgid = p.PID
	}
	if start, err := ProcessStartTime(p.PID); err == nil && start != p.Start {
		return false, nil
	}
	if len(groupMembers(pgid)) == 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		// Again on every tick: a member may fork while the group dies.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = syscall.Kill(-pgid, syscall.SIGCONT)
		if len(groupMembers(pgid)) == 0 {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, fmt.Errorf("process group %d did not die: %w", pgid, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitGone waits until p no longer runs (our child or not, a killed process
// may stay a zombie of another parent; a zombie counts as gone).
func waitGone(ctx context.Context, p ProcessRecord) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for alive(p) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("process %d did not die: %w", p.PID, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// cleanContainers removes every container labelled gameday.run whose run is
// not live: its record says its owner died, or it has no record and the
// owner named by its gameday.owner label is dead. Containers of runs owned
// by live processes (under another state home, say) are left alone. No
// daemon: nothing to do.
func cleanContainers(ctx context.Context, live map[string]bool) ([]Removed, error) {
	cli, err := DockerClient(ctx)
	if err != nil {
		return nil, nil
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelRun)})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var removed []Removed
	var errs []error
	for _, c := range list.Items {
		run := c.Labels[LabelRun]
		if live[run] || ownerAlive(c.Labels[LabelOwner]) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", short(c.ID), err))
			continue
		}
		removed = append(removed, Removed{RunID: run, What: "container", ID: short(c.ID), Target: c.Labels[LabelTarget]})
	}
	return removed, errors.Join(errs...)
}

// ownerLabel is the gameday.owner label of this process: pid:start time.
func ownerLabel() string {
	start, _ := ProcessStartTime(os.Getpid())
	return fmt.Sprintf("%d:%d", os.Getpid(), start)
}

// ownerAlive reports whether the process a gameday.owner label names runs.
func ownerAlive(label string) bool {
	var p ProcessRecord
	if _, err := fmt.Sscanf(label, "%d:%d", &p.PID, &p.Start); err != nil {
		return false
	}
	return alive(p)
}
