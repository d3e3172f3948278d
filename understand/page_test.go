package understand

import (
	"errors"
	"testing"

	"github.com/reef-ml/reef/engine"
)

func TestPageCursorRoundTrip(t *testing.T) {
	tests := []struct {
		limit, n, seq int
		windows       [][2]int
	}{
		{limit: 10, n: 25, seq: 7, windows: [][2]int{{0, 10}, {10, 20}, {20, 25}}},
		{limit: 50, n: 50, seq: 1, windows: [][2]int{{0, 50}}},
		{limit: 3, n: 0, seq: 1, windows: [][2]int{{0, 0}}},
	}
	for _, tt := range tests {
		cursor := ""
		for i, want := range tt.windows {
			pg, err := parsePage(tt.limit, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			if err := pg.check(uint64(tt.seq)); err != nil {
				t.Fatal(err)
			}
			lo, hi := pg.window(tt.n)
			if lo != want[0] || hi != want[1] {
				t.Fatalf("%+v page %d: [%d, %d), want %v", tt, i, lo, hi, want)
			}
			cursor = pg.next(hi, tt.n, uint64(tt.seq))
			if (cursor == "") != (i == len(tt.windows)-1) {
				t.Fatalf("%+v page %d: cursor %q", tt, i, cursor)
			}
		}
	}
	pg, _ := parsePage(10, "", 100)
	c := pg.next(10, 30, 5)
	pg, _ = parsePage(10, c, 100)
	if err := pg.check(6); !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("stale cursor accepted: %v", err)
	}
	for _, bad := range []string{"!!", "MTA", "LTE6Mw", "eDp5"} { // "10", "-1:3", "x:y"
		if _, err := parsePage(10, bad, 100); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("cursor %q accepted: %v", bad, err)
		}
	}
	if _, err := parsePage(101, "", 100); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("limit above the maximum accepted")
	}
}

// FuzzParsePage: no cursor string panics, and every accepted one gives a
// window inside the ranking.
func FuzzParsePage(f *testing.F) {
	pg, _ := parsePage(10, "", 100)
	f.Add(pg.next(10, 30, 5), 30)
	f.Add("", 0)
	f.Add("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OjE", 5)
	f.Fuzz(func(t *testing.T, cursor string, n int) {
		if n < 0 || n > 1<<20 {
			return
		}
		p, err := parsePage(10, cursor, 100)
		if err != nil {
			return
		}
		lo, hi := p.window(n)
		if lo < 0 || hi < lo || hi > n || hi-lo > 10 {
			t.Fatalf("cursor %q, n %d: window [%d, %d)", cursor, n, lo, hi)
		}
	})
}
