package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxModelBytes bounds the size of an ONNX file reef will read into memory.
const MaxModelBytes = 2 << 30

// ResolveModelPath joins a manifest's File with modelDir and refuses paths
// that are absolute or escape modelDir (→ ErrUnsafeModel).
func ResolveModelPath(modelDir, file string) (string, error) {
	if file == "" {
		return "", fmt.Errorf("%w: empty model file name", ErrBadManifest)
	}
	if err := checkRelativePath(file); err != nil {
		return "", fmt.Errorf("%w: model file %q: %v", ErrUnsafeModel, file, err)
	}
	return filepath.Join(modelDir, filepath.FromSlash(file)), nil
}

// checkRelativePath accepts only a relative, non-escaping path.
func checkRelativePath(p string) error {
	if p == "" {
		return fmt.Errorf("empty path")
	}
	if strings.ContainsRune(p, 0) {
		return fmt.Errorf("path contains NUL")
	}
	norm := strings.ReplaceAll(p, `\`, "/")
	if filepath.IsAbs(p) || strings.HasPrefix(norm, "/") || (len(norm) >= 2 && norm[1] == ':') {
		return fmt.Errorf("absolute path")
	}
	c := filepath.Clean(filepath.FromSlash(norm))
	if c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) {
		return fmt.Errorf("path escapes the model directory")
	}
	for _, part := range strings.Split(norm, "/") {
		if part == ".." {
			return fmt.Errorf("path contains '..'")
		}
	}
	return nil
}

// LoadModelFile reads an ONNX model and verifies that it is safe to hand to
// ONNX Runtime: every external-data location must be relative and stay inside
// the model's directory (symlinks are resolved for locations that exist).
func LoadModelFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadModel, path)
	}
	if st.Size() > MaxModelBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrBadModel, path, st.Size(), int64(MaxModelBytes))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	if err := CheckModelSafety(data, filepath.Dir(path)); err != nil {
		return nil, err
	}
	return data, nil
}

// CheckModelSafety scans a serialized ModelProto (main graph, subgraphs,
// functions, sparse initializers, Constant attributes) for TensorProto
// external_data "location" entries and returns ErrUnsafeModel if any is
// absolute or escapes modelDir.
func CheckModelSafety(model []byte, modelDir string) error {
	var locs []string
	err := forEachField(model, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case modelGraphField:
			return scanGraphExternal(p, 0, &locs)
		case modelFunctionsField:
			return forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
				if num == functionNodeField && typ == protowire.BytesType {
					return scanNodeExternal(q, 1, &locs)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: cannot verify external data: %w", ErrUnsafeModel, err)
	}
	root, rerr := filepath.EvalSymlinks(modelDir)
	for _, loc := range locs {
		if err := checkRelativePath(loc); err != nil {
			return fmt.Errorf("%w: external data location %q: %v", ErrUnsafeModel, loc, err)
		}
		if rerr != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Join(modelDir, filepath.FromSlash(loc)))
		if err != nil {
			continue // missing file: ORT will report it; nothing escapes
		}
		rel, err := filepath.Rel(root, real)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%w: external data location %q resolves outside the model directory", ErrUnsafeModel, loc)
		}
	}
	return nil
}

func scanGraphExternal(g []byte, depth int, locs *[]string) error {
	if depth > maxGraphDepth {
		return fmt.Errorf("subgraphs nested deeper than %d", maxGraphDepth)
	}
	return forEachField(g, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphNodeField:
			return scanNodeExternal(p, depth, locs)
		case graphInitField:
			return scanTensorExternal(p, locs)
		case graphSparseInitField:
			return scanSparseExternal(p, locs)
		}
		return nil
	})
}

func scanNodeExternal(n []byte, depth int, locs *[]string) error {
	return forEachField(n, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if num != nodeAttrField || typ != protowire.BytesType {
			return nil
		}
		return forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
			if typ != protowire.BytesType {
				return nil
			}
			switch num {
			case attrTField, attrTensorsField:
				return scanTensorExternal(q, locs)
			case attrGField, attrGraphsField:
				return scanGraphExternal(q, depth+1, locs)
			case attrSparseTensorField, attrSparseTensorsField:
				return scanSparseExternal(q, locs)
			}
			return nil
		})
	})
}

func scanSparseExternal(s []byte, locs *[]string) error {
	return forEachField(s, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if (num == sparseValuesField || num == sparseIndicesField) && typ == protowire.BytesType {
			return scanTensorExternal(p, locs)
		}
		return nil
	})
}

func scanTensorExternal(t []byte, locs *[]string) error {
	return forEachField(t, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if num != tensorExternalDataField || typ != protowire.BytesType {
			return nil
		}
		var key, val string
		err := forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
			if typ == protowire.BytesType && num == 1 {
				key = string(q)
			} else if typ == protowire.BytesType && num == 2 {
				val = string(q)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if key == "location" {
			*locs = append(*locs, val)
		}
		return nil
	})
}
