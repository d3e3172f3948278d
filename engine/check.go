package engine

import (
	"context"
	"fmt"

	"github.com/reef-ml/reef/index"
)

// CheckReport lists every disagreement found by Check.
type CheckReport struct {
	Datasets int      `json:"datasets"`
	Vectors  int      `json:"vectors"`
	Problems []string `json:"problems"`
}

// OK reports whether nothing was wrong.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check verifies storage (bbolt's own check) and that every index holds
// exactly the stored vectors of its space and level: the same ids and, for
// backends that can return their vectors, the same contents (a vector the
// index holds under a stored id but with other values is a problem too).
// Writes wait while it runs so the comparison sees one state.
func (e *Engine) Check(ctx context.Context) (CheckReport, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	var rep CheckReport
	if err := e.db.Check(); err != nil {
		rep.Problems = append(rep.Problems, "storage: "+err.Error())
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	for name, ds := range e.datasets {
		rep.Datasets++
		for spName, sp := range ds.spaces {
			for _, l := range levels {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				idx := sp.level(l)
				vr, _ := idx.(index.VectorReader)
				stored := map[uint64]struct{}{}
				differ := 0
				err := e.db.ScanVectors(name, spName, l, func(iid uint64, v []float32) error {
					stored[iid] = struct{}{}
					if vr != nil && !sameContent(vr, iid, v, sp.metric) {
						differ++
					}
					return nil
				})
				if err != nil {
					return rep, fromStorage(err)
				}
				rep.Vectors += len(stored)
				where := fmt.Sprintf("%s/%s/%s", name, spName, l)
				extra := 0
				idx.IDs(func(id uint64) bool {
					if _, ok := stored[id]; ok {
						delete(stored, id)
					} else {
						extra++
					}
					return true
				})
				if len(stored) > 0 {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d stored vectors missing from the index", where, len(stored)))
				}
				if differ > 0 {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d index vectors differ from the stored ones", where, differ))
				}
				if extra > 0 {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d index entries with no stored vector", where, extra))
				}
				if n, ids := idx.Len(), countIDs(idx); n != ids {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: index Len %d but %d ids", where, n, ids))
				}
			}
		}
	}
	return rep, nil
}

// sameContent reports whether the index holds v for iid (as the index
// prepares it: unit length under cosine); an id the index lacks is counted
// as missing elsewhere, not here.
func sameContent(vr index.VectorReader, iid uint64, v []float32, m index.Metric) bool {
	got, ok := vr.Vector(iid)
	if !ok {
		return true
	}
	want := prepareQuery(v, m)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			return false
		}
	}
	return true
}

func countIDs(idx index.Index) int {
	n := 0
	idx.IDs(func(uint64) bool { n++; return true })
	return n
}
