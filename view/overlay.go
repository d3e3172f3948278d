package view

// Overlays: the view of dataset A with dataset B's rows (same space name and
// definition: dim, metric, model and version) drawn into A's layout, for
// comparing e.g. train and test. engine.Rows 0..nA-1 are A's, as in A's own view;
// rows nA..nA+nB-1 are B's, in B's IID order.
//
// B's rows are placed, not laid out: each goes to the fuzzy-weighted mean
// of the positions of its placeK nearest rows of A (A's index), exactly as
// rows added to A later are placed. A's points never move, so the overlay
// reads against A's own map; placing 10k rows is a second or so. The price:
// a region of B that A does not cover has no place of its own — it lands on
// the A rows nearest to it. The colour field "distance_to_<A>" (each B row's
// distance to its nearest A row) shows where that happens, and
// POST /v1/compare tests the difference properly.
//
// The placement is cached in memory with A's view and redone when A's
// layout or B's vectors change; B rows whose vectors did not change keep
// their place while A's layout stands.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
)

// OverlayPlacement names how overlaid rows are positioned.
const OverlayPlacement = "neighbors"

// ViewOverlay describes the overlaid dataset in a summary.
type ViewOverlay struct {
	Dataset    string `json:"dataset"`
	Offset     int    `json:"offset"` // the first of its rows; rows before are the view's own
	Count      int    `json:"count"`
	Thumbnails int    `json:"thumbnails"`
	// Placement is "neighbors": each row at the weighted mean of its K
	// nearest rows of the view's own dataset, which do not move.
	Placement string `json:"placement"`
	K         int    `json:"k"`
}

// overlay is dataset B's rows placed in A's layout; it belongs to A's
// viewState and is guarded by its mutex.
type overlay struct {
	dataset string
	uid     string
	aVer    uint64 // A's layout version the rows were placed in
	aGen    uint64
	bSeq    uint64
	iids    []uint64
	hashes  []uint64
	rowOf   map[uint64]int32
	coords  [][2]float32
	nearest []float32 // distance to the nearest row of A (NaN: none)
	ver     uint64
	gen     uint64

	fieldsKey [3]uint64
	fields    []*viewColumn
}

// viewRows is a locked view with its overlay, if any: the rows the page
// addresses.
type viewRows struct {
	vs *viewState
	ov *overlay
}

func (v viewRows) unlock() { v.vs.mu.Unlock() }

func (v viewRows) n() int {
	n := len(v.vs.iids)
	if v.ov != nil {
		n += len(v.ov.iids)
	}
	return n
}

// at returns the dataset and IID of a row (checked by checkRow first).
func (v viewRows) at(row int) (string, uint64) {
	if na := len(v.vs.iids); row >= na {
		return v.ov.dataset, v.ov.iids[row-na]
	}
	return v.vs.dataset, v.vs.iids[row]
}

func (v viewRows) coord(row int) [2]float32 {
	if na := len(v.vs.iids); row >= na {
		return v.ov.coords[row-na]
	}
	return v.vs.coords[row]
}

func (v viewRows) gen() uint64 {
	if v.ov != nil {
		return v.ov.gen
	}
	return v.vs.gen
}

func (v viewRows) layoutInfo() LayoutInfo {
	li := v.vs.layoutInfo()
	if v.ov != nil {
		li.Version = v.ov.ver
	}
	return li
}

func (v viewRows) checkRow(field string, row int) error {
	if n := v.n(); row < 0 || row >= n {
		return engine.FieldErr(engine.ErrInvalid, field, "row %d is out of range [0, %d)", row, n)
	}
	return nil
}

func (v viewRows) checkRows(field string, rows []int, seen map[int]string) error {
	for i, r := range rows {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := v.checkRow(f, r); err != nil {
			return err
		}
		if prev, dup := seen[r]; dup {
			return engine.FieldErr(engine.ErrInvalid, f, "row %d repeats %s", r, prev)
		}
		seen[r] = f
	}
	return nil
}

// viewRows returns the locked view of ref with ref.With's overlay placed;
// the caller must unlock it.
func (e *Viewer) viewRows(ctx context.Context, dataset string, ref ViewRef) (viewRows, error) {
	if ref.With != "" {
		// Check the pair before any layout work on dataset.
		if ref.Space == "" {
			return viewRows{}, engine.FieldErr(engine.ErrInvalid, "space", "is required")
		}
		if err := e.overlayCompatible(dataset, ref.With, ref.Space); err != nil {
			return viewRows{}, err
		}
	}
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return viewRows{}, err
	}
	vr := viewRows{vs: vs}
	if ref.With != "" {
		if vr.ov, err = e.overlayLocked(ctx, vs, ref.With); err != nil {
			vs.mu.Unlock()
			return viewRows{}, err
		}
	}
	return vr, nil
}

