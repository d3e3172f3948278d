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
// exactly the stored vectors of its space and level. Writes wait while it
// runs so the comparison sees one state.
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
				stored := map[uint64]struct{}{}
				err := e.db.ScanVectors(name, spName, l, func(iid uint64, _ []float32) error {
					stored[iid] = struct{}{}
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

func countIDs(idx index.Index) int {
	n := 0
	idx.IDs(func(uint64) bool { n++; return true })
	return n
}
