package view

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
)

// seedClusters writes n points in three well-separated Gaussian clusters
// with metadata {"label": "c<k>", "score": float, "split": ...}.
func seedClusters(t testing.TB, e *testEnv, n, dim int) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: dim, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([]engine.PointInput, n)
	for i := range pts {
		k := i % 3
		pts[i] = engine.PointInput{ID: fmt.Sprintf("p%04d", i), Vectors: map[string][]float32{"emb": clusterVec(r, k, dim)},
			Metadata: json.RawMessage(fmt.Sprintf(`{"label":"c%d","score":%g,"split":"%s","nested":{"a":%d}}`, k, float64(i)/7, []string{"train", "test"}[i%2], i%2))}
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
}

func clusterVec(r *rand.Rand, k, dim int) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(r.NormFloat64() * 0.3)
	}
	v[k] += 10
	return v
}

var ref = ViewRef{Space: "emb"}

func TestViewEncodings(t *testing.T) {
	coords := [][2]float32{{0, 0}, {-1, 1}, {0.5, -0.25}}
	b := EncodeViewPoints(coords)
	if len(b) != 16+8*3 || string(b[:8]) != "REEFVIEW" {
		t.Fatalf("points.bin header: % x", b[:16])
	}
	if b[8] != 1 || b[12] != 3 {
		t.Fatalf("version/count bytes: % x", b[8:16])
	}
	got, err := DecodeViewPoints(b)
	if err != nil || !slices.Equal(got, coords) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range [][]byte{nil, []byte("NOTAVIEW\x01\x00\x00\x00\x00\x00\x00\x00"), b[:len(b)-1]} {
		if _, err := DecodeViewPoints(bad); !errors.Is(err, engine.ErrInvalid) {
			t.Fatalf("bad points.bin accepted: %v", err)
		}
	}
	cat := EncodeColor(ViewColor{Field: ViewField{Kind: "category"}, Codes: []uint16{0, MissingCategory, 2}})
	if !bytes.Equal(cat, []byte{0, 0, 0xff, 0xff, 2, 0}) {
		t.Fatalf("category column: % x", cat)
	}
	num := EncodeColor(ViewColor{Field: ViewField{Kind: "number"}, Values: []float32{1.5, float32(math.NaN())}})
	if len(num) != 8 || math.Float32frombits(uint32(num[0])|uint32(num[1])<<8|uint32(num[2])<<16|uint32(num[3])<<24) != 1.5 {
		t.Fatalf("number column: % x", num)
	}
}

