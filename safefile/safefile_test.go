package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		old     string // "" = no file before
		write   func(io.Writer) error
		want    string
		wantErr error
	}{
		{"new file", "", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", nil},
		{"replace", "old", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", nil},
		{"write fails midway keeps old", "old", func(w io.Writer) error {
			io.WriteString(w, "half")
			return boom
		}, "old", boom},
		{"write fails without old", "", func(w io.Writer) error { return boom }, "", boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sub", "f.bin")
			if tc.old != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, 0o644, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			b, rerr := os.ReadFile(path)
			if tc.want == "" {
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Fatalf("file exists after failed first write: %q %v", b, rerr)
				}
			} else if string(b) != tc.want {
				t.Fatalf("content = %q, want %q", b, tc.want)
			}
			if names := listDir(t, filepath.Dir(path)); len(names) > 1 || len(names) == 1 && names[0] != "f.bin" {
				t.Fatalf("leftover files: %v", names)
			}
			if tc.wantErr == nil {
				st, err := os.Stat(path)
				if err != nil || st.Mode().Perm() != 0o644 {
					t.Fatalf("mode = %v, %v", st.Mode(), err)
				}
			}
		})
	}
}

func fill(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := WriteBytes(filepath.Join(dir, name), 0o644, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace func(tmp, dir string) error
		old     map[string]string
	}{
		{"new dir", Replace, nil},
		{"over old dir", Replace, map[string]string{"model.onnx": "old", "extra": "x"}},
		{"fallback over old dir", moveAside, map[string]string{"model.onnx": "old", "extra": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "models", "m")
			if tc.old != nil {
				fill(t, dir, tc.old)
			}
			tmp, err := TempDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, tmp, map[string]string{"model.onnx": "new"})
			if err := tc.replace(tmp, dir); err != nil {
				t.Fatal(err)
			}
			if names := listDir(t, dir); len(names) != 1 || names[0] != "model.onnx" {
				t.Fatalf("dir holds %v, want only model.onnx", names)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "model.onnx")); string(b) != "new" {
				t.Fatalf("model.onnx = %q", b)
			}
			if names := listDir(t, filepath.Dir(dir)); len(names) != 1 {
				t.Fatalf("leftovers next to dir: %v", names)
			}
		})
	}
}

func TestReplaceMissingTmpKeepsOld(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	fill(t, dir, map[string]string{"model.onnx": "old"})
	if err := Replace(filepath.Join(root, "absent"), dir); err == nil {
		t.Fatal("Replace of a missing directory succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "model.onnx")); string(b) != "old" {
		t.Fatalf("old tree damaged: %q", b)
	}
}
