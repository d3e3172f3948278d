package storage

import (
	"fmt"
	"strings"
	"testing"
)

func TestScrollPoints(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	var pts []Point
	for _, id := range []string{"b", "d", "a", "c", "e"} {
		pts = append(pts, Point{ID: id, Metadata: []byte(`{"k":"` + id + `"}`), Vectors: map[string][]float32{"s": {1, float32(id[0])}}})
	}
	if _, _, err := db.Upsert("ds", pts, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, after string
		spaces      []string
		keep        func(p *Point) (bool, error)
		limit       int
		want        string
		end         bool
	}{
		{"all", "", nil, nil, 10, "a b c d e", true},
		{"first page", "", nil, nil, 2, "a b", false},
		{"after an id", "b", nil, nil, 2, "c d", false},
		{"last page ends", "c", nil, nil, 2, "d e", true},
		{"after a missing id", "bb", nil, nil, 10, "c d e", true},
		{"after the last", "e", nil, nil, 10, "", true},
		{"kept only", "", []string{"s"}, func(p *Point) (bool, error) { return p.ID != "c", nil }, 3, "a b d", false},
		{"vectors", "d", []string{"s"}, nil, 10, "e", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			end, err := db.ScrollPoints("ds", Scroll{After: tc.after, Spaces: tc.spaces, Keep: tc.keep, Emit: func(p *Point) bool {
				got = append(got, p.ID)
				if (len(p.Vectors["s"]) == 2) != (len(tc.spaces) > 0) {
					t.Errorf("%s: vectors %v with spaces %v", p.ID, p.Vectors, tc.spaces)
				}
				return len(got) == tc.limit
			}})
			if err != nil || strings.Join(got, " ") != tc.want || end != tc.end {
				t.Errorf("got %q end %v err %v, want %q end %v", strings.Join(got, " "), end, err, tc.want, tc.end)
			}
		})
	}
	errStop := fmt.Errorf("stop")
	if _, err := db.ScrollPoints("ds", Scroll{Keep: func(*Point) (bool, error) { return false, errStop }, Emit: func(*Point) bool { return false }}); err != errStop {
		t.Errorf("a Keep error: %v", err)
	}
	if _, err := db.ScrollPoints("nope", Scroll{Emit: func(*Point) bool { return false }}); err == nil {
		t.Error("unknown dataset scrolled")
	}
}
