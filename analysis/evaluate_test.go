package analysis

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func box(x, y, w, h float32) [4]float32 { return [4]float32{x, y, w, h} }

func TestIoUByHand(t *testing.T) {
	tests := []struct {
		a, b [4]float32
		want float64
	}{
		{box(0, 0, 10, 10), box(0, 0, 10, 10), 1},
		{box(0, 0, 10, 10), box(5, 0, 10, 10), 50.0 / 150},
		{box(0, 0, 10, 10), box(10, 0, 10, 10), 0},
		{box(0, 0, 10, 10), box(2, 2, 5, 5), 25.0 / 100},
		{box(0, 0, 0, 0), box(0, 0, 0, 0), 0},
	}
	for _, tc := range tests {
		if got := IoU(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("IoU(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestMatchDetectionsOutcomes(t *testing.T) {
	cat := func(id string, b [4]float32) Object { return Object{ID: id, Class: "cat", BBox: b} }
	inf := func(id, class string, b [4]float32, s float64) Object {
		return Object{ID: id, Class: class, BBox: b, Score: s}
	}
	tests := []struct {
		name       string
		labels     []Object
		infs       []Object
		wantLabels []Outcome
		wantInfs   []Outcome
		wantMatch  []int // inference -> label
	}{
		{"exact hit", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "cat", box(1, 0, 10, 10), 0.9)},
			[]Outcome{TruePositive}, []Outcome{TruePositive}, []int{0}},
		{"missed and spurious", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "cat", box(50, 50, 10, 10), 0.9)},
			[]Outcome{Missed}, []Outcome{Spurious}, []int{-1}},
		{"class confusion", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "dog", box(0, 0, 10, 10), 0.9)},
			[]Outcome{ClassConfusion}, []Outcome{ClassConfusion}, []int{0}},
		{"localisation", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "cat", box(6, 0, 10, 10), 0.9)}, // IoU 40/160 = 0.25
			[]Outcome{Localisation}, []Outcome{Localisation}, []int{0}},
		{"duplicate: higher score wins", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "cat", box(0, 0, 10, 10), 0.3), inf("p1", "cat", box(1, 1, 10, 10), 0.8)},
			[]Outcome{TruePositive}, []Outcome{Duplicate, TruePositive}, []int{0, 0}},
		{"greedy by score takes the best IoU", []Object{cat("l0", box(0, 0, 10, 10)), cat("l1", box(4, 0, 10, 10))},
			// p0 (score .9) overlaps l0 0.67 and l1 0.82; it takes l1, p1 then gets l0.
			[]Object{inf("p0", "cat", box(3, 0, 10, 10), 0.9), inf("p1", "cat", box(0, 0, 10, 10), 0.5)},
			[]Outcome{TruePositive, TruePositive}, []Outcome{TruePositive, TruePositive}, []int{1, 0}},
		{"class-aware: a dog box does not steal the cat", []Object{cat("l0", box(0, 0, 10, 10))},
			[]Object{inf("p0", "dog", box(0, 0, 10, 10), 0.99), inf("p1", "cat", box(0, 1, 10, 10), 0.2)},
			[]Outcome{TruePositive}, []Outcome{Spurious, TruePositive}, []int{-1, 0}},
		{"no inferences", []Object{cat("l0", box(0, 0, 10, 10))}, nil,
			[]Outcome{Missed}, []Outcome{}, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := MatchDetections(tc.labels, tc.infs, DetectionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.wantLabels {
				if ev.Labels[i].Outcome != want {
					t.Errorf("label %d: %v, want %v", i, ev.Labels[i].Outcome, want)
				}
			}
			for j, want := range tc.wantInfs {
				got := ev.Inferences[j]
				if got.Outcome != want || got.Match != tc.wantMatch[j] {
					t.Errorf("inference %d: %v match %d, want %v match %d", j, got.Outcome, got.Match, want, tc.wantMatch[j])
				}
				if got.Match >= 0 && (got.MatchID != tc.labels[got.Match].ID || got.IoU != IoU(tc.infs[j].BBox, tc.labels[got.Match].BBox)) {
					t.Errorf("inference %d: match id %q iou %v inconsistent", j, got.MatchID, got.IoU)
				}
			}
			c := ev.Counts
			if c.TP+c.FalseNegatives() != len(tc.labels) || c.TP+c.FalsePositives() != len(tc.infs) {
				t.Errorf("counts %+v do not add up to %d labels, %d inferences", c, len(tc.labels), len(tc.infs))
			}
		})
	}
}

