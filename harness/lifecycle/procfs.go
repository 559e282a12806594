package lifecycle

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// stat is /proc/<pid>/stat from field 3 on (after the command name, which
// is in parentheses and may hold spaces): stat[0] is field 3 (state),
// stat[1] field 4 (ppid), stat[2] field 5 (pgrp), stat[19] field 22 (start
// time).
type stat []string

// readStat reads /proc/<pid>/stat. A stat it returns has all 22 fields up
// to the start time.
func readStat(pid int) (stat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("process %d: malformed stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return nil, fmt.Errorf("process %d: malformed stat", pid)
	}
	return f, nil
}

func (s stat) state() string { return s[0] }

// zombie reports a process that exited and waits for its parent.
func (s stat) zombie() bool { return s[0] == "Z" || s[0] == "X" }

func (s stat) ppid() int { v, _ := strconv.Atoi(s[1]); return v }

func (s stat) pgrp() int { v, _ := strconv.Atoi(s[2]); return v }

func (s stat) start() (uint64, error) { return strconv.ParseUint(s[19], 10, 64) }

// pids lists the processes in /proc.
func pids() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]int, 0, len(ents))
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}
