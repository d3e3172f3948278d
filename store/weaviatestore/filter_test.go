package weaviatestore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/weaviate"
)

func TestTranslateFilter(t *testing.T) {
	props := map[string]string{"m_split": "text", "m_score": "number", "m_ok": "boolean"}
	for _, tc := range []struct {
		name    string
		filter  engine.Filter
		want    string
		missing bool
		err     error
	}{
		{"eq text", engine.Filter{"metadata.split": "test"}, fmt.Sprint(weaviate.Eq("m_split", "test")), false, nil},
		{"range", engine.Filter{"metadata.score": map[string]any{"$gte": 0.5}}, fmt.Sprint(weaviate.Cond{Property: "m_score", Op: weaviate.OpGreaterEqual, Value: 0.5}), false, nil},
		{"number against text never matches", engine.Filter{"metadata.split": 3.0}, fmt.Sprint(never()), false, nil},
		{"missing field", engine.Filter{"metadata.nosuch": "x"}, fmt.Sprint(never()), true, nil},
		{"$ne on a missing field holds", engine.Filter{"metadata.nosuch": map[string]any{"$ne": "x"}}, fmt.Sprint(always()), true, nil},
		{"in", engine.Filter{"metadata.split": []any{"a", "b"}}, fmt.Sprint(weaviate.AnyOf("m_split", "a", "b")), false, nil},
		{"not", engine.Filter{"$not": map[string]any{"metadata.ok": true}}, fmt.Sprint(weaviate.Not(weaviate.Filter{weaviate.Eq("m_ok", true)})), false, nil},
		{"nested key refused", engine.Filter{"metadata.a.b": "x"}, "", false, storage.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := engine.ParseFilter(tc.filter, storage.LevelPoint)
			if err != nil {
				t.Fatal(err)
			}
			tr := translator{props: props, missing: map[string]bool{}}
			c, err := tr.node(tree)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(c); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if len(tr.missing) > 0 != tc.missing {
				t.Fatalf("missing = %v", tr.missing)
			}
		})
	}
}

func TestIIDOfIsStableAndNonZero(t *testing.T) {
	seen := map[uint64]string{}
	for i := range 10000 {
		id := fmt.Sprintf("p%d", i)
		iid := iidOf(id)
		if iid == 0 || iid != iidOf(id) {
			t.Fatalf("iid of %s = %d", id, iid)
		}
		if other, dup := seen[iid]; dup {
			t.Fatalf("%s and %s share iid %d", id, other, iid)
		}
		seen[iid] = id
	}
}
