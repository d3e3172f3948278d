package storage

import (
	"errors"
	"fmt"
	"sync"
)

// ErrInjected is the error a FaultInjector makes a write fail with when the
// test arming it gave none.
var ErrInjected = errors.New("storage: injected fault")

// FaultPoint says where in a write transaction an armed fault fires.
type FaultPoint uint8

// Fault points.
const (
	// FaultBegin fails the write before bbolt starts the transaction:
	// nothing of it runs.
	FaultBegin FaultPoint = iota + 1
	// FaultCommit lets the transaction do all its work, then fails it just
	// before bbolt would commit, so bbolt rolls every change back. This is
	// the "failed at commit" case: a write that got as far as it can.
	FaultCommit
)

func (p FaultPoint) String() string {
	switch p {
	case FaultBegin:
		return "begin"
	case FaultCommit:
		return "commit"
	}
	return fmt.Sprintf("FaultPoint(%d)", uint8(p))
}

// FaultInjector makes chosen write transactions fail, for tests of what a
// failed write leaves behind. Production code never sets one (a nil
// *FaultInjector is valid and injects nothing). It is safe for concurrent use.
//
// Write transactions are numbered from 1 in the order they start after the
// injector is attached (Options.Faults or DB.SetFaults); the store's own
// initialisation on Open is not counted.
type FaultInjector struct {
	mu     sync.Mutex
	writes int
	armed  map[int]fault
	every  *fault // fail every write from now on (disk gone)
	fired  int
}

type fault struct {
	point FaultPoint
	err   error
}

// NewFaultInjector returns an injector with nothing armed.
func NewFaultInjector() *FaultInjector {
	return &FaultInjector{armed: make(map[int]fault)}
}

// FailWrite arms a failure of the n-th write transaction from now (n ≥ 1) at
// point p. A nil err means ErrInjected. The returned error wraps err.
func (f *FaultInjector) FailWrite(n int, p FaultPoint, err error) {
	if n < 1 {
		panic("storage: FailWrite needs n ≥ 1")
	}
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed[f.writes+n] = fault{point: p, err: err}
}

// FailAll makes every write from now on fail at point p until Reset.
func (f *FaultInjector) FailAll(p FaultPoint, err error) {
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.every = &fault{point: p, err: err}
}

// Reset disarms every fault; counts are kept.
func (f *FaultInjector) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.armed)
	f.every = nil
}

// Writes is the number of write transactions started so far.
func (f *FaultInjector) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// Fired is the number of faults injected so far.
func (f *FaultInjector) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// begin is called as a write transaction starts. It numbers the write and
// returns the error to fail it with at FaultBegin, and the fault (if any)
// to fire at commit.
func (f *FaultInjector) begin() (beginErr error, commitErr error) {
	if f == nil {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	ft, ok := f.armed[f.writes]
	if ok {
		delete(f.armed, f.writes)
	} else if f.every != nil {
		ft, ok = *f.every, true
	}
	if !ok {
		return nil, nil
	}
	f.fired++
	err := fmt.Errorf("write #%d at %s: %w", f.writes, ft.point, ft.err)
	if ft.point == FaultBegin {
		return err, nil
	}
	return nil, err
}

// SetFaults attaches (or, with nil, detaches) a fault injector to an open
// store. For tests.
func (db *DB) SetFaults(f *FaultInjector) { db.faults.Store(f) }
