package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reef-ml/reef/storage"
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
func (e *Engine) ViewTag(ctx context.Context, dataset string, req ViewTagRequest) (ViewTagResult, error) {
	tag := strings.TrimSpace(req.Tag)
	switch {
	case tag == "":
		return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "is empty")
	case len(tag) > maxTagLen:
		return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "is %d bytes, limit %d", len(tag), maxTagLen)
	case len(req.Rows) == 0:
		return ViewTagResult{}, fieldErr(ErrInvalid, "rows", "is empty")
	case len(req.Rows) > maxViewRows:
		return ViewTagResult{}, fieldErr(ErrTooLarge, "rows", "%d rows, limit %d per request", len(req.Rows), maxViewRows)
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f {
			return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "holds a control character")
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
		info, err := e.db.Dataset(dataset)
		if err != nil {
			return out, fromStorage(err)
		}
		out.Seq = info.Seq
	}
	return out, nil
}

// tagPoints writes the tag on the points of iids; it returns the dataset's
// sequence after the last write (0 if nothing was written).
func (e *Engine) tagPoints(ctx context.Context, dataset string, iids []uint64, tag string, remove bool, out *ViewTagResult) (uint64, error) {
	res, err := e.db.Resolve(dataset, iids)
	if err != nil {
		return 0, fromStorage(err)
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range res {
		if r.PointID != "" && !seen[r.PointID] {
			seen[r.PointID] = true
			ids = append(ids, r.PointID)
		}
	}
	var seq uint64
	var batch []PointInput
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		wr, err := e.write(ctx, dataset, batch, true)
		if err != nil {
			return err
		}
		seq, batch = wr.Seq, batch[:0]
		return nil
	}
	for _, id := range ids {
		p, err := e.db.Point(dataset, id)
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted meanwhile
			}
			return seq, fromStorage(err)
		}
		meta, changed, err := withTag(p.Metadata, tag, remove)
		if err != nil {
			return seq, fieldErr(ErrInvalid, "rows", "point %q of %q: %v", id, dataset, err)
		}
		if !changed {
			out.Skipped++
			continue
		}
		batch = append(batch, PointInput{ID: id, Metadata: meta})
		out.Points++
		if len(batch) == e.opts.Limits.MaxBatch {
			if err := flush(); err != nil {
				return seq, err
			}
		}
	}
	return seq, flush()
}

// withTag adds or removes tag in metadata["tags"], keeping key order of the
// rest; a non-list "tags" value becomes a list holding it.
func withTag(raw json.RawMessage, tag string, remove bool) (json.RawMessage, bool, error) {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, false, fmt.Errorf("metadata is not a JSON object: %v", err)
		}
	}
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
		return raw, false, nil
	case remove:
		tags = slices.DeleteFunc(tags, func(s string) bool { return s == tag })
	default:
		tags = append(tags, tag)
	}
	if len(tags) == 0 {
		delete(m, "tags")
	} else {
		b, _ := json.Marshal(tags)
		m["tags"] = b
	}
	b, err := json.Marshal(m)
	return b, true, err
}
