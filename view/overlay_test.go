package view

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/layout"
)

// seedOther writes n points of the three clusters into dataset name, space
// emb with the given definition.
func seedOther(t *testing.T, e *testEnv, name string, spec engine.SpaceSpec, n int, seed uint64) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, name, spec); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 9))
	pts := make([]engine.PointInput, n)
	for i := range pts {
		k := i % 3
		pts[i] = engine.PointInput{ID: fmt.Sprintf("b%04d", i), Vectors: map[string][]float32{"emb": clusterVec(r, k, spec.Dim)},
			Metadata: json.RawMessage(fmt.Sprintf(`{"label":"c%d","dataset":"meta-%d"}`, k, i%2))}
	}
	if _, err := e.Upsert(ctx, name, pts); err != nil {
		t.Fatal(err)
	}
}

func TestViewOverlay(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	seedOther(t, e, "test", engine.SpaceSpec{Name: "emb", Dim: 8, Metric: "l2"}, 90, 7)
	own, liA, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	ov := ViewRef{Space: "emb", With: "test"}
	sum, err := e.View(ctx, "ds", ov)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count != 390 || sum.Overlay == nil || sum.Overlay.Dataset != "test" || sum.Overlay.Offset != 300 || sum.Overlay.Count != 90 ||
		sum.Overlay.Placement != OverlayPlacement || !strings.Contains(sum.URLs["points"], "&with=test") {
		t.Fatalf("overlay summary: %+v %+v", sum, sum.Overlay)
	}
	// One layout: A's rows exactly where A's own view has them, B's after.
	coords, li, err := e.ViewPoints(ctx, "ds", ov)
	if err != nil {
		t.Fatal(err)
	}
	if len(coords) != 390 {
		t.Fatalf("%d coordinates for 300 + 90 rows", len(coords))
	}
	for i := range own {
		if coords[i] != own[i] {
			t.Fatalf("row %d of A moved in the overlay: %v → %v", i, own[i], coords[i])
		}
	}
	if li.Method != liA.Method || li.Version == liA.Version {
		t.Fatalf("overlay layout info %+v vs A's %+v", li, liA)
	}
	// B's rows land in their own cluster of A: the 10 nearest points in
	// 2-D of each B row (among all 390) share its label.
	labels := make([]int, 390)
	for i := range labels {
		if i < 300 {
			labels[i] = i % 3
		} else {
			labels[i] = (i - 300) % 3
		}
	}
	if a := layout.NeighborAgreement2D(coords, labels, 10); a < 0.95 {
		t.Fatalf("label agreement of the joint layout %.3f", a)
	}
	// Colour by dataset: two categories with their counts, A first.
	var fields []string
	for _, f := range sum.Fields {
		fields = append(fields, f.Name)
	}
	col, err := e.ViewColor(ctx, "ds", ov, "dataset")
	if err != nil {
		t.Fatal(err)
	}
	cats := col.Field.Categories
	if len(cats) != 2 || cats[0] != (ViewCategory{"ds", 300}) || cats[1] != (ViewCategory{"test", 90}) || len(col.Codes) != 390 ||
		col.Codes[0] != 0 || col.Codes[299] != 0 || col.Codes[300] != 1 || col.Codes[389] != 1 {
		t.Fatalf("dataset colour: %+v (fields %v)", col.Field, fields)
	}
	// The metadata field named "dataset" is kept under another name; label
	// spans both datasets.
	lab, err := e.ViewColor(ctx, "ds", ov, "label")
	if err != nil || lab.Field.Count != 390 || lab.Codes[300] != lab.Codes[0] {
		t.Fatalf("label over both: %+v %v", lab.Field, err)
	}
	if _, err := e.ViewColor(ctx, "ds", ov, "dataset (metadata)"); err != nil {
		t.Fatalf("metadata field dataset: %v (fields %v)", err, fields)
	}
	dist, err := e.ViewColor(ctx, "ds", ov, "distance_to_ds")
	if err != nil || dist.Field.Count != 90 || !math.IsNaN(float64(dist.Values[0])) || !(dist.Values[300] >= 0) {
		t.Fatalf("distance field: %+v %v", dist.Field, err)
	}
	// Without the overlay there is no dataset field.
	if _, err := e.ViewColor(ctx, "ds", ref, "dataset"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("dataset field without an overlay: %v", err)
	}

	// A B row: its own metadata, and neighbours from both datasets.
	h, err := e.ViewRow(ctx, "ds", ov, 301)
	if err != nil || h.Dataset != "test" || h.ID != "b0001" || h.X != coords[301][0] {
		t.Fatalf("row 301: %+v %v", h, err)
	}
	if a, err := e.ViewRow(ctx, "ds", ov, 1); err != nil || a.Dataset != "ds" || a.ID != "p0001" {
		t.Fatalf("row 1: %+v %v", a, err)
	}
	nb, err := e.ViewNeighbors(ctx, "ds", ov, 301, 20)
	if err != nil {
		t.Fatal(err)
	}
	fromA, fromB := 0, 0
	for i, hit := range nb.Hits {
		if hit.Row == 301 || labels[hit.Row] != 1 || (hit.Row >= 300) != (hit.Dataset == "test") {
			t.Fatalf("neighbour %+v of row 301", hit)
		}
		if i > 0 && *hit.Distance < *nb.Hits[i-1].Distance {
			t.Fatal("neighbours not nearest first")
		}
		if hit.Row < 300 {
			fromA++
		} else {
			fromB++
		}
	}
	if nb.Query == nil || nb.Query.ID != "b0001" || fromA == 0 || fromB == 0 || nb.Generation != sum.Generation {
		t.Fatalf("neighbours of a B row: query %+v, %d from A, %d from B", nb.Query, fromA, fromB)
	}
	// Similar from rows of both datasets; a tag lands in each one's points.
	sim, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ov, Positive: []int{0, 300}, K: 30})
	if err != nil || len(sim.Hits) != 30 {
		t.Fatalf("similar: %v %v", sim, err)
	}
	for _, hit := range sim.Hits {
		if labels[hit.Row] != 0 {
			t.Fatalf("similar hit %+v", hit)
		}
	}
	tr, err := e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ov, Rows: []int{0, 300, 303}, Tag: "look"})
	if err != nil || tr.Points != 3 || tr.WithSeq == 0 {
		t.Fatalf("tag: %+v %v", tr, err)
	}
	if p, _ := e.DB().Point("test", "b0003"); !strings.Contains(string(p.Metadata), "look") {
		t.Fatalf("B point not tagged: %s", p.Metadata)
	}

	// Placement is cached until B changes; then B's new row is placed and
	// A still does not move.
	sum2, _ := e.View(ctx, "ds", ov)
	if sum2.Generation != sum.Generation {
		t.Fatal("generation changed without a row change")
	}
	r := rand.New(rand.NewPCG(1, 2))
	if _, err := e.Upsert(ctx, "test", []engine.PointInput{{ID: "b9999", Vectors: map[string][]float32{"emb": clusterVec(r, 2, 8)}}}); err != nil {
		t.Fatal(err)
	}
	again, li3, err := e.ViewPoints(ctx, "ds", ov)
	if err != nil || len(again) != 391 || li3.Version == li.Version {
		t.Fatalf("after a B upsert: %d coords, %v", len(again), err)
	}
	for i := range 390 {
		if again[i] != coords[i] {
			t.Fatalf("row %d moved when B gained a row", i)
		}
	}
	if h, _ := e.ViewRow(ctx, "ds", ov, 390); h.ID != "b9999" {
		t.Fatalf("new B row: %+v", h)
	}
	// A re-layout moves B along with A.
	if _, err := e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ov, Method: LayoutUMAP}); err != nil {
		t.Fatal(err)
	}
	e.waitViewJobs()
	after, li4, err := e.ViewPoints(ctx, "ds", ov)
	if err != nil || li4.Method != LayoutUMAP || len(after) != 391 {
		t.Fatalf("after UMAP: %+v %v", li4, err)
	}
	labels = append(labels, 2)
	if a := layout.NeighborAgreement2D(after, labels, 10); a < 0.95 {
		t.Fatalf("label agreement after UMAP %.3f", a)
	}
}

