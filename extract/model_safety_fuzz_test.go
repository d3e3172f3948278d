package extract

import (
	"errors"
	"testing"
)

// FuzzCheckModelSafety: the ONNX safety scan decodes untrusted protobuf; no
// input may panic it, and a model naming an absolute or escaping external
// data location is never passed as safe.
func FuzzCheckModelSafety(f *testing.F) {
	f.Add(externalDataModel("weights.bin"))
	f.Add(externalDataModel("../secret.bin"))
	f.Add(externalDataModel("/etc/passwd"))
	f.Add([]byte{})
	f.Add([]byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, model []byte) {
		err := CheckModelSafety(model, dir)
		if err != nil && !errors.Is(err, ErrUnsafeModel) {
			t.Fatalf("error %v does not wrap ErrUnsafeModel", err)
		}
	})
}

func TestModelSafetyRefusesEscapesInFuzzSeeds(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{"../secret.bin", "/etc/passwd"} {
		if err := CheckModelSafety(externalDataModel(loc), dir); !errors.Is(err, ErrUnsafeModel) {
			t.Fatalf("%q passed as safe: %v", loc, err)
		}
	}
}