func TestViewLayoutCachedAndStale(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	e := openEngine(t, dir)
	seedClusters(t, e, 300, 8)
	sum, err := e.View(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count != 300 || sum.Layout.Method != LayoutPCA || sum.Layout.State != LayoutReady {
		t.Fatalf("summary: %+v", sum)
	}
	coords, li, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range coords {
		if c[0] < -1 || c[0] > 1 || c[1] < -1 || c[1] > 1 {
			t.Fatalf("coords[%d] = %v outside [-1,1]", i, c)
		}
	}
	// PCA separates the three clusters.
	labels := make([]int, len(coords))
	for i := range labels {
		labels[i] = i % 3
	}
	if a := layout.NeighborAgreement2D(coords, labels, 10); a < 0.95 {
		t.Fatalf("PCA neighbour agreement %.3f", a)
	}
	sh, err := e.Space("ds", "emb")
	if err != nil {
		t.Fatal(err)
	}
	uid := sh.DatasetUID
	path := filepath.Join(dir, "layouts", uid, "emb.point.layout")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("layout not persisted: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened: the persisted layout is reused as it is.
	e = openEngine(t, dir)
	again, li2, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if li2.Version != li.Version || !slices.Equal(again, coords) {
		t.Fatalf("layout not reused after reopen: version %d→%d", li.Version, li2.Version)
	}
	e.Close()

	// A corrupt file is detected and the layout recomputed.
	raw, _ := os.ReadFile(path)
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(path, raw, 0o644)
	e = openEngine(t, dir)
	defer e.Close()
	_, li3, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if li3.Version == li.Version {
		t.Fatal("corrupt layout file was used")
	}
	if _, err := readLayoutFile(path); err != nil {
		t.Fatalf("recomputed layout not rewritten: %v", err)
	}
}

func TestViewIncrementalPlacement(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	before, li, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	centroid := func(coords [][2]float32, k int) [2]float32 {
		var c [2]float32
		for i := k; i < 300; i += 3 {
			c[0] += coords[i][0] / 100
			c[1] += coords[i][1] / 100
		}
		return c
	}
	// Ten new points of cluster 1; ids sort after the old ones, IIDs too.
	r := rand.New(rand.NewPCG(9, 9))
	var add []engine.PointInput
	for i := range 10 {
		add = append(add, engine.PointInput{ID: fmt.Sprintf("q%02d", i), Vectors: map[string][]float32{"emb": clusterVec(r, 1, 8)}})
	}
	if _, err := e.Upsert(ctx, "ds", add); err != nil {
		t.Fatal(err)
	}
	after, li2, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 310 || li2.Placed != 10 || li2.Method != LayoutPCA || li2.Version == li.Version {
		t.Fatalf("after adding: %d rows, %+v", len(after), li2)
	}
	if !slices.Equal(after[:300], before) {
		t.Fatal("existing coordinates moved when points were added")
	}
	c1 := centroid(before, 1)
	for i, c := range after[300:] {
		d := math.Hypot(float64(c[0]-c1[0]), float64(c[1]-c1[1]))
		for k := range 3 {
			ck := centroid(before, k)
			if k != 1 && math.Hypot(float64(c[0]-ck[0]), float64(c[1]-ck[1])) < d {
				t.Fatalf("new point %d placed at %v, nearer cluster %d than its own", i, c, k)
			}
		}
	}
	// Deleting a point drops its row; the others keep their coordinates.
	if _, err := e.DeletePoints(ctx, "ds", []string{"p0000"}); err != nil {
		t.Fatal(err)
	}
	del, _, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(del) != 309 || !slices.Equal(del, after[1:]) {
		t.Fatal("deleting a point moved others")
	}
	// A metadata-only change (a tag) keeps every coordinate.
	if _, err := e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{0, 1}, Tag: "x"}); err != nil {
		t.Fatal(err)
	}
	tagged, li3, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tagged, del) || li3.Placed != 10 {
		t.Fatalf("tagging moved points (%+v)", li3)
	}
	// A changed vector is placed again (moved to its new cluster).
	if _, err := e.Upsert(ctx, "ds", []engine.PointInput{{ID: "p0003", Vectors: map[string][]float32{"emb": clusterVec(r, 2, 8)}}}); err != nil {
		t.Fatal(err)
	}
	moved, li4, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if li4.Placed != 11 || moved[2] == del[2] {
		t.Fatalf("changed vector not re-placed: %+v %v→%v", li4, del[2], moved[2])
	}
	for i := range moved {
		if i != 2 && moved[i] != del[i] {
			t.Fatalf("row %d moved when another vector changed", i)
		}
	}
	// A re-layout lays everything out afresh.
	sum, err := e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ref, Method: LayoutPCA})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout.Placed != 0 || sum.Count != 309 {
		t.Fatalf("re-layout: %+v", sum.Layout)
	}
	mustCheck(t, e)
}

func TestViewUMAP(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	sum, err := e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ref, Method: LayoutUMAP})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout.State != LayoutComputing || sum.Layout.Method != LayoutPCA {
		t.Fatalf("UMAP should compute in the background, showing PCA meanwhile: %+v", sum.Layout)
	}
	e.waitViewJobs()
	sum, err = e.View(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout.Method != LayoutUMAP || sum.Layout.State != LayoutReady {
		t.Fatalf("after UMAP: %+v", sum.Layout)
	}
	coords, _, _ := e.ViewPoints(ctx, "ds", ref)
	labels := make([]int, len(coords))
	for i := range labels {
		labels[i] = i % 3
	}
	if a := layout.NeighborAgreement2D(coords, labels, 10); a < 0.95 {
		t.Fatalf("UMAP neighbour agreement %.3f", a)
	}
}

