package understand

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/reef-ml/reef/engine"
)

// A cursor pages through a ranking that is recomputed for each request:
// it holds the next rank and the vector sequence the ranking was computed
// on, so a page of a ranking over other vectors is refused rather than
// silently skipping or repeating rows.

type page struct {
	limit, offset int
	seq           uint64
	hasSeq        bool
}

func parsePage(limit int, cursor string, maxLimit int) (page, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 0 || limit > maxLimit {
		return page{}, engine.FieldErr(engine.ErrInvalid, "limit", "must be between 1 and %d (page with cursor for more)", maxLimit)
	}
	p := page{limit: limit}
	if cursor == "" {
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	off, seq, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		return page{}, engine.FieldErr(engine.ErrInvalid, "cursor", "is not a cursor this server issued")
	}
	o, err1 := strconv.Atoi(off)
	s, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil || o < 0 {
		return page{}, engine.FieldErr(engine.ErrInvalid, "cursor", "is not a cursor this server issued")
	}
	p.offset, p.seq, p.hasSeq = o, s, true
	return p, nil
}

// check refuses a cursor issued for another version of the vectors.
func (p page) check(seq uint64) error {
	if p.hasSeq && p.seq != seq {
		return engine.FieldErr(engine.ErrInvalid, "cursor", "the vectors changed since this cursor was issued; start again without it")
	}
	return nil
}

// window is the [lo, hi) slice of a ranking of n rows this page shows.
func (p page) window(n int) (int, int) {
	lo := min(p.offset, n)
	return lo, min(lo+p.limit, n)
}

// next is the cursor of the page after hi, or "" at the end.
func (p page) next(hi, n int, seq uint64) string {
	if hi >= n {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", hi, seq))
}
