package extract

import "sync"

// closeGuard lets calls run concurrently while Close waits for the ones in
// flight and refuses later ones: the lifetime rule of Embedder and Detector,
// whose ORT sessions must not be freed under a running call.
type closeGuard struct {
	mu     sync.RWMutex
	closed bool // guarded by mu
}

// enter admits a call; a nil error must be paired with leave.
func (g *closeGuard) enter() error {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (g *closeGuard) leave() { g.mu.RUnlock() }

// close runs release once, after calls in flight have left.
func (g *closeGuard) close(release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		release()
	}
}
