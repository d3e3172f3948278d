package weaviate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultLog gathers what writers and readers saw; guarded by mu.
type faultLog struct {
	mu        sync.Mutex
	acked     []Object
	unknown   []Object
	rejected  []error
	ackedDown int // acknowledged while the node was down
}

// TestClusterKillOneNode kills -9 one of three nodes (replication factor 3)
// while writers upsert at QUORUM and readers search at ONE, through clients
// that know all three nodes and list the killed one first: no acknowledged
// write may be lost, reads keep answering, the node rejoins.
func TestClusterKillOneNode(t *testing.T) {
	cl := startCluster(t, 3, 21200)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const name = "Reef_fault"
	spec := CollectionSpec{Name: name, Vectors: []VectorSpec{{Name: "v", Dim: 16, Metric: "l2"}}, Shards: 3, Replicas: 3}
	const victim = 1
	w := cl.clientAll(victim, 3, "QUORUM", "QUORUM", 5*time.Second)
	if err := w.EnsureCollection(ctx, spec); err != nil {
		t.Fatal(err)
	}
	r := cl.clientAll(victim, 3, "ONE", "ONE", 30*time.Second)

	var log faultLog
	var down atomic.Bool
	var reads, readErrs, readsDown atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for wi := range 2 {
		wg.Go(func() { writeUntil(ctx, t, w, name, wi, stop, &down, &log) })
	}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(9, 9))
		for i := 0; i < 100000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := r.Search(ctx, name, "v", randomVector(rng, 16), 5, nil)
			reads.Add(1)
			if err != nil {
				readErrs.Add(1)
				t.Logf("read error (node down %v): %v", down.Load(), err)
			} else if down.Load() {
				readsDown.Add(1)
			}
		}
	})

	time.Sleep(4 * time.Second)
	cl.kill(victim)
	down.Store(true)
	killed := time.Now()
	// Long enough to outlast the 5–10 s the cluster takes to notice the
	// loss, during which writes stall and time out as unknown outcomes.
	time.Sleep(20 * time.Second)
	down.Store(false)
	if err := cl.revive(victim); err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("revive: %v\n%s", err, cl.logTail(victim))
	}
	t.Logf("node %d back %.1fs after the kill", victim, time.Since(killed).Seconds())
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	t.Logf("writes: %d acknowledged (%d while a node was down), %d unknown, %d rejected; reads: %d, %d errors, %d answered while down",
		len(log.acked), log.ackedDown, len(log.unknown), len(log.rejected), reads.Load(), readErrs.Load(), readsDown.Load())
	if len(log.rejected) > 0 {
		t.Errorf("writes rejected: %v", errors.Join(log.rejected...))
	}
	if log.ackedDown == 0 {
		t.Error("no write was acknowledged at QUORUM while one of three nodes was down")
	}
	if readsDown.Load() == 0 || readErrs.Load() > 0 {
		t.Errorf("reads at ONE: %d answered while the node was down, %d errors", readsDown.Load(), readErrs.Load())
	}
	// Unknown outcomes are retried with the same ids, as a caller would.
	if len(log.unknown) > 0 {
		if _, err := w.Upsert(ctx, name, log.unknown); err != nil {
			t.Fatalf("retrying %d unknown writes: %v", len(log.unknown), err)
		}
	}
	catchUp(ctx, t, cl, victim, name, log.acked)
	verifyAcked(ctx, t, cl, victim, name, log.acked)
}

// catchUp measures how long searches through the revived node miss
// acknowledged writes (async replication filling its replicas), and fails
// if it has not caught up within two minutes.
func catchUp(ctx context.Context, t *testing.T, cl *testCluster, node int, name string, acked []Object) {
	t.Helper()
	c := cl.client(node, "ONE", "ONE", 30*time.Second)
	ids := make([]string, len(acked))
	for i, o := range acked {
		ids[i] = o.ID
	}
	start := time.Now()
	for try := 0; try < 240; try++ {
		got, err := c.GetMany(ctx, name, ids, false)
		if err != nil {
			t.Fatal(err)
		}
		missing := len(ids) - len(got)
		if try == 0 || missing == 0 {
			t.Logf("%.1fs after revive: searches through node %d miss %d of %d acknowledged objects", time.Since(start).Seconds(), node, missing, len(ids))
		}
		if missing == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("searches through node %d still miss acknowledged objects %s after revive", node, time.Since(start).Round(time.Second))
}

func randomVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()
	}
	return v
}

// writeUntil upserts batches of 20 until stop, at most 3000 batches.
func writeUntil(ctx context.Context, t *testing.T, c *Client, name string, wi int, stop chan struct{}, down *atomic.Bool, log *faultLog) {
	rng := rand.New(rand.NewPCG(uint64(wi), 3))
	for b := 0; b < 3000; b++ {
		select {
		case <-stop:
			return
		default:
		}
		batch := make([]Object, 20)
		for i := range batch {
			batch[i] = Object{ID: fmt.Sprintf("w%d-%d-%d", wi, b, i), Vectors: map[string][]float32{"v": randomVector(rng, 16)}}
		}
		time.Sleep(20 * time.Millisecond) // a steady stream, not a flood to verify later
		wasDown := down.Load()
		res, err := c.Upsert(ctx, name, batch)
		if res == nil {
			t.Errorf("upsert without results: %v", err)
			return
		}
		log.mu.Lock()
		for i, r := range res {
			switch {
			case r.Err == nil:
				log.acked = append(log.acked, batch[i])
				if wasDown && down.Load() {
					log.ackedDown++
				}
			case errors.Is(r.Err, ErrUnknownOutcome):
				log.unknown = append(log.unknown, batch[i])
			default:
				log.rejected = append(log.rejected, r.Err)
			}
		}
		log.mu.Unlock()
	}
}

// verifyAcked reads back every acknowledged object by id at ALL (every
// replica, the revived one included, must answer) and checks its vector.
func verifyAcked(ctx context.Context, t *testing.T, cl *testCluster, node int, name string, acked []Object) {
	t.Helper()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}
	all := cl.client(node, "ALL", "ALL", 30*time.Second)
	var lost, wrong atomic.Int64
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for i := p; i < len(acked); i += 8 {
				o, err := all.Get(ctx, name, acked[i].ID)
				switch {
				case errors.Is(err, ErrNotFound):
					lost.Add(1)
				case err != nil:
					t.Errorf("reading %s: %v", acked[i].ID, err)
					return
				case fmt.Sprint(o.Vectors["v"]) != fmt.Sprint(acked[i].Vectors["v"]):
					wrong.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if lost.Load() > 0 || wrong.Load() > 0 {
		t.Fatalf("of %d acknowledged writes %d lost and %d changed", len(acked), lost.Load(), wrong.Load())
	}
	n, err := all.Count(ctx, name, nil)
	if err != nil || n < int64(len(acked)) {
		t.Fatalf("count = %d, %v; want at least %d", n, err, len(acked))
	}
	t.Logf("all %d acknowledged writes read back at ALL through node %d; count %d", len(acked), node, n)
}
