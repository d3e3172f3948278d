package weaviate

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func testCollection() *collection {
	return &collection{
		name:  "Reef_t",
		dims:  map[string]int{"a": 2, "b": 3},
		props: map[string]string{"reef_id": "text", "split": "text", "score": "number"},
	}
}

func TestValidateObjects(t *testing.T) {
	k := testCollection()
	good := []Object{
		{ID: "1", Vectors: map[string][]float32{"a": {1, 2}}, Properties: map[string]any{"split": "x", "score": 1.0, "fresh": true, "n": 3}},
		{ID: "2", Vectors: map[string][]float32{"b": {1, 2, 3}}, Properties: map[string]any{"score": 2, "gone": nil}},
	}
	np, err := validateObjects(k, good)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, p := range np {
		names = append(names, p.Name+":"+p.Type)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"fresh:boolean", "n:int"}) {
		t.Fatalf("new properties %v", names)
	}

	bad := []Object{
		{ID: ""},
		{ID: "x", Vectors: map[string][]float32{"c": {1}}},
		{ID: "x", Vectors: map[string][]float32{"a": {1}}},
		{ID: "y", Vectors: map[string][]float32{"a": {1, float32(math.Inf(1))}}},
		{ID: "z", Properties: map[string]any{"split": 1.0, "bad-name": "v", "l": []string{"a"}, "id": "v", "s": math.NaN()}},
		{ID: "w", Properties: map[string]any{"n2": "text"}},
		{ID: "v", Properties: map[string]any{"n2": 1.0}},
	}
	_, err = validateObjects(k, bad)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	for _, w := range []string{"objects[0].id is empty", "objects[1].vectors.c", "objects[2].id \"x\" repeats", "objects[2].vectors.a has 1 values", "objects[3].vectors.a holds NaN", "objects[4].properties.split is number", "bad-name", "objects[4].properties.l", "\"id\"", "objects[4].properties.s is not finite", "objects[6].properties.n2 is number"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not report %q:\n%v", w, err)
		}
	}
	big := make([]Object, maxBatch+1)
	for i := range big {
		big[i].ID = string(rune(i))
	}
	if _, err := validateObjects(k, big); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("oversized batch: %v", err)
	}
}

func TestBatchErrClasses(t *testing.T) {
	for msg, want := range map[string]error{
		"cannot achieve consistency level QUORUM": ErrUnknownOutcome,
		"broadcast: cannot reach enough replicas": ErrUnknownOutcome,
		"context deadline exceeded":               ErrUnknownOutcome,
		"invalid text property 'x' on class":      ErrRejected,
	} {
		if err := batchErr(msg); !errors.Is(err, want) {
			t.Errorf("batchErr(%q) = %v, want %v", msg, err, want)
		}
	}
}

func FuzzVectorBytes(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		v := vectorFromBytes(b)
		if len(v) != len(b)/4 {
			t.Fatalf("%d bytes gave %d values", len(b), len(v))
		}
		if got := vectorBytes(v); string(got) != string(b[:4*len(v)]) {
			t.Fatalf("round trip changed the bytes")
		}
	})
}

func FuzzClassDescription(f *testing.F) {
	f.Add(`{"reef":1,"dims":{"a":2}}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, desc string) {
		k, err := classJSON{Class: "Reef_t", Description: desc}.collection()
		if err == nil && k.name != "Reef_t" {
			t.Fatalf("decoded %q to a collection named %q", desc, k.name)
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			t.Fatalf("error %v is not ErrConflict", err)
		}
	})
}
