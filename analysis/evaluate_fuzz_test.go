package analysis

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzMatchDetections decodes boxes from bytes and checks the matching's
// invariants: every object gets one outcome, pairs are mutual and counts
// add up. Invalid boxes must be refused, never panic.
func FuzzMatchDetections(f *testing.F) {
	f.Add([]byte{1, 0, 0, 10, 10, 2, 0, 0, 10, 10, 200}, uint8(2))
	f.Add([]byte{0, 5, 5, 3, 3, 0, 6, 6, 3, 3, 9, 1, 255, 255, 0, 0, 1}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, nLabels uint8) {
		var objs []Object
		for len(data) >= 6 {
			o := Object{Class: string(rune('a' + data[0]%3)), Score: float64(data[5]) / 255}
			for j := range 4 {
				o.BBox[j] = float32(int8(data[1+j]))
			}
			objs = append(objs, o)
			data = data[6:]
		}
		if len(data) >= 4 {
			objs = append(objs, Object{BBox: [4]float32{math.Float32frombits(binary.LittleEndian.Uint32(data)), 0, 1, 1}})
		}
		nl := min(int(nLabels), len(objs))
		labels, infs := objs[:nl], objs[nl:]
		ev, err := MatchDetections(labels, infs, DetectionOptions{})
		if err != nil {
			return
		}
		c := ev.Counts
		if c.TP+c.FalseNegatives() != len(labels) || c.TP+c.FalsePositives() != len(infs) {
			t.Fatalf("counts %+v for %d labels, %d inferences", c, len(labels), len(infs))
		}
		for j, e := range ev.Inferences {
			if e.Outcome == OutcomeNone || e.Outcome == Missed {
				t.Fatalf("inference %d outcome %v", j, e.Outcome)
			}
			if e.Outcome == TruePositive || e.Outcome == ClassConfusion || e.Outcome == Localisation {
				if l := ev.Labels[e.Match]; l.Match != j || l.Outcome != e.Outcome {
					t.Fatalf("pair %d-%d not mutual", j, e.Match)
				}
			}
		}
		for _, e := range ev.Labels {
			if e.Outcome == OutcomeNone || e.Outcome == Spurious || e.Outcome == Duplicate {
				t.Fatalf("label outcome %v", e.Outcome)
			}
		}
	})
}

func FuzzOutcomeText(f *testing.F) {
	for _, n := range outcomeNames {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var o Outcome
		if err := o.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if b, _ := o.MarshalText(); string(b) != s {
			t.Fatalf("%q round-trips to %q", s, b)
		}
	})
}
