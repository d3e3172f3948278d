package server

import (
	"context"
	"sync"
	"time"
)

// budget is a weighted semaphore over the memory that heavy requests may
// hold at once. A request's weight is an estimate of its peak memory (its
// body, times the decoding factor for JSON; a fixed share for analyses).
// Callers wait a little for room, then are refused with 503 and
// Retry-After, so N hostile requests at once queue or bounce instead of
// growing RSS without bound.
type budget struct {
	mu      sync.Mutex
	max     int64
	used    int64         // guarded by mu
	changed chan struct{} // closed and replaced on every release; guarded by mu
}

func newBudget(max int64) *budget {
	return &budget{max: max, changed: make(chan struct{})}
}

// acquire takes n (clamped to the whole budget, so that one request larger
// than it can still run alone), waiting at most wait or until ctx ends.
func (b *budget) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	n = min(n, b.max)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		b.mu.Lock()
		if b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (b *budget) release(n int64) {
	n = min(n, b.max)
	b.mu.Lock()
	b.used -= n
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// Request weights.
const (
	// heavyBody is the body size from which a request counts against the
	// budget; smaller ones never wait for it.
	heavyBody = 1 << 20
	// jsonFactor bounds a JSON body's decoded size against its text
	// (the scan keeps a refused one at ~1×).
	jsonFactor = 4
	// computeCost is the share an analysis takes.
	computeCost = 256 << 20
	// budgetWait is how long a heavy request waits for room.
	budgetWait = time.Second
)

// weightOf estimates a route's peak memory for this request; 0 means it
// does not count.
func (s *Server) weightOf(rt route, contentLength int64) int64 {
	switch {
	case rt.compute:
		return computeCost + max(contentLength, 0)*jsonFactor
	case rt.upload && (contentLength < 0 || contentLength >= heavyBody):
		if contentLength < 0 {
			return s.opts.MaxUploadBytes
		}
		return contentLength
	case contentLength >= heavyBody:
		return contentLength * jsonFactor
	case contentLength < 0 && rt.method != "GET" && rt.method != "DELETE":
		return s.opts.MaxBodyBytes * jsonFactor // chunked: the limit is all we know
	}
	return 0
}