func TestViewFields(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	sum, err := e.View(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ViewField{}
	for _, f := range sum.Fields {
		byName[f.Name] = f
	}
	if f := byName["label"]; f.Kind != "category" || len(f.Categories) != 3 || f.Categories[0].Count != 100 {
		t.Fatalf("label field: %+v", f)
	}
	if f := byName["score"]; f.Kind != "number" || *f.Min != 0 || math.Abs(*f.Max-299.0/7) > 1e-9 {
		t.Fatalf("score field: %+v", f)
	}
	if f := byName["nested.a"]; f.Kind != "category" || len(f.Categories) != 2 {
		t.Fatalf("nested field: %+v (fields %v)", f, sum.Fields)
	}
	col, err := e.ViewColor(ctx, "ds", ref, "label")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range col.Codes {
		if col.Field.Categories[c].Value != fmt.Sprintf("c%d", i%3) {
			t.Fatalf("row %d coded %d", i, c)
		}
	}
	if _, err := e.ViewColor(ctx, "ds", ref, "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("unknown field: %v", err)
	}

	// Object level: object.class and object.kind, plus the point's metadata.
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "obj", Dim: 2, Metric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	var pts []engine.PointInput
	for i := range 20 {
		pts = append(pts, engine.PointInput{ID: fmt.Sprintf("img%d", i), Metadata: json.RawMessage(`{"camera":"a"}`), Objects: []engine.ObjectInput{
			{ID: "o1", Kind: engine.KindLabel, Class: []string{"cat", "dog"}[i%2], BBox: [4]float32{1, 2, 3, 4}, Vectors: map[string][]float32{"obj": {1, float32(i)}}},
		}})
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
	osum, err := e.View(ctx, "ds", ViewRef{Space: "obj", Level: "object"})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range osum.Fields {
		names[f.Name] = true
	}
	if osum.Count != 20 || !names["object.class"] || !names["object.kind"] || !names["camera"] {
		t.Fatalf("object view: %+v", osum)
	}
	h, err := e.ViewRow(ctx, "ds", ViewRef{Space: "obj", Level: "object"}, 3)
	if err != nil || h.ObjectID != "o1" || h.Class == "" || h.BBox == nil {
		t.Fatalf("object row: %+v %v", h, err)
	}
}

func TestViewTag(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 30, 4)
	res, err := e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{0, 1, 2}, Tag: "suspicious"})
	if err != nil || res.Points != 3 {
		t.Fatalf("tag: %+v %v", res, err)
	}
	res, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{0, 3}, Tag: "suspicious"})
	if err != nil || res.Points != 1 || res.Skipped != 1 {
		t.Fatalf("re-tag: %+v %v", res, err)
	}
	p, err := e.Point(ctx, "ds", "p0000")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	json.Unmarshal(p.Metadata, &meta)
	if tags, _ := meta["tags"].([]any); len(tags) != 1 || tags[0] != "suspicious" || meta["label"] != "c0" {
		t.Fatalf("metadata after tagging: %s", p.Metadata)
	}
	if len(p.Vectors["emb"]) != 4 {
		t.Fatal("tagging lost the vector")
	}
	sum, _ := e.View(ctx, "ds", ref)
	found := false
	for _, f := range sum.Fields {
		if f.Name == "tags" && f.Kind == "category" && f.Categories[0].Value == "suspicious" && f.Categories[0].Count == 4 {
			found = true
		}
	}
	if !found {
		t.Fatalf("tags field missing: %+v", sum.Fields)
	}
	res, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{0}, Tag: "suspicious", Remove: true})
	if err != nil || res.Points != 1 {
		t.Fatalf("untag: %+v %v", res, err)
	}
	p, _ = e.Point(ctx, "ds", "p0000")
	if bytes.Contains(p.Metadata, []byte("tags")) {
		t.Fatalf("tag not removed: %s", p.Metadata)
	}
	mustCheck(t, e)
}