func TestViewOverlayGuard(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 30, 8)
	seedOther(t, e, "dim", engine.SpaceSpec{Name: "emb", Dim: 4, Metric: "l2"}, 6, 1)
	seedOther(t, e, "metric", engine.SpaceSpec{Name: "emb", Dim: 8, Metric: "cosine"}, 6, 1)
	seedOther(t, e, "model", engine.SpaceSpec{Name: "emb", Dim: 8, Metric: "l2", Provenance: "model:other"}, 6, 1)
	seedOther(t, e, "version", engine.SpaceSpec{Name: "emb", Dim: 8, Metric: "l2", ModelVersion: "2"}, 6, 1)
	if _, err := e.CreateDataset(ctx, "nospace"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		with, want string
		sentinel   error
	}{
		{"dim", "dim (4 in \"dim\", 8 in \"ds\")", engine.ErrIncompatible},
		{"metric", "metric (cosine in \"metric\", l2 in \"ds\")", engine.ErrIncompatible},
		{"model", "provenance", engine.ErrIncompatible},
		{"version", "model_version", engine.ErrIncompatible},
		{"ds", "own dataset", engine.ErrInvalid},
		{"nope", "does not exist", engine.ErrNotFound},
		{"nospace", "has no space", engine.ErrNotFound},
	} {
		for _, call := range []func() error{
			func() error { _, err := e.View(ctx, "ds", ViewRef{Space: "emb", With: c.with}); return err },
			func() error { _, _, err := e.ViewPoints(ctx, "ds", ViewRef{Space: "emb", With: c.with}); return err },
			func() error {
				_, err := e.ViewNeighbors(ctx, "ds", ViewRef{Space: "emb", With: c.with}, 0, 5)
				return err
			},
			func() error {
				_, err := e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ViewRef{Space: "emb", With: c.with}, Method: LayoutPCA})
				return err
			},
		} {
			err := call()
			var fe *engine.FieldError
			if !errors.Is(err, c.sentinel) || !errors.As(err, &fe) || fe.Field != "with" || !strings.Contains(fe.Msg, c.want) {
				t.Fatalf("with %q: %v, want %v naming %q", c.with, err, c.sentinel, c.want)
			}
		}
	}
	// Coordinates are set on one dataset only.
	_, err := e.ViewSetCoords(ctx, "ds", ViewCoordsInput{ViewRef: ViewRef{Space: "emb", With: "version"}, IDs: []string{"p0000"}, Coords: [][]float32{{0, 0}}})
	var fe *engine.FieldError
	if !errors.As(err, &fe) || fe.Field != "with" {
		t.Fatalf("coords with an overlay: %v", err)
	}
	// Row numbers past A's are B's only with the overlay.
	if _, err := e.ViewRow(ctx, "ds", ref, 30); !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("row past A without overlay: %v", err)
	}
}