// overlayCompatible is the provenance guard of compare (sameSpace), with
// the error naming the request field ("with") and what differs.
func (e *Viewer) overlayCompatible(a, b, space string) error {
	if a == b {
		return engine.FieldErr(engine.ErrInvalid, "with", "is the view's own dataset %q; name another dataset to overlay", b)
	}
	if err := e.eng.CheckDataset(b); err != nil {
		return engine.FieldErr(engine.ErrNotFound, "with", "dataset %q does not exist", b)
	}
	if _, err := e.eng.Space(b, space); err != nil {
		return engine.FieldErr(engine.ErrNotFound, "with", "dataset %q has no space %q to overlay", b, space)
	}
	if _, err := e.eng.Space(a, space); err != nil {
		return err
	}
	err := e.eng.SameSpace(a, b, space)
	if err == nil {
		return nil
	}
	sa, err1 := e.eng.Space(a, space)
	sb, err2 := e.eng.Space(b, space)
	if err1 != nil || err2 != nil {
		return err
	}
	x, y := sa.Info, sb.Info
	var diffs []string
	add := func(name string, va, vb any) {
		diffs = append(diffs, fmt.Sprintf("%s (%v in %q, %v in %q)", name, vb, b, va, a))
	}
	if x.Dim != y.Dim {
		add("dim", x.Dim, y.Dim)
	}
	if x.Metric != y.Metric {
		add("metric", x.Metric, y.Metric)
	}
	if x.Provenance != y.Provenance {
		add("provenance", fmt.Sprintf("%q", x.Provenance), fmt.Sprintf("%q", y.Provenance))
	}
	if x.ModelVersion != y.ModelVersion {
		add("model_version", fmt.Sprintf("%q", x.ModelVersion), fmt.Sprintf("%q", y.ModelVersion))
	}
	return engine.FieldErr(engine.ErrIncompatible, "with", "space %q of dataset %q differs in %s: vectors of different space definitions cannot share a layout",
		space, b, strings.Join(diffs, ", "))
}

// overlayLocked returns B's rows placed in vs's layout, placing them when
// vs's layout or B's data changed; vs is locked.
func (e *Viewer) overlayLocked(ctx context.Context, vs *viewState, with string) (*overlay, error) {
	st, err := e.eng.Space(with, vs.space)
	if err != nil {
		return nil, engine.FieldErr(engine.ErrNotFound, "with", "%v", err)
	}
	info, err := e.eng.DB().Dataset(with)
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	if vs.overlays == nil {
		vs.overlays = map[string]*overlay{}
	}
	ov := vs.overlays[st.DatasetUID]
	if ov == nil {
		ov = &overlay{dataset: with, uid: st.DatasetUID}
		vs.overlays[st.DatasetUID] = ov
	}
	ov.dataset = with // a renamed dataset keeps its uid
	if ov.iids != nil && ov.bSeq == info.Seq && ov.aVer == vs.ver && ov.aGen == vs.gen {
		return ov, nil
	}
	if err := e.placeOverlay(ctx, vs, ov); err != nil {
		return nil, err
	}
	ov.bSeq = info.Seq
	return ov, nil
}