func TestViewNeighborsAndSimilar(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	nb, err := e.ViewNeighbors(ctx, "ds", ref, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	if nb.Query == nil || nb.Query.Row != 4 || len(nb.Hits) != 10 {
		t.Fatalf("neighbours: %+v", nb)
	}
	for _, h := range nb.Hits {
		if h.Row == 4 || h.Row%3 != 1 || h.Distance == nil {
			t.Fatalf("neighbour %+v of row 4 (cluster 1)", h)
		}
	}
	sim, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: []int{0, 3, 6}, Negative: []int{1}, K: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.Hits) != 20 {
		t.Fatalf("similar: %d hits", len(sim.Hits))
	}
	for _, h := range sim.Hits {
		if h.Row%3 != 0 || h.Row == 0 || h.Row == 3 || h.Row == 6 {
			t.Fatalf("similar hit %+v", h)
		}
	}
	q, err := analysis.RocchioVector(analysis.MultiQuery{Positives: [][]float32{{1, 0}, {0, 1}}, Negatives: [][]float32{{1, 1}}, Metric: index.Cosine})
	if err != nil || math.Abs(float64(q[0]-q[1])) > 1e-6 || math.Abs(math.Hypot(float64(q[0]), float64(q[1]))-1) > 1e-6 {
		t.Fatalf("Rocchio query %v", q)
	}
}

func TestViewValidation(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 30, 4)
	check := func(name string, err error, sentinel error, field string) {
		t.Helper()
		var fe *engine.FieldError
		if !errors.Is(err, sentinel) || (field != "" && (!errors.As(err, &fe) || fe.Field != field)) {
			t.Errorf("%s: got %v, want %v on field %q", name, err, sentinel, field)
		}
	}
	_, err := e.View(ctx, "ds", ViewRef{})
	check("no space", err, engine.ErrInvalid, "space")
	_, err = e.View(ctx, "ds", ViewRef{Space: "emb", Level: "box"})
	check("bad level", err, engine.ErrInvalid, "level")
	_, err = e.View(ctx, "nope", ref)
	check("no dataset", err, engine.ErrNotFound, "")
	_, err = e.View(ctx, "ds", ViewRef{Space: "nope"})
	check("no space", err, engine.ErrNotFound, "")
	_, err = e.ViewRow(ctx, "ds", ref, 30)
	check("row out of range", err, engine.ErrInvalid, "row")
	_, err = e.ViewRow(ctx, "ds", ref, -1)
	check("negative row", err, engine.ErrInvalid, "row")
	_, err = e.ViewNeighbors(ctx, "ds", ref, 0, 5000)
	check("k too large", err, engine.ErrInvalid, "k")
	_, err = e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref})
	check("no positives", err, engine.ErrInvalid, "positive")
	_, err = e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: []int{1, 99}})
	check("bad positive", err, engine.ErrInvalid, "positive[1]")
	_, err = e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: []int{1}, Negative: []int{1}})
	check("row both ways", err, engine.ErrInvalid, "negative[0]")
	_, err = e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ref, Method: "tsne"})
	check("bad method", err, engine.ErrInvalid, "method")
	_, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{1}, Tag: " "})
	check("empty tag", err, engine.ErrInvalid, "tag")
	_, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{1}, Tag: "a\x01"})
	check("control tag", err, engine.ErrInvalid, "tag")
	_, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Tag: "a"})
	check("no rows", err, engine.ErrInvalid, "rows")
	_, err = e.ViewTag(ctx, "ds", ViewTagRequest{ViewRef: ref, Rows: []int{40}, Tag: "a"})
	check("bad row", err, engine.ErrInvalid, "rows[0]")
	_, err = e.ViewSetCoords(ctx, "ds", ViewCoordsInput{ViewRef: ref, IDs: []string{"p0000"}, Coords: [][]float32{{0, 0}, {1, 1}}})
	check("coords count", err, engine.ErrInvalid, "coords")
	_, err = e.ViewSetCoords(ctx, "ds", ViewCoordsInput{ViewRef: ref, IDs: []string{"p0000"}, Coords: [][]float32{{float32(math.NaN()), 0}}})
	check("NaN coords", err, engine.ErrInvalid, "coords[0][0]")
	_, err = e.ViewSetCoords(ctx, "ds", ViewCoordsInput{ViewRef: ref, IDs: []string{"zzz"}, Coords: [][]float32{{0, 0}}})
	check("unknown id", err, engine.ErrNotFound, "ids[0]")
	_, err = e.ViewColor(ctx, "ds", ref, "")
	check("no field", err, engine.ErrInvalid, "field")
}