// BenchmarkViewOverlayFashionMNIST places Fashion-MNIST t10k (784-d pixels)
// over the layout of train (60k): the cost of opening a train-vs-test
// overlay once A's layout exists (PCA here; placement does not depend on
// how A was laid out), and how well test rows land among train rows of
// their own class (10-NN label agreement in 2-D, test rows against train
// rows only).
func BenchmarkViewOverlayFashionMNIST(b *testing.B) {
	if os.Getenv("REEF_HEAVY") == "" {
		b.Skip("set REEF_HEAVY=1")
	}
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		b.Skip("dataset-fashion-mnist not installed")
	}
	ctx := context.Background()
	e, err := Open(ctx, testOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	labels := map[string][]int{}
	for ds, split := range map[string]string{"train": "train", "test": "t10k"} {
		set, err := fashionmnist.Load(fashionmnist.DefaultDir, split)
		if err != nil {
			b.Fatal(err)
		}
		e.CreateDataset(ctx, ds)
		if _, err := e.CreateSpace(ctx, ds, engine.SpaceSpec{Name: "emb", Dim: 784, Metric: "l2"}); err != nil {
			b.Fatal(err)
		}
		for start := 0; start < len(set.Images); start += 5000 {
			var pts []engine.PointInput
			for i := start; i < min(start+5000, len(set.Images)); i++ {
				pts = append(pts, engine.PointInput{ID: fmt.Sprintf("%05d", i), Vectors: map[string][]float32{"emb": set.Images[i]}})
				labels[ds] = append(labels[ds], int(set.Labels[i]))
			}
			if _, err := e.Upsert(ctx, ds, pts); err != nil {
				b.Fatal(err)
			}
		}
	}
	own := ViewRef{Space: "emb"}
	method := LayoutPCA
	if os.Getenv("REEF_OVERLAY_UMAP") != "" {
		method = LayoutUMAP
	}
	if _, err := e.ViewRelayout(ctx, "train", ViewLayoutRequest{ViewRef: own, Method: method}); err != nil {
		b.Fatal(err)
	}
	e.waitViewJobs()
	if _, _, err := e.ViewPoints(ctx, "train", own); err != nil {
		b.Fatal(err)
	}
	ov := ViewRef{Space: "emb", With: "test"}
	var coords [][2]float32
	for b.Loop() {
		e.views.mu.Lock() // measure the placement every time
		for _, vs := range e.views.views {
			vs.mu.Lock()
			vs.overlays = nil
			vs.mu.Unlock()
		}
		e.views.mu.Unlock()
		start := time.Now()
		if coords, _, err = e.ViewPoints(ctx, "train", ov); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/overlay")
	}
	nA := len(labels["train"])
	trainLabel := func(row int) int { return labels["train"][row] }
	rowLabel := func(row int) int {
		if row < nA {
			return trainLabel(row)
		}
		return labels["test"][row-nA]
	}
	// agreement: for every 10th row in [lo, hi), the share of its 10 nearest
	// train rows in 2-D (itself excluded) with its label.
	agreement := func(lo, hi int) float64 {
		agree, total := 0, 0
		for i := lo; i < hi; i += 10 {
			type nd struct {
				d   float32
				row int
			}
			best := make([]nd, 0, 11)
			for j := 0; j < nA; j++ {
				if j == i {
					continue
				}
				dx, dy := coords[i][0]-coords[j][0], coords[i][1]-coords[j][1]
				d := dx*dx + dy*dy
				if len(best) < 10 || d < best[len(best)-1].d {
					k := len(best)
					best = append(best, nd{d, j})
					for k > 0 && best[k-1].d > d {
						best[k], best[k-1] = best[k-1], best[k]
						k--
					}
					best = best[:min(len(best), 10)]
				}
			}
			for _, n := range best {
				total++
				if trainLabel(n.row) == rowLabel(i) {
					agree++
				}
			}
		}
		return float64(agree) / float64(total)
	}
	b.ReportMetric(agreement(nA, len(coords)), "test-vs-train-agreement@10")
	b.ReportMetric(agreement(0, nA), "train-vs-train-agreement@10")
	b.Logf("layout %s", method)
}
