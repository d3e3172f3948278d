package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/reef-ml/reef/storage"
)

// Scroll limits: a page is small enough to answer in one request and a
// cursor is the last id of the previous page, so it never grows stale.
const (
	DefaultScrollLimit = 100
	MaxScrollLimit     = 1000
)

// ScrollRequest asks for one page of points in id order.
type ScrollRequest struct {
	Filter  Filter // metadata filter at point level; nil: every point
	Cursor  string // next_cursor of the previous page; empty: the first page
	Limit   int    // points a page; 0: DefaultScrollLimit
	Vectors bool   // include every space's vectors
}

// ScrollResult is one page. NextCursor is empty on the last page.
type ScrollResult struct {
	Points     []PointView `json:"points"`
	NextCursor string      `json:"next_cursor"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// ScrollPoints returns the points after the cursor that match the filter,
// in id order. Pages read consistent snapshots one at a time: a point written
// between pages is seen when its id sorts after the cursor. Field warnings
// come only from a walk that saw the whole dataset (a first page that reached
// the end), since only that walk can say no point has a field.
func (e *Engine) ScrollPoints(ctx context.Context, dataset string, req ScrollRequest) (ScrollResult, error) {
	after, err := decodeCursor(req.Cursor)
	if err != nil {
		return ScrollResult{}, err
	}
	if req.Limit == 0 {
		req.Limit = DefaultScrollLimit
	}
	if req.Limit < 1 || req.Limit > MaxScrollLimit {
		return ScrollResult{}, fieldErr(ErrInvalid, "limit", "must be 1 to %d, got %d", MaxScrollLimit, req.Limit)
	}
	var cf *compiledFilter
	if len(req.Filter) > 0 {
		if cf, err = compileFilter(req.Filter, storage.LevelPoint); err != nil {
			return ScrollResult{}, err
		}
	}
	info, err := e.Dataset(ctx, dataset)
	if err != nil {
		return ScrollResult{}, err
	}
	var spaces []string
	if req.Vectors {
		for _, sp := range info.Spaces {
			spaces = append(spaces, sp.Name)
		}
	}
	res := ScrollResult{Points: []PointView{}}
	seen := map[string]bool{}
	var last string
	end, err := e.db.ScrollPoints(dataset, storage.Scroll{
		After:  after,
		Spaces: spaces,
		Keep: func(p *storage.Point) (bool, error) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if cf == nil {
				return true, nil
			}
			return scrollMatch(cf, p, seen)
		},
		Emit: func(p *storage.Point) bool {
			v := pointView(p)
			if !req.Vectors {
				v.Vectors = nil
				for i := range v.Objects {
					v.Objects[i].Vectors = nil
				}
			}
			res.Points = append(res.Points, v)
			last = p.ID
			return len(res.Points) == req.Limit
		},
	})
	if err != nil {
		return ScrollResult{}, fromStorage(err)
	}
	if !end {
		res.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	if cf != nil && end && after == "" {
		res.Warnings = fieldWarnings(cf, seen)
	}
	return res, nil
}

// scrollMatch evaluates a point-level filter and records the fields seen.
func scrollMatch(cf *compiledFilter, p *storage.Point, seen map[string]bool) (bool, error) {
	x := fctx{}
	if len(p.Metadata) > 0 {
		if err := json.Unmarshal(p.Metadata, &x.meta); err != nil {
			return false, fmt.Errorf("%w: metadata of %q: %v", storage.ErrCorrupt, p.ID, err)
		}
	}
	for _, n := range cf.fields {
		if !n.object && !seen[n.field] {
			_, seen[n.field] = lookup(x.meta, n.path)
		}
	}
	return cf.root.match(x), nil
}

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	id, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(id) == 0 {
		return "", fieldErr(ErrInvalid, "cursor", "is not a cursor this server returned")
	}
	return string(id), nil
}
