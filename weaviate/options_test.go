package weaviate

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOptionsValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Options)
		wants []string
	}{
		{"defaults", func(*Options) {}, nil},
		{"bad url", func(o *Options) { o.HTTP = "127.0.0.1:8080" }, []string{"http"}},
		{"more nodes", func(o *Options) {
			o.More = []Node{{HTTP: "http://127.0.0.1:18090", GRPC: "127.0.0.1:18091"}, {HTTP: "ftp://x", GRPC: "nohost"}}
		}, []string{"more[1].http", "more[1].grpc"}},
		{"all wrong", func(o *Options) {
			o.HTTP, o.GRPC, o.WriteConsistency, o.ReadConsistency, o.Timeout, o.Logger = "", "", "TWO", "", 0, nil
		}, []string{"http", "grpc", "write_consistency", "read_consistency", "timeout", "logger"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.edit(&o)
			err := o.validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("validate = %v, want ErrInvalid", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestOpenRejectsBadOptionsWithoutDialing(t *testing.T) {
	o := DefaultOptions()
	o.WriteConsistency = "SOME"
	if _, err := Open(context.Background(), o); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open = %v, want ErrInvalid", err)
	}
}

func TestOpenReportsUnavailableNode(t *testing.T) {
	o := DefaultOptions()
	o.HTTP, o.GRPC = "http://127.0.0.1:1", "127.0.0.1:1" // port 1: nothing listens
	c, err := Open(context.Background(), o)
	if !errors.Is(err, ErrUnavailable) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
}

func TestSpecValidate(t *testing.T) {
	good := CollectionSpec{Name: "Reef_a", Vectors: []VectorSpec{{Name: "pixels", Dim: 784, Metric: "l2"}}}
	if err := good.validate(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	bad := CollectionSpec{
		Name:       "lower",
		Vectors:    []VectorSpec{{Name: "a-b", Dim: 0, Metric: "hamming", M: -1}, {Name: "a-b", Dim: 3, Metric: "l2"}},
		Properties: []PropertySpec{{Name: "reef_id", Type: "text"}, {Name: "x", Type: "date"}},
		Shards:     -1,
	}
	err := bad.validate()
	for _, w := range []string{"name \"lower\"", "vectors[0].name", "vectors[0].dim", "vectors[0].metric", "vectors[0]: m", "vectors[1].name \"a-b\" is repeated", "properties[0].name", "properties[1].type", "shards"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not report %s", err, w)
		}
	}
}
