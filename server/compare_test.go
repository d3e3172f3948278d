package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// twoSets stores "ca" with three clusters of 100 and "cb" with 150 of the
// first two clusters and none of the third, in space "s".
func twoSets(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	for ds, sizes := range map[string][3]int{"ca": {100, 100, 100}, "cb": {150, 150, 0}} {
		ts.eng.CreateDataset(ctx, ds)
		if _, err := ts.eng.CreateSpace(ctx, ds, engine.SpaceSpec{Name: "s", Dim: 8, Metric: "l2"}); err != nil {
			t.Fatal(err)
		}
		var pts []engine.PointInput
		for c, n := range sizes {
			for i := range n {
				v := make([]float32, 8)
				for j := range v {
					v[j] = float32(r.NormFloat64())
				}
				v[c] += 10
				pts = append(pts, engine.PointInput{ID: fmt.Sprintf("%s-%d-%d", ds, c, i), Vectors: map[string][]float32{"s": v},
					Metadata: []byte(fmt.Sprintf(`{"cls":"c%d"}`, c))})
			}
		}
		if _, err := ts.eng.Upsert(ctx, ds, pts); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompareAlphaGroupsAndDrivers(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	twoSets(t, ts)
	type answer struct {
		Significant bool
		Alpha       float64
		PValue      float64 `json:"p_value"`
		Drivers     []string
		Groups      []map[string]any
	}
	var loose, strict answer
	ts.call("POST", "/v1/compare", map[string]any{"space": "s", "a": "ca", "b": "cb", "group_by": "cls", "permutations": 200}, &loose)
	ts.call("POST", "/v1/compare", map[string]any{"space": "s", "a": "ca", "b": "cb", "group_by": "cls", "permutations": 200, "alpha": 1e-6}, &strict)
	// 200 permutations cannot give p below 1/201: the strict level refuses.
	if !loose.Significant || loose.Alpha != 0.05 || strict.Significant || strict.PValue != loose.PValue {
		t.Errorf("significant %v at alpha %v and %v at 1e-6 (p %v, %v)", loose.Significant, loose.Alpha, strict.Significant, loose.PValue, strict.PValue)
	}
	if len(loose.Groups) != 3 || loose.Groups[0]["group"] == nil || loose.Groups[0]["count_a"] == nil || loose.Groups[0]["driver"] == nil {
		t.Fatalf("groups not snake_case: %v", loose.Groups)
	}
	// c2 vanished: it drives the change; c0 and c1 only rise as its complement.
	if len(loose.Drivers) != 1 || loose.Drivers[0] != "c2" {
		t.Errorf("drivers %v, want [c2]", loose.Drivers)
	}
	var e errBody
	if code := ts.call("POST", "/v1/compare", map[string]any{"space": "s", "a": "ca", "b": "cb", "group_by": "nosuch"}, &e); code != 400 || e.Error.Field != "group_by" {
		t.Errorf("unknown group_by: %d %+v", code, e.Error)
	}
	if code := ts.call("POST", "/v1/compare", map[string]any{"space": "s", "a": "ca", "b": "cb", "alpha": 1.5}, &e); code != 400 || e.Error.Field != "alpha" {
		t.Errorf("alpha 1.5: %d %+v", code, e.Error)
	}
}