// placeOverlay (re)places B's rows from their nearest rows of A.
func (e *Viewer) placeOverlay(ctx context.Context, vs *viewState, ov *overlay) error {
	spA, err := e.eng.Space(vs.dataset, vs.space)
	if err != nil {
		return err
	}
	idx := spA.Index(vs.level)
	// engine.Rows of B whose vector is unchanged keep their place while A's
	// layout stands.
	reuse := ov.iids != nil && ov.aVer == vs.ver && ov.aGen == vs.gen
	old := map[uint64]int{}
	if reuse {
		for i, id := range ov.iids {
			old[id] = i
		}
	}
	var (
		iids, hashes []uint64
		coords       [][2]float32
		nearest      []float32
		todo         []int // rows of B to place
		neighbors    [][]int32
		distances    [][]float32
		batch        [][]float32
	)
	flush := func() error {
		nb, ds, err := e.searchAnchors(ctx, idx, vs.rowOf, batch)
		if err != nil {
			return err
		}
		neighbors, distances = append(neighbors, nb...), append(distances, ds...)
		batch = batch[:0]
		return nil
	}
	n := 0
	err = e.eng.DB().ScanVectors(ov.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		h := vectorHash(v)
		row := len(iids)
		iids, hashes = append(iids, iid), append(hashes, h)
		if j, ok := old[iid]; ok && ov.hashes[j] == h {
			coords, nearest = append(coords, ov.coords[j]), append(nearest, ov.nearest[j])
			return nil
		}
		coords, nearest = append(coords, [2]float32{}), append(nearest, float32(math.NaN()))
		todo = append(todo, row)
		batch = append(batch, slices.Clone(v))
		if len(batch) == 4096 {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return engine.FromStorage(err)
	}
	if len(todo) > 0 {
		placed := layout.Place(neighbors, distances, vs.coords)
		for j, r := range todo {
			c := placed[j]
			coords[r] = [2]float32{layout.ClampUnit(c[0]), layout.ClampUnit(c[1])}
			if len(distances[j]) > 0 {
				nearest[r] = distances[j][0]
			}
		}
	}
	if iids == nil {
		iids = []uint64{}
	}
	same := slices.Equal(iids, ov.iids) && slices.Equal(hashes, ov.hashes)
	if !same || ov.aGen != vs.gen || ov.gen == 0 {
		ov.gen = e.views.nextVersion()
	}
	ov.iids, ov.hashes, ov.coords, ov.nearest, ov.rowOf = iids, hashes, coords, nearest, rowIndex(iids)
	ov.aVer, ov.aGen, ov.ver = vs.ver, vs.gen, e.views.nextVersion()
	ov.fields = nil
	return nil
}

// searchAnchors finds, for each vector, its placeK nearest rows of a view
// (rowOf) in idx, nearest first, searching in parallel.
func (e *Viewer) searchAnchors(ctx context.Context, idx index.Index, rowOf map[uint64]int32, vecs [][]float32) ([][]int32, [][]float32, error) {
	nb := make([][]int32, len(vecs))
	ds := make([][]float32, len(vecs))
	workers := max(1, min(e.eng.Workers(), len(vecs)))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(vecs); i += workers {
				if ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				hits, err := idx.Search(ctx, vecs[i], placeK+8, index.SearchOptions{Ef: 64})
				if err != nil {
					errs[w] = err
					return
				}
				for _, h := range hits {
					r, ok := rowOf[h.ID]
					if !ok {
						continue
					}
					nb[i], ds[i] = append(nb[i], r), append(ds[i], h.Distance)
					if len(nb[i]) == placeK {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return nb, ds, nil
}

// overlayColumns are the colour fields of A's and B's rows together, plus
// "dataset" (code 0: A, 1: B) and "distance_to_<A>" (B rows' distance to
// their nearest A row); a metadata field named "dataset" is shown as
// "dataset (metadata)".
func (e *Viewer) overlayColumns(ctx context.Context, vr viewRows) ([]*viewColumn, error) {
	vs, ov := vr.vs, vr.ov
	key := [3]uint64{vs.seq, ov.bSeq, ov.ver}
	if ov.fields != nil && ov.fieldsKey == key {
		return ov.fields, nil
	}
	nA, nB := len(vs.iids), len(ov.iids)
	cols, err := e.buildColumns(ctx, vs.level, nA+nB, []fieldSource{
		{dataset: vs.dataset, rowOf: vs.rowOf},
		{dataset: ov.dataset, rowOf: ov.rowOf, offset: nA},
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if c.field.Name == "dataset" {
			c.field.Name = "dataset (metadata)"
		}
	}
	ds := &viewColumn{field: ViewField{Name: "dataset", Kind: "category", Count: nA + nB,
		Categories: []ViewCategory{{Value: vs.dataset, Count: nA}, {Value: ov.dataset, Count: nB}}},
		codes: make([]uint16, nA+nB)}
	for i := nA; i < nA+nB; i++ {
		ds.codes[i] = 1
	}
	out := []*viewColumn{ds}
	dist := &viewColumn{field: ViewField{Name: "distance_to_" + vs.dataset, Kind: "number"}, nums: make([]float32, nA+nB)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range nA {
		dist.nums[i] = float32(math.NaN())
	}
	for j, d := range ov.nearest {
		dist.nums[nA+j] = d
		if d == d {
			dist.field.Count++
			lo, hi = min(lo, float64(d)), max(hi, float64(d))
		}
	}
	if dist.field.Count > 0 {
		dist.field.Min, dist.field.Max = &lo, &hi
		out = append(out, dist)
	}
	out = append(out, cols...)
	ov.fields, ov.fieldsKey = out, key
	return out, nil
}
