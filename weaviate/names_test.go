package weaviate

import (
	"crypto/sha1"
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// uuid5 is RFC 4122 §4.3 written out, to check ObjectUUID independently.
func uuid5(ns uuid.UUID, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func TestObjectUUID(t *testing.T) {
	a := ObjectUUID("Reef_x_point_1", "img-1")
	if a != uuid5(namespace, "Reef_x_point_1\x00img-1") {
		t.Fatalf("ObjectUUID = %s, not the RFC 4122 v5 UUID", a)
	}
	if a != ObjectUUID("Reef_x_point_1", "img-1") {
		t.Fatal("ObjectUUID is not deterministic")
	}
	distinct := map[string]bool{}
	for _, p := range [][2]string{{"A", "b"}, {"A", "c"}, {"B", "b"}, {"Ab", ""}, {"A", "b\x00"}} {
		distinct[ObjectUUID(p[0], p[1])] = true
	}
	if len(distinct) != 5 {
		t.Fatalf("%d distinct UUIDs for 5 (collection, id) pairs", len(distinct))
	}
}

func TestCollectionName(t *testing.T) {
	names := map[string]bool{}
	for _, ds := range []string{"photos", "Photos", "my photos", "my_photos", "ünïcode", "", string(make([]byte, 300))} {
		for _, lvl := range []string{"point", "object"} {
			n := CollectionName(ds, lvl)
			if !collectionName.MatchString(n) {
				t.Errorf("CollectionName(%q, %s) = %q is not a valid class name", ds, lvl, n)
			}
			if names[n] {
				t.Errorf("CollectionName(%q, %s) = %q repeats another dataset's", ds, lvl, n)
			}
			names[n] = true
			if n != CollectionName(ds, lvl) {
				t.Errorf("CollectionName(%q) is not deterministic", ds)
			}
		}
	}
}
