package engine

import (
	"context"
	"fmt"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// CheckReport lists every disagreement found by Check.
type CheckReport struct {
	Datasets int      `json:"datasets"`
	Vectors  int      `json:"vectors"`
	Problems []string `json:"problems"`
}

// OK reports whether nothing was wrong.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check asks the store for every disagreement between its parts (for the
// embedded store: bbolt's own check, and every index against the stored
// vectors). Writes wait while it runs so the comparison sees one state.
func (e *Engine) Check(ctx context.Context) (CheckReport, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	rep, err := e.store.Check(ctx)
	return rep, fromStorage(err)
}

// Check verifies storage (bbolt's own check) and that every index holds
// exactly the stored vectors of its space and level: the same ids and, for
// backends that can return their vectors, the same contents (a vector the
// index holds under a stored id but with other values is a problem too).
// The engine holds writeMu.
func (s *embedded) Check(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	if err := s.db.Check(); err != nil {
		rep.Problems = append(rep.Problems, "storage: "+err.Error())
	}
	list, err := s.db.Datasets()
	if err != nil {
		return rep, err
	}
	rep.Datasets = len(list)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, sp := range s.spaces {
		for _, l := range levels {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			n, problems, err := s.checkLevel(k, sp, l)
			if err != nil {
				return rep, err
			}
			rep.Vectors += n
			rep.Problems = append(rep.Problems, problems...)
		}
	}
	return rep, nil
}

func (s *embedded) checkLevel(k spaceKey, sp *spaceIndex, l storage.Level) (int, []string, error) {
	idx := sp.level(l)
	vr, _ := idx.(index.VectorReader)
	stored := map[uint64]struct{}{}
	differ := 0
	err := s.db.ScanVectors(k.dataset, k.space, l, func(iid uint64, v []float32) error {
		stored[iid] = struct{}{}
		if vr != nil && !sameContent(vr, iid, v, sp.metric) {
			differ++
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	n := len(stored)
	where := fmt.Sprintf("%s/%s/%s", k.dataset, k.space, l)
	extra := 0
	idx.IDs(func(id uint64) bool {
		if _, ok := stored[id]; ok {
			delete(stored, id)
		} else {
			extra++
		}
		return true
	})
	var problems []string
	if len(stored) > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d stored vectors missing from the index", where, len(stored)))
	}
	if differ > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d index vectors differ from the stored ones", where, differ))
	}
	if extra > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d index entries with no stored vector", where, extra))
	}
	if n, ids := idx.Len(), countIDs(idx); n != ids {
		problems = append(problems, fmt.Sprintf("%s: index Len %d but %d ids", where, n, ids))
	}
	return n, problems, nil
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
