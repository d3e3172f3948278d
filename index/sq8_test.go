package index

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/vec"
)

func TestSQ8Encode(t *testing.T) {
	var q sq8
	data := [][]float32{{0, -1, 5}, {10, 1, 5}, {5, 0, 5}}
	q.train(len(data), 3, func(i int) []float32 { return data[i] })
	if q.step != 10.0/255 || q.lo[0] != 0 || q.lo[1] != -1 || q.lo[2] != 5 {
		t.Fatalf("trained lo=%v step=%v", q.lo, q.step)
	}
	tests := []struct {
		in   []float32
		want []byte
	}{
		{[]float32{0, -1, 5}, []byte{0, 0, 0, 0}},
		{[]float32{10, 1, 5}, []byte{255, 51, 0, 0}},
		{[]float32{5, 0, 5}, []byte{128, 26, 0, 0}},
		{[]float32{-3, 99, 4}, []byte{0, 255, 0, 0}}, // clamped both ways
	}
	for _, tc := range tests {
		got := []byte{9, 9, 9, 9} // the pad byte must be zeroed
		q.encode(got, tc.in)
		if string(got) != string(tc.want) {
			t.Errorf("encode(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	var flat sq8
	same := [][]float32{{1, 1}, {1, 1}}
	flat.train(2, 2, func(i int) []float32 { return same[i] })
	if flat.step != 1 {
		t.Errorf("constant data step = %v, want 1", flat.step)
	}
}

// TestSQ8ExactRerank: the quantised walk must return exact distances in
// exact order, the same numbers a brute-force scan computes.
func TestSQ8ExactRerank(t *testing.T) {
	n, dim := testSize(3000), 24
	data := clustered(21, n+30, dim, 15)
	for _, m := range []Metric{L2, Cosine} {
		t.Run(m.String(), func(t *testing.T) {
			h := newQuantHNSW(t, dim, m, QuantSQ8)
			ex, _ := NewExact(dim, m)
			ids := seqIDs(n, 0)
			mustAddAll(t, h, ids, data[:n])
			mustAddAll(t, ex, ids, data[:n])
			if !h.sqReady.Load() {
				t.Fatal("codes not trained")
			}
			for _, q := range data[n:] {
				hits, err := h.Search(context.Background(), q, 10, SearchOptions{Ef: 40})
				if err != nil {
					t.Fatal(err)
				}
				all, _ := ex.Search(context.Background(), q, n, SearchOptions{})
				exact := map[uint64]float32{}
				for _, x := range all {
					exact[x.ID] = x.Distance
				}
				for i, hit := range hits {
					if d := exact[hit.ID]; math.Abs(float64(d-hit.Distance)) > 1e-6*math.Max(1, float64(d)) {
						t.Fatalf("hit %d id %d distance %v, exact %v", i, hit.ID, hit.Distance, d)
					}
					if i > 0 && hits[i-1].Distance > hit.Distance {
						t.Fatalf("hits out of order at %d: %v", i, hits)
					}
				}
			}
		})
	}
}

// TestSQ8CodeOrder: code distances follow float distances closely, so the
// walk sees the same neighbourhood (the property recall depends on).
func TestSQ8CodeOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dim := 64
	data := make([][]float32, 500)
	for i := range data {
		data[i] = randVec(r, dim)
	}
	var q sq8
	q.train(len(data), dim, func(i int) []float32 { return data[i] })
	codes := make([][]byte, len(data))
	for i, v := range data {
		codes[i] = make([]byte, vec.PadCodeLen(dim))
		q.encode(codes[i], v)
	}
	agree, total := 0, 0
	for i := 1; i+1 < len(data); i += 2 {
		fa, fb := vec.L2Sq(data[0], data[i]), vec.L2Sq(data[0], data[i+1])
		ca, cb := l2Codes(codes[0], codes[i]), l2Codes(codes[0], codes[i+1])
		if (fa < fb) == (ca < cb) {
			agree++
		}
		total++
		// Code distance scaled back is close to the float distance.
		if got := float64(ca) * float64(q.step*q.step); math.Abs(got-float64(fa)) > 0.05*float64(fa)+0.01 {
			t.Errorf("pair %d: code distance %v, float %v", i, got, fa)
		}
	}
	if frac := float64(agree) / float64(total); frac < 0.97 {
		t.Errorf("code order agrees with float order on %.3f of pairs", frac)
	}
}

func TestSQ8ConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  func() Config
		ok   bool
	}{
		{"l2", func() Config { c := DefaultConfig(4, L2); c.Quantization = QuantSQ8; return c }, true},
		{"cosine", func() Config { c := DefaultConfig(4, Cosine); c.Quantization = QuantSQ8; return c }, true},
		{"none", func() Config { c := DefaultConfig(4, Dot); c.Quantization = QuantNone; return c }, true},
		{"dot", func() Config { c := DefaultConfig(4, Dot); c.Quantization = QuantSQ8; return c }, false},
		{"exact", func() Config {
			c := DefaultConfig(4, L2)
			c.Backend, c.Quantization = BackendExact, QuantSQ8
			return c
		}, false},
		{"unknown", func() Config { c := DefaultConfig(4, L2); c.Quantization = "pq"; return c }, false},
	}
	for _, tc := range tests {
		err := tc.cfg().Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v does not wrap ErrInvalidConfig", tc.name, err)
		}
	}
}

// l2Codes is the reference squared L2 of two unsigned codes.
func l2Codes(a, b []byte) uint32 {
	var s uint32
	for i := range a {
		d := int32(a[i]) - int32(b[i])
		s += uint32(d * d)
	}
	return s
}

// TestSQ8CodeDistPaths: the VNNI formulation (norms and an unsigned·signed
// dot) and the signed-L2 one give the exact integer L2 of the codes.
func TestSQ8CodeDistPaths(t *testing.T) {
	n, dim := 300, 40
	data := clustered(22, n+5, dim, 6)
	h := newQuantHNSW(t, dim, L2, QuantSQ8)
	mustAddAll(t, h, seqIDs(n, 0), data[:n])
	if !h.sqReady.Load() {
		t.Fatal("codes not trained")
	}
	sc := h.getScratch()
	defer h.putScratch(sc)
	sc.q = append(sc.q[:0], data[n]...)
	want := make([]byte, h.codeLen)
	h.sq.encode(want, sc.q)
	qu := append([]byte(nil), want...)
	for _, vnni := range []bool{true, false} {
		qc := h.prepareQueryCode(sc, sc.q)
		if qc.vnni != vnni { // exercise the other path too
			qc.vnni = vnni
			for i := range qc.b {
				qc.b[i] = qu[i]
				if !vnni {
					qc.b[i] ^= 0x80
				}
			}
		}
		xc := make([]byte, h.codeLen)
		for s := range uint32(n) {
			h.sq.encode(xc, h.vec(s))
			if got, exp := h.codeDist(qc, s), float32(l2Codes(qu, xc)); got != exp {
				t.Fatalf("vnni=%v slot %d: codeDist %v, want %v", vnni, s, got, exp)
			}
		}
	}
}
