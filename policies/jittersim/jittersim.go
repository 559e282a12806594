// Package jittersim replays Marc Brooker's optimistic-concurrency experiment
// ("Exponential Backoff and Jitter", AWS Architecture Blog, 2015) in
// simulated time: N clients each want to update one row once; a client reads
// the row's version, then writes conditionally on it; a write that lost the
// race fails and the client backs off before reading again. The backoff
// delays come from policies/backoff, the same functions the retry stack
// uses, so the table shows what the policy's jitter setting buys.
//
// Everything is deterministic for a seed: network delays and jitter are
// drawn from one seeded *rand.Rand, and time is an event queue, not a clock.
//
//	rows := jittersim.Table(jittersim.Config{Seed: 1, Trials: 100}, []int{10, 20, 30, 40, 50})
package jittersim

import (
	"container/heap"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/backoff"
)

// Strategies are the jitter settings compared, in table order.
var Strategies = []policies.Jitter{policies.JitterNone, policies.JitterEqual, policies.JitterFull, policies.JitterDecorrelated}

// Config is one experiment's set-up. Zero fields take Brooker's values.
type Config struct {
	// Base is the first backoff delay (default 5ms); Cap bounds every delay
	// (default 2s); the multiplier is 2.
	Base, Cap time.Duration
	// NetMean and NetSD describe the one-way network delay, drawn from
	// |normal(NetMean, NetSD)| (defaults 10ms and 2ms).
	NetMean, NetSD time.Duration
	// Trials is how many runs are averaged (default 100).
	Trials int
	// Seed seeds the one RNG every draw comes from.
	Seed uint64
}

func (c Config) withDefaults() Config {
	if c.Base <= 0 {
		c.Base = 5 * time.Millisecond
	}
	if c.Cap <= 0 {
		c.Cap = 2 * time.Second
	}
	if c.NetMean <= 0 {
		c.NetMean = 10 * time.Millisecond
	}
	if c.NetSD <= 0 {
		c.NetSD = 2 * time.Millisecond
	}
	if c.Trials <= 0 {
		c.Trials = 100
	}
	return c
}

// Result is the mean over the trials of one (clients, strategy) cell.
type Result struct {
	Clients  int
	Strategy policies.Jitter
	// Calls is the mean number of conditional writes until every client
	// succeeded (Brooker's "calls": the work the server did).
	Calls float64
	// Completion is the mean simulated time until the last client succeeded.
	Completion time.Duration
}

type event struct {
	at     time.Duration
	seq    int
	client int
	kind   int // readArrives, readReply, writeArrives, writeReply
	ver    int
	ok     bool
}

const (
	readArrives = iota
	readReply
	writeArrives
	writeReply
)

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// once runs one trial and returns the writes made and the completion time.
func once(c Config, clients int, jitter policies.Jitter, rng *rand.Rand) (calls int, end time.Duration) {
	b := policies.Backoff{Initial: c.Base, Max: c.Cap, Multiplier: 2, Jitter: jitter}
	net := func() time.Duration {
		return time.Duration(math.Abs(rng.NormFloat64()*float64(c.NetSD) + float64(c.NetMean)))
	}
	var (
		q       queue
		seq     int
		version int
		retries = make([]int, clients)
		prev    = make([]time.Duration, clients)
	)
	push := func(e event) {
		seq++
		e.seq = seq
		heap.Push(&q, e)
	}
	for i := 0; i < clients; i++ {
		push(event{at: net(), client: i, kind: readArrives})
	}
	for q.Len() > 0 {
		e := heap.Pop(&q).(event)
		end = e.at
		switch e.kind {
		case readArrives:
			push(event{at: e.at + net(), client: e.client, kind: readReply, ver: version})
		case readReply:
			push(event{at: e.at + net(), client: e.client, kind: writeArrives, ver: e.ver})
		case writeArrives:
			calls++
			ok := e.ver == version
			if ok {
				version++
			}
			push(event{at: e.at + net(), client: e.client, kind: writeReply, ok: ok})
		case writeReply:
			if e.ok {
				continue
			}
			d := backoff.Delay(b, retries[e.client], prev[e.client], rng)
			prev[e.client] = d
			retries[e.client]++
			push(event{at: e.at + d + net(), client: e.client, kind: readArrives})
		}
	}
	return calls, end
}

// Run averages c.Trials trials of clients contending under jitter.
func Run(c Config, clients int, jitter policies.Jitter) Result {
	c = c.withDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, uint64(clients)<<8|uint64(len(jitter))))
	var calls int
	var total time.Duration
	for t := 0; t < c.Trials; t++ {
		n, end := once(c, clients, jitter, rng)
		calls += n
		total += end
	}
	return Result{Clients: clients, Strategy: jitter, Calls: float64(calls) / float64(c.Trials), Completion: total / time.Duration(c.Trials)}
}

// Table runs every strategy for every client count.
func Table(c Config, clients []int) []Result {
	var out []Result
	for _, n := range clients {
		for _, s := range Strategies {
			out = append(out, Run(c, n, s))
		}
	}
	return out
}

// Write prints rows as a table: one line per client count, calls and
// completion time per strategy.
func Write(w io.Writer, rows []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "clients\t")
	for _, s := range Strategies {
		fmt.Fprintf(tw, "calls %s\t", s)
	}
	for _, s := range Strategies {
		fmt.Fprintf(tw, "time %s\t", s)
	}
	fmt.Fprintln(tw)
	byClients := map[int]map[policies.Jitter]Result{}
	var order []int
	for _, r := range rows {
		if byClients[r.Clients] == nil {
			byClients[r.Clients] = map[policies.Jitter]Result{}
			order = append(order, r.Clients)
		}
		byClients[r.Clients][r.Strategy] = r
	}
	for _, n := range order {
		fmt.Fprintf(tw, "%d\t", n)
		for _, s := range Strategies {
			fmt.Fprintf(tw, "%.0f\t", byClients[n][s].Calls)
		}
		for _, s := range Strategies {
			fmt.Fprintf(tw, "%s\t", byClients[n][s].Completion.Round(time.Millisecond))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
