package main

import (
	"testing"

	"github.com/reef-ml/reef/weaviate"
)

func TestWeaviateNodes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []weaviate.Node
		wantErr bool
	}{
		{"http://127.0.0.1:18080", []weaviate.Node{{HTTP: "http://127.0.0.1:18080", GRPC: "127.0.0.1:18081"}}, false},
		{"http://127.0.0.1:18080, http://127.0.0.1:18090/", []weaviate.Node{{HTTP: "http://127.0.0.1:18080", GRPC: "127.0.0.1:18081"}, {HTTP: "http://127.0.0.1:18090", GRPC: "127.0.0.1:18091"}}, false},
		{"", nil, true},
		{"127.0.0.1", nil, true},
		{"http://127.0.0.1", nil, true},
	} {
		got, err := weaviateNodes(tc.in)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%q: err %v", tc.in, err)
		}
		if !tc.wantErr && (len(got) != len(tc.want) || got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1]) {
			t.Fatalf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
}
