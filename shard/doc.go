// Package shard splits the scenario × seed pairs of a run across machines
// and merges the parts back into one run's outputs.
//
// A run is split by `gameday run --shard I/N`: every pair lands in exactly
// one of the N shards, the same one every time, whatever the order of the
// files. The shards' output folders (or the s3://bucket/prefix they were
// uploaded to) are merged by `gameday merge`:
//
//	sh, _ := shard.Parse("2/3", os.Getenv)
//	keep := sh.Filter(pairs)            // RunOptions.Only
//	...
//	res, err := shard.MergeDirs(out, []string{"shard-1", "shard-2", "shard-3"})
package shard