func TestViewSetCoords(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 30, 4)
	var ids []string
	var xy [][]float32
	for i := range 29 { // p0029 is left out and placed from its neighbours
		ids = append(ids, fmt.Sprintf("p%04d", i))
		xy = append(xy, []float32{float32(i % 3 * 100), float32(i)})
	}
	sum, err := e.ViewSetCoords(ctx, "ds", ViewCoordsInput{ViewRef: ref, IDs: ids, Coords: xy})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout.Method != LayoutUser || sum.Layout.Placed != 1 {
		t.Fatalf("user layout: %+v", sum.Layout)
	}
	coords, _, _ := e.ViewPoints(ctx, "ds", ref)
	if coords[0][0] >= coords[1][0] || coords[1][0] >= coords[2][0] {
		t.Fatalf("user coordinates not kept in order: %v", coords[:3])
	}
	// p0029 is cluster 2: x near the cluster-2 rows.
	if math.Abs(float64(coords[29][0]-coords[2][0])) > 0.05 {
		t.Fatalf("left-out row placed at %v, its cluster at x=%v", coords[29], coords[2][0])
	}
}

// BenchmarkViewLayoutFashionMNIST70k times the full view layout of
// Fashion-MNIST train+t10k (70,000 × 784): k-NN graph (k=15) and UMAP.
// REEF_HEAVY=1 only.
func BenchmarkViewLayoutFashionMNIST70k(b *testing.B) {
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
	if _, err := e.CreateDataset(ctx, "ds"); err != nil {
		b.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: 784, Metric: "l2"}); err != nil {
		b.Fatal(err)
	}
	var labels []int
	for _, split := range []string{"train", "t10k"} {
		set, err := fashionmnist.Load(fashionmnist.DefaultDir, split)
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < len(set.Images); start += 5000 {
			var pts []engine.PointInput
			for i := start; i < min(start+5000, len(set.Images)); i++ {
				pts = append(pts, engine.PointInput{ID: fmt.Sprintf("%s-%05d", split, i), Vectors: map[string][]float32{"emb": set.Images[i]}})
				labels = append(labels, int(set.Labels[i]))
			}
			if _, err := e.Upsert(ctx, "ds", pts); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Point ids sort split-wise as inserted, so IID order = label order above.
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := e.ViewRelayout(ctx, "ds", ViewLayoutRequest{ViewRef: ref, Method: LayoutUMAP}); err != nil {
			b.Fatal(err)
		}
		e.waitViewJobs()
		b.ReportMetric(time.Since(start).Seconds(), "s/layout")
		e.und.ForgetGraphs() // measure the k-NN graph every time
		os.RemoveAll(filepath.Join(e.DataDir(), "graphs"))
	}
	coords, li, _ := e.ViewPoints(ctx, "ds", ref)
	b.ReportMetric(layout.NeighborAgreement2D(coords, labels, 10), "agreement@10")
	b.Logf("method %s, %d rows", li.Method, len(coords))
}

// TestViewAfterReopen uses every row-indexed view call on a layout that was
// loaded from its file rather than computed, as after a server restart.
func TestViewAfterReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, dir)
	seedClusters(t, e, 300, 8)
	_, li, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	wantCol, err := e.ViewColor(ctx, "ds", ref, "label")
	if err != nil {
		t.Fatal(err)
	}
	wantNb, err := e.ViewNeighbors(ctx, "ds", ref, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openEngine(t, dir)
	defer e.Close()
	_, li2, err := e.ViewPoints(ctx, "ds", ref)
	if err != nil {
		t.Fatal(err)
	}
	if li2.Version != li.Version {
		t.Fatalf("layout recomputed after reopen (version %d→%d); the test needs the file-loaded path", li.Version, li2.Version)
	}
	col, err := e.ViewColor(ctx, "ds", ref, "label")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(col, wantCol) {
		t.Fatalf("colours after reopen differ:\n got %+v\nwant %+v", col, wantCol)
	}
	nb, err := e.ViewNeighbors(ctx, "ds", ref, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Hits) != len(wantNb.Hits) {
		t.Fatalf("neighbours after reopen: %d hits, want %d", len(nb.Hits), len(wantNb.Hits))
	}
	for i, h := range nb.Hits {
		if h.Row != wantNb.Hits[i].Row {
			t.Fatalf("neighbour %d after reopen: row %d, want %d", i, h.Row, wantNb.Hits[i].Row)
		}
	}
}
