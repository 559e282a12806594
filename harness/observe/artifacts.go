package observe

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/gameday/gameday/internal/glob"
)

// Artifacts is what a listing of all object versions says about duplicates.
type Artifacts struct {
	Keys     int // distinct keys (delete markers aside)
	Versions int // object versions (delete markers aside)
	// Duplicates, as DESIGN defines them: for every key its versions beyond
	// the first; plus, for every run and every kinds glob, the matching keys
	// beyond the first.
	Duplicates int
	// Details explains each duplicate for messages.
	Details []string
}

// Duplicates judges versions (all object versions under the artifact prefix)
// against the runs' ids and the kinds globs (matched on each key's base
// name).
func Duplicates(versions []ObjectVersion, runIDs []string, kinds []string) Artifacts {
	var a Artifacts
	count := map[string]int{}
	etags := map[string][]string{}
	for _, v := range versions {
		if v.IsDeleteMarker {
			continue
		}
		a.Versions++
		count[v.Key]++
		etags[v.Key] = append(etags[v.Key], v.ETag)
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	a.Keys = len(keys)
	for _, k := range keys {
		if n := count[k]; n > 1 {
			a.Duplicates += n - 1
			a.Details = append(a.Details, fmt.Sprintf("%s has %d versions%s", k, n, sameContent(etags[k])))
		}
	}
	seen := map[string]bool{}
	for _, id := range runIDs {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		for _, kind := range kinds {
			var match []string
			for _, k := range keys {
				if hasSegment(k, id) && glob.Match(kind, path.Base(k)) {
					match = append(match, k)
				}
			}
			if len(match) > 1 {
				a.Duplicates += len(match) - 1
				var tags []string
				for _, k := range match {
					tags = append(tags, etags[k]...)
				}
				a.Details = append(a.Details, fmt.Sprintf("run %s wrote %d %q keys%s: %s", id, len(match), kind, sameContent(tags), strings.Join(match, ", ")))
			}
		}
	}
	return a
}

// sameContent says whether the versions behind etags hold identical bytes
// (a retried write of the same artifact, which a conditional create
// prevents) or different content: ", identical content — ..." or ",
// different content"; "" when an ETag is unknown.
func sameContent(etags []string) string {
	for _, t := range etags {
		if t == "" {
			return ""
		}
	}
	for _, t := range etags {
		if strings.Trim(t, `"`) != strings.Trim(etags[0], `"`) {
			return ", different content"
		}
	}
	return ", identical content — a retried write; a conditional create (If-None-Match: *) prevents it"
}

func hasSegment(key, seg string) bool {
	for _, s := range strings.Split(key, "/") {
		if s == seg {
			return true
		}
	}
	return false
}
