package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func externalDataModel(location string) []byte {
	inits := []tInit{{name: "w", dims: []int64{1}, external: location, ext: true}}
	nodes := []tNode{{op: "Mul", in: []string{"x", "w"}, out: []string{"y"}}}
	return buildModel(nodes, inits, []tVI{{"x", []int64{1, 3, 8, 8}}}, []tVI{{"y", []int64{1, 3, 8, 8}}})
}

func TestExternalDataSafety(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.bin"), make([]byte, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, location string
		unsafe         bool
	}{
		{"relative", "weights.bin", false},
		{"subdir", "data/weights.bin", false},
		{"absolute", "/etc/passwd", true},
		{"dotdot", "../secret.bin", true},
		{"nested dotdot", "data/../../secret.bin", true},
		{"windows drive", `C:\secret.bin`, true},
		{"symlink escape", "link.bin", true},
		{"empty", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeModel(t, dir, "m.onnx", externalDataModel(tc.location))
			_, err := LoadModelFile(p)
			if tc.unsafe != errors.Is(err, ErrUnsafeModel) {
				t.Fatalf("location %q: err = %v, unsafe want %v", tc.location, err, tc.unsafe)
			}
		})
	}
}

func TestUnsafeModelRefusedBeforeORT(t *testing.T) {
	rt := testRuntime(t)
	dir := t.TempDir()
	p := writeModel(t, dir, "evil.onnx", externalDataModel("/etc/passwd"))
	if _, err := Inspect(context.Background(), rt, p, InspectOptions{}); !errors.Is(err, ErrUnsafeModel) {
		t.Errorf("Inspect: %v", err)
	}
	m := &Manifest{Name: "evil", File: "evil.onnx", Input: "x", InputSize: [2]int{8, 8}, Layout: "nchw",
		Std: [3]float32{1, 1, 1}, Layer: "y"}
	if _, err := NewEmbedder(rt, m, dir, EmbedderOptions{}); !errors.Is(err, ErrUnsafeModel) {
		t.Errorf("NewEmbedder: %v", err)
	}
	m.File = "../evil.onnx"
	if _, err := NewEmbedder(rt, m, dir, EmbedderOptions{}); !errors.Is(err, ErrBadManifest) {
		t.Errorf("escaping manifest file: %v", err)
	}
}
