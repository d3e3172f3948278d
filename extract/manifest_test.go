package extract

import (
	"errors"
	"strings"
	"testing"
)

const validManifest = `{
  "name": "mobilenet-v2", "version": "1", "file": "mobilenet_v2_1.0_224_imagenet.onnx",
  "input": "input", "input_size": [224, 224], "layout": "nhwc",
  "mean": [128, 128, 128], "std": [128, 128, 128],
  "layer": "t_272", "layer_layout": "nchw", "pool": "avg", "normalize": true
}`

func TestParseManifestValid(t *testing.T) {
	m, err := ParseManifest([]byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxDim != DefaultMaxDim || m.Resize != ResizeStretch || m.ROIGrid != 2 || m.InputSize != [2]int{224, 224} {
		t.Errorf("defaults not applied: %+v", m)
	}
}

const validAudioManifest = `{"name": "logmel", "modality": "audio", "file": "m.onnx", "input": "input", "layer": "output"}`

func TestParseAudioManifest(t *testing.T) {
	m, err := ParseManifest([]byte(validAudioManifest))
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsAudio() || m.SampleRate != 16000 || m.ChunkSeconds != 30 || m.InputScale != 1 || m.Pool != "mean" || m.Layout != "" {
		t.Errorf("audio defaults: %+v", m)
	}
	if m, _ := ParseManifest([]byte(validManifest)); m.Modality != ModalityImage {
		t.Errorf("an image manifest without modality: %q", m.Modality)
	}
}

func TestParseManifestRejects(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string // substrings expected in the error
	}{
		{"unknown field", strings.Replace(validManifest, `"pool"`, `"poool"`, 1), []string{"unknown field"}},
		{"trailing", validManifest + "{}", []string{"trailing"}},
		{"not json", "nope", []string{"invalid"}},
		{"absolute file", strings.Replace(validManifest, `"mobilenet_v2_1.0_224_imagenet.onnx"`, `"/etc/passwd"`, 1), []string{"absolute"}},
		{"escaping file", strings.Replace(validManifest, `"mobilenet_v2_1.0_224_imagenet.onnx"`, `"../../x.onnx"`, 1), []string{"escapes"}},
		{"many problems at once", `{"name":"","file":"m.onnx","input":"x","input_size":[0,99999],"layout":"hwc","mean":[0,0,0],"std":[0,1,-1],"layer":"l","pool":"max","max_dim":-5}`,
			[]string{"name is required", "input_size[0]", "input_size[1]", "layout", "std[0]", "std[2]", "pool", "max_dim"}},
		{"bad gem p", strings.Replace(validManifest, `"pool": "avg"`, `"pool": "gem", "gem_p": 1000`, 1), []string{"gem_p"}},
		{"control chars", strings.Replace(validManifest, `"t_272"`, `"t\u0000"`, 1), []string{"control"}},
		{"unknown modality", strings.Replace(validAudioManifest, `"audio"`, `"video"`, 1), []string{"modality"}},
		{"audio with image fields", strings.Replace(validAudioManifest, `"modality"`, `"input_size":[224,224],"layout":"nhwc","modality"`, 1),
			[]string{"input_size is for image models", "layout is for image models"}},
		{"audio bad numbers", strings.Replace(validAudioManifest, `"modality"`, `"sample_rate":50,"chunk_seconds":9999,"input_scale":-1,"pool":"gem","modality"`, 1),
			[]string{"sample_rate", "chunk_seconds", "input_scale", "pool"}},
		{"image with audio fields", strings.Replace(validManifest, `"pool"`, `"sample_rate": 16000, "pool"`, 1), []string{"for audio models"}},
		{"huge number", strings.Replace(validManifest, `[224, 224]`, `[1e30, 224]`, 1), []string{"cannot unmarshal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tc.json))
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("err = %v, want ErrBadManifest", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(validManifest))
	f.Add([]byte(validAudioManifest))
	f.Add([]byte(`{"name":"x","pool":"gem","gem_p":-1}`))
	f.Add([]byte(`{"input_size":[1,2,3]}`))
	withDet := strings.TrimSuffix(strings.TrimSpace(validManifest), "}")
	f.Add([]byte(withDet + `, "object_layer": "f", "detection": {"heatmap": "h", "boxes": "b"}}`))
	f.Add([]byte(withDet + `, "detection": {"heatmap": "h", "boxes": "b", "box_layer": "f", "input_size": [512, 512], "stride": 4,
		"classes": ["person", "bicycle"], "score_threshold": 0.3, "top_k": 100, "max_detections": 20, "nms_iou": 0.5,
		"nms_per_class": true, "resize": "stretch", "head_layout": "nchw", "box_layer_layout": "nhwc"}}`))
	f.Add([]byte(withDet + `, "detection": {"heatmap": "", "boxes": "b", "input_size": [510, 0], "stride": -3, "classes": [""], "nms_iou": 1e40}}`))
	f.Add([]byte(withDet + `, "detection": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("error does not wrap ErrBadManifest: %v", err)
			}
			return
		}
		if verr := m.Validate(); verr != nil {
			t.Fatalf("accepted manifest fails Validate: %v", verr)
		}
		if _, err := ResolveModelPath(t.TempDir(), m.File); err != nil {
			t.Fatalf("accepted manifest has unusable file %q: %v", m.File, err)
		}
	})
}