func TestMatchDetectionsValidates(t *testing.T) {
	_, err := MatchDetections([]Object{{BBox: box(0, 0, -1, 2)}}, []Object{{BBox: box(float32(math.NaN()), 0, 1, 1), Score: math.Inf(1)}},
		DetectionOptions{IoUThreshold: 0.3, LocalisationIoU: 0.4})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("err %v", err)
	}
	if _, err := MatchDetections([]Object{{BBox: box(0, 0, -1, 2)}}, []Object{{BBox: box(float32(math.NaN()), 0, 1, 1), Score: math.Inf(1)}}, DetectionOptions{}); err == nil ||
		strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("want three problems reported at once, got %v", err)
	}
}

func TestEvaluateDetectionsSummary(t *testing.T) {
	c := func(class string, b [4]float32, s float64) Object { return Object{Class: class, BBox: b, Score: s} }
	labels := [][]Object{
		{c("cat", box(0, 0, 10, 10), 0), c("dog", box(20, 0, 10, 10), 0)},
		{c("cat", box(0, 0, 10, 10), 0)},
	}
	infs := [][]Object{
		{c("cat", box(0, 0, 10, 10), 0.9), c("cat", box(20, 0, 10, 10), 0.8)},   // TP cat, dog confused as cat
		{c("cat", box(50, 50, 10, 10), 0.95), c("cat", box(0, 0, 10, 10), 0.4)}, // spurious 0.95, TP 0.4
	}
	r, err := EvaluateDetections(labels, infs, DetectionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{TP: 2, Spurious: 1, ClassConfusion: 1}
	if r.Summary.Counts != want {
		t.Fatalf("counts %+v want %+v", r.Summary.Counts, want)
	}
	var cat, dog ClassMetrics
	for _, m := range r.Summary.PerClass {
		switch m.Class {
		case "cat":
			cat = m
		case "dog":
			dog = m
		}
	}
	// cat: ranked 0.95 F, 0.9 T, 0.8 F, 0.4 T over 2 labels: precision
	// envelope 0.5 up to recall 1, so AP = 0.5.
	if cat.TP != 2 || cat.Inferences != 4 || cat.Precision != 0.5 || cat.Recall != 1 || math.Abs(cat.AP-0.5) > 1e-12 {
		t.Errorf("cat %+v", cat)
	}
	if dog.Labels != 1 || dog.TP != 0 || dog.AP != 0 {
		t.Errorf("dog %+v", dog)
	}
	if math.Abs(r.Summary.MeanAP-0.25) > 1e-12 {
		t.Errorf("mean AP %v", r.Summary.MeanAP)
	}
	cm := r.Summary.Confusion
	if !slices.Equal(cm.Classes, []string{"cat", "dog", Background}) {
		t.Fatalf("classes %v", cm.Classes)
	}
	wantCells := [][]int{{2, 0, 0}, {1, 0, 0}, {1, 0, 0}}
	for i := range wantCells {
		if !slices.Equal(cm.Cells[i], wantCells[i]) {
			t.Errorf("confusion row %s %v want %v", cm.Classes[i], cm.Cells[i], wantCells[i])
		}
	}
	b, _ := json.Marshal(r.Datapoints[0].Inferences[1])
	if string(b) != `{"outcome":"class_confusion","match":1,"iou":1}` {
		t.Errorf("json %s", b)
	}
}

func TestEvaluateClassificationAndCompare(t *testing.T) {
	labels := []string{"a", "a", "b", "b", ""}
	predA := []string{"a", "b", "b", "b", "a"}
	predB := []string{"a", "a", "a", "", "b"}
	conf := []float64{0.9, 0.8, 0.7, 0.6, 0.5}
	ra, err := EvaluateClassification(labels, predA, conf)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Accuracy != 0.75 || ra.Counts.TP != 3 || ra.Counts.ClassConfusion != 1 || ra.Points[4].Outcome != OutcomeNone {
		t.Fatalf("A: %+v", ra)
	}
	// class a: predicted a at 0.9 (hit) only, 2 labels -> AP = 51/101.
	if m := ra.PerClass[0]; m.Class != "a" || m.Precision != 1 || m.Recall != 0.5 || math.Abs(m.AP-51.0/101) > 1e-12 {
		t.Errorf("class a %+v", m)
	}
	rb, err := EvaluateClassification(labels, predB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Counts.Missed != 1 || rb.Accuracy != 0.5 || rb.MeanAP != 0 {
		t.Fatalf("B: %+v", rb.Counts)
	}
	d, err := CompareClassifications(ra, rb)
	if err != nil {
		t.Fatal(err)
	}
	if d.Both != 1 || d.OnlyA != 2 || d.OnlyB != 1 || d.Neither != 0 || len(d.Datapoints) != 3 {
		t.Fatalf("diff %+v", d)
	}
	if math.Abs(d.PValue-1) > 1e-12 { // 2 vs 1 discordant: 2·P(X<=1 | n=3) = 1
		t.Errorf("McNemar p %v", d.PValue)
	}
	if _, err := EvaluateClassification(labels, predA[:2], []float64{math.NaN()}); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
}

func TestCompareDetections(t *testing.T) {
	l := Object{Class: "cat", BBox: box(0, 0, 10, 10)}
	labels := make([][]Object, 12)
	good, bad := make([][]Object, 12), make([][]Object, 12)
	for d := range labels {
		labels[d] = []Object{l}
		good[d] = []Object{{Class: "cat", BBox: box(0, 0, 10, 10), Score: 1}}
		bad[d] = []Object{{Class: "cat", BBox: box(40, 40, 10, 10), Score: 1}}
	}
	bad[0] = good[0]
	ra, _ := EvaluateDetections(labels, good, DetectionOptions{})
	rb, _ := EvaluateDetections(labels, bad, DetectionOptions{})
	d, err := CompareDetections(ra, rb)
	if err != nil {
		t.Fatal(err)
	}
	if d.OnlyA != 11 || d.OnlyB != 0 || d.Both != 1 || len(d.Datapoints) != 11 || d.Datapoints[0].FalsePositivesB != 1 {
		t.Fatalf("diff %+v", d)
	}
	if want := 2 * math.Pow(0.5, 11); math.Abs(d.PValue-want) > 1e-12 {
		t.Errorf("McNemar p %v want %v", d.PValue, want)
	}
}

func TestBinomialUpperAndBH(t *testing.T) {
	tests := []struct {
		k, n int
		p    float64
	}{{0, 5, 0.3}, {1, 5, 0.3}, {3, 10, 0.5}, {7, 20, 0.1}, {40, 100, 0.3}, {900, 1000, 0.88}}
	for _, tc := range tests {
		var want float64
		for x := tc.k; x <= tc.n; x++ {
			lc, _ := math.Lgamma(float64(tc.n + 1))
			la, _ := math.Lgamma(float64(x + 1))
			lb, _ := math.Lgamma(float64(tc.n - x + 1))
			want += math.Exp(lc - la - lb + float64(x)*math.Log(tc.p) + float64(tc.n-x)*math.Log1p(-tc.p))
		}
		if got := BinomialUpper(tc.k, tc.n, tc.p); math.Abs(got-want) > 1e-10*max(1, want) {
			t.Errorf("P(X>=%d | %d, %v) = %v want %v", tc.k, tc.n, tc.p, got, want)
		}
	}
	q := BenjaminiHochberg([]float64{0.01, 0.04, 0.03, 0.5})
	// Sorted 0.01, 0.03, 0.04, 0.5 give raw 0.04, 0.06, 0.0533, 0.5; the
	// running minimum from the top makes the second 0.0533.
	want := []float64{0.04, 0.16 / 3, 0.16 / 3, 0.5}
	for i := range q {
		if math.Abs(q[i]-want[i]) > 1e-12 {
			t.Errorf("q %v want %v", q, want)
			break
		}
	}
}

// BenchmarkEvaluateDetections: 10,000 datapoints with 8 labels and 16
// inferences each (jittered copies of the labels plus spurious boxes).
func BenchmarkEvaluateDetections(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels, infs := make([][]Object, 10000), make([][]Object, 10000)
	for d := range labels {
		for range 8 {
			l := Object{Class: string(rune('a' + rng.IntN(5))), BBox: box(rng.Float32()*500, rng.Float32()*500, 20+rng.Float32()*80, 20+rng.Float32()*80)}
			labels[d] = append(labels[d], l)
			j := l
			j.BBox[0] += rng.Float32() * 10
			j.Score = rng.Float64()
			infs[d] = append(infs[d], j)
			s := Object{Class: l.Class, BBox: box(rng.Float32()*500, rng.Float32()*500, 30, 30), Score: rng.Float64()}
			infs[d] = append(infs[d], s)
		}
	}
	for b.Loop() {
		if _, err := EvaluateDetections(labels, infs, DetectionOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(labels))*float64(b.N)/b.Elapsed().Seconds(), "datapoints/s")
}
