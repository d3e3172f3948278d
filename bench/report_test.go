package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

func curve(src, backend string, threads int, pts ...[3]float64) []Row {
	var rows []Row
	for _, p := range pts {
		rows = append(rows, Row{Source: src, Backend: backend, M: 16, EfConstruction: 200, K: 10,
			Threads: threads, Ef: int(p[0]), Recall: p[1], QPS: p[2]})
	}
	return rows
}

func TestAtRecall(t *testing.T) {
	// Out of ef order on purpose: AtRecall must sort by ef.
	rows := curve("reef", "hnsw", 1, [3]float64{40, 0.95, 1000}, [3]float64{10, 0.80, 4000}, [3]float64{20, 0.90, 2000}, [3]float64{80, 0.99, 500})
	rep := &Report{Rows: rows}
	for _, c := range []struct {
		target  float64
		reached bool
		ef      int
		qps     float64
	}{
		{0.70, true, 10, 4000},                      // first row already reaches: no interpolation
		{0.90, true, 20, 2000},                      // exact hit
		{0.85, true, 20, math.Sqrt(4000 * 2000)},    // halfway, log-linear
		{0.97, true, 80, 1000 * math.Pow(0.5, 0.5)}, // halfway between 1000 and 500
		{0.995, false, 0, 0},                        // never reached
	} {
		p := rep.AtRecall(c.target)
		if len(p) != 1 {
			t.Fatalf("%d points", len(p))
		}
		if p[0].Reached != c.reached || p[0].Row.Ef != c.ef || math.Abs(p[0].QPS-c.qps) > 1e-6 {
			t.Errorf("target %v: got reached=%v ef=%d qps=%v, want %v %d %v", c.target, p[0].Reached, p[0].Row.Ef, p[0].QPS, c.reached, c.ef, c.qps)
		}
	}
}

func TestAtRecallNonMonotone(t *testing.T) {
	rep := &Report{Rows: curve("reef", "coder", 1, [3]float64{10, 0.91, 100}, [3]float64{20, 0.89, 90}, [3]float64{40, 0.95, 50})}
	if p := rep.AtRecall(0.90)[0]; p.Row.Ef != 10 {
		t.Errorf("want first reaching ef 10, got %d", p.Row.Ef)
	}
}

func TestMergeAndRatios(t *testing.T) {
	rep := &Report{Rows: curve("reef", "hnsw", 1, [3]float64{10, 0.9, 1000}, [3]float64{20, 0.99, 500})}
	peer := &Report{Rows: curve("", "hnswlib", 1, [3]float64{10, 0.92, 2000}, [3]float64{20, 0.995, 1000})}
	rep.Rows[0].P50Micros, peer.Rows[0].P50Micros = 200, 100
	rep.Merge("hnswlib", peer)
	if len(rep.Rows) != 4 || rep.Rows[2].Source != "hnswlib" {
		t.Fatalf("merge: %+v", rep.Rows)
	}
	var b bytes.Buffer
	if err := rep.WriteRatios(&b, []float64{0.90, 0.99}, "hnswlib"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "0.50x") || !strings.Contains(out, "vs hnswlib") || strings.Count(out, "0.50x") != 2 {
		t.Errorf("ratio table:\n%s", out)
	}
}

func TestJSONRoundTripAndTable(t *testing.T) {
	rep := &Report{Workload: WorkloadInfo{Name: "w", Metric: "l2", N: 3, K: 10}, Machine: CurrentMachine(),
		Rows: curve("reef", "hnsw", 2, [3]float64{10, 0.5, 10})}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(&b)
	if err != nil || got.Workload != rep.Workload || len(got.Rows) != 1 || got.Rows[0] != rep.Rows[0] {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	b.Reset()
	if err := rep.WriteTable(&b); err != nil || !strings.Contains(b.String(), "recall") {
		t.Fatalf("table: %q %v", b.String(), err)
	}
}

func TestSVGWellFormed(t *testing.T) {
	rows := curve("reef", "hnsw", 1, [3]float64{10, 0.8, 5000}, [3]float64{20, 0.93, 3000})
	rows = append(rows, curve("reef", "coder", 1, [3]float64{10, 0.4, 900}, [3]float64{20, 0.5, 700})...)
	rows = append(rows, curve("hnswlib", "hnswlib", 1, [3]float64{10, 0.85, 9000})...)
	rep := &Report{Workload: WorkloadInfo{Name: `a <b> & "c"`, K: 10}, Rows: rows}
	for _, from := range []float64{0, 0.9} {
		var b bytes.Buffer
		if err := rep.WriteSVGFrom(&b, from); err != nil {
			t.Fatal(err)
		}
		checkSVG(t, &b, 3)
	}
}

func checkSVG(t *testing.T, b *bytes.Buffer, wantPolylines int) {
	t.Helper()
	dec := xml.NewDecoder(b)
	polylines, root := 0, ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "polyline" {
				polylines++
			}
		}
	}
	if root != "svg" || polylines != wantPolylines {
		t.Fatalf("root %q, %d polylines, want svg and %d", root, polylines, wantPolylines)
	}
}

func TestSVGEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := (&Report{}).WriteSVG(&b); err != nil || xml.Unmarshal(b.Bytes(), new(struct{})) != nil {
		t.Fatalf("empty report SVG: %v\n%s", err, b.String())
	}
}
