package view

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/reef-ml/reef/engine"
)

// ViewTagRequest adds (or removes) a tag on the points of rows (at object
// level, the points the objects belong to; with an overlay, in the dataset
// each row belongs to).
type ViewTagRequest struct {
	ViewRef
	Rows   []int  `json:"rows"`
	Tag    string `json:"tag"`
	Remove bool   `json:"remove,omitempty"`
}

// ViewTagResult acknowledges a tag write.
type ViewTagResult struct {
	Points  int    `json:"points"`  // points whose tags changed
	Skipped int    `json:"skipped"` // points that already had (or lacked) the tag
	Seq     uint64 `json:"seq"`
	WithSeq uint64 `json:"with_seq,omitempty"` // the overlaid dataset's, when its points were tagged
}

// ViewTag writes the tag into metadata "tags" (a list of strings) with a
// merge upsert: vectors, objects and other metadata stay as they are.
func (e *Viewer) ViewTag(ctx context.Context, dataset string, req ViewTagRequest) (ViewTagResult, error) {
	tag := strings.TrimSpace(req.Tag)
	switch {
	case tag == "":
		return ViewTagResult{}, engine.FieldErr(engine.ErrInvalid, "tag", "is empty")
	case len(tag) > maxTagLen:
		return ViewTagResult{}, engine.FieldErr(engine.ErrInvalid, "tag", "is %d bytes, limit %d", len(tag), maxTagLen)
	case len(req.Rows) == 0:
		return ViewTagResult{}, engine.FieldErr(engine.ErrInvalid, "rows", "is empty")
	case len(req.Rows) > maxViewRows:
		return ViewTagResult{}, engine.FieldErr(engine.ErrTooLarge, "rows", "%d rows, limit %d per request", len(req.Rows), maxViewRows)
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f {
			return ViewTagResult{}, engine.FieldErr(engine.ErrInvalid, "tag", "holds a control character")
		}
	}
	vr, err := e.viewRows(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewTagResult{}, err
	}
	byDS := map[string][]uint64{}
	for i, r := range req.Rows {
		if err := vr.checkRow(fmt.Sprintf("rows[%d]", i), r); err != nil {
			vr.unlock()
			return ViewTagResult{}, err
		}
		ds, iid := vr.at(r)
		byDS[ds] = append(byDS[ds], iid)
	}
	vr.unlock() // the writes below change the datasets; do not hold the view
	out := ViewTagResult{}
	for _, ds := range []string{dataset, req.With} {
		if len(byDS[ds]) == 0 {
			continue
		}
		seq, err := e.tagPoints(ctx, ds, byDS[ds], tag, req.Remove, &out)
		if err != nil {
			return out, err
		}
		if ds == dataset {
			out.Seq = seq
		} else {
			out.WithSeq = seq
		}
	}
	if out.Seq == 0 {
		info, err := e.eng.DB().Dataset(dataset)
		if err != nil {
			return out, engine.FromStorage(err)
		}
		out.Seq = info.Seq
	}
	return out, nil
}

// tagPoints writes the tag on the points of iids in one metadata update (the
// tags are read and written inside the write transaction, so concurrent
// tags and metadata updates are never lost); it returns the dataset's
// sequence after the write (0 if nothing changed).
func (e *Viewer) tagPoints(ctx context.Context, dataset string, iids []uint64, tag string, remove bool, out *ViewTagResult) (uint64, error) {
	res, err := e.eng.DB().Resolve(dataset, iids)
	if err != nil {
		return 0, engine.FromStorage(err)
	}
	ids := []string{}
	seen := map[string]bool{}
	for _, r := range res {
		if r.PointID != "" && !seen[r.PointID] {
			seen[r.PointID] = true
			ids = append(ids, r.PointID)
		}
	}
	var tagErr error
	mr, err := e.eng.UpdateMetadata(ctx, dataset, engine.MetadataUpdate{IDs: ids, SkipMissing: true,
		Edit: func(id string, m map[string]json.RawMessage) (bool, error) {
			changed, err := withTag(m, tag, remove)
			if err != nil {
				tagErr = engine.FieldErr(engine.ErrInvalid, "rows", "point %q of %q: %v", id, dataset, err)
			}
			return changed, err
		}})
	if tagErr != nil {
		return 0, tagErr
	}
	if err != nil {
		return 0, err
	}
	out.Points += mr.Changed
	out.Skipped += mr.Matched - mr.Changed
	return mr.Seq, nil
}

// withTag adds or removes tag in m["tags"]; a non-list "tags" value becomes
// a list holding it.
func withTag(m map[string]json.RawMessage, tag string, remove bool) (bool, error) {
	var tags []string
	if t, ok := m["tags"]; ok && string(t) != "null" {
		if err := json.Unmarshal(t, &tags); err != nil {
			var v any
			json.Unmarshal(t, &v)
			tags = []string{fmt.Sprint(v)}
		}
	}
	has := slices.Contains(tags, tag)
	switch {
	case remove && !has, !remove && has:
		return false, nil
	case remove:
		tags = slices.DeleteFunc(tags, func(s string) bool { return s == tag })
	default:
		tags = append(tags, tag)
	}
	if len(tags) == 0 {
		delete(m, "tags")
	} else {
		b, err := json.Marshal(tags)
		if err != nil {
			return false, err
		}
		m["tags"] = b
	}
	return true, nil
}
