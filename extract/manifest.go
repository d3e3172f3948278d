package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode"
)

// Manifest describes how to turn images (or, with Modality "audio", audio
// clips) into embeddings with one ONNX model. It is stored as JSON next to
// the model (e.g. models/builtin/*.json).
type Manifest struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	// Modality is "image" (the default) or "audio". An audio model takes a
	// float32 waveform [1, samples] (or [samples]) at SampleRate on Input
	// and its Layer's last axis is the feature; every other axis is frames,
	// pooled by Pool "mean" or "meanstd". Image fields must be left unset.
	Modality string `json:"modality,omitempty"`
	// SampleRate of an audio model's input (default 16000).
	SampleRate int `json:"sample_rate,omitempty"`
	// ChunkSeconds splits longer clips into runs of at most this length,
	// pooled together (default 30).
	ChunkSeconds float64 `json:"chunk_seconds,omitempty"`
	// InputScale multiplies samples in [-1, 1] before the model sees them
	// (e.g. 32768 for models trained on int16 values; default 1).
	InputScale float32 `json:"input_scale,omitempty"`
	// File is the ONNX file, relative to the model directory.
	File string `json:"file"`
	// Input is the graph input that receives the image batch (float32).
	Input string `json:"input"`
	// InputSize is the model input size as [height, width].
	InputSize [2]int `json:"input_size"`
	// Layout of the input tensor: "nhwc" or "nchw".
	Layout string `json:"layout"`
	// Mean and Std (RGB) normalise 0..255 pixels: (p-mean)/std.
	Mean [3]float32 `json:"mean"`
	Std  [3]float32 `json:"std"`
	// Resize is "stretch" (default), "center_crop" or "letterbox".
	Resize string `json:"resize,omitempty"`
	// Layer is the tensor the image embedding is computed from.
	Layer string `json:"layer"`
	// LayerLayout is the layout of Layer/ObjectLayer if they are 4-D
	// feature maps ("nchw" or "nhwc"); defaults to Layout.
	LayerLayout string `json:"layer_layout,omitempty"`
	// Pool is "avg" (default) or "gem" (generalised mean with GeMP).
	Pool string  `json:"pool,omitempty"`
	GeMP float32 `json:"gem_p,omitempty"`
	// MaxDim caps the embedding length (default 10000); larger feature maps
	// are adaptively pooled down (see AdaptivePool).
	MaxDim int `json:"max_dim,omitempty"`
	// Normalize L2-normalises embeddings.
	Normalize bool `json:"normalize"`
	// ObjectLayer is an optional feature map for per-box ROI-align
	// embeddings; ObjectStride its stride in input pixels (0 = derive from
	// the feature-map size) and ROIGrid the ROI-align grid (default 2).
	ObjectLayer  string  `json:"object_layer,omitempty"`
	ObjectStride float32 `json:"object_stride,omitempty"`
	ROIGrid      int     `json:"roi_grid,omitempty"`
	// Detection, when set, says the model is also an object detector with
	// CenterNet-style heads (see DetectionSpec and Detector).
	Detection *DetectionSpec `json:"detection,omitempty"`
}

// Manifest limits.
const (
	DefaultMaxDim       = 10000
	maxManifestBytes    = 1 << 20
	maxManifestInputDim = 8192
	maxManifestMaxDim   = 1 << 20
	maxNameLen          = 256
)

// ParseManifest decodes a JSON manifest strictly (unknown fields, trailing
// data and hostile values are rejected), applies defaults and validates it.
// Errors wrap ErrBadManifest.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%w: manifest is %d bytes (limit %d)", ErrBadManifest, len(data), maxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the manifest object", ErrBadManifest)
	}
	m.applyDefaults()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// LoadManifest reads and parses a manifest file.
func LoadManifest(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Modalities of a Manifest.
const (
	ModalityImage = "image"
	ModalityAudio = "audio"
)

// IsAudio reports whether the manifest describes an audio model.
func (m *Manifest) IsAudio() bool { return m.Modality == ModalityAudio }

func (m *Manifest) applyDefaults() {
	if m.Modality == "" {
		m.Modality = ModalityImage
	}
	if m.IsAudio() {
		if m.SampleRate == 0 {
			m.SampleRate = 16000
		}
		if m.ChunkSeconds == 0 {
			m.ChunkSeconds = 30
		}
		if m.InputScale == 0 {
			m.InputScale = 1
		}
		if m.Pool == "" {
			m.Pool = "mean"
		}
		return
	}
	if m.Resize == "" {
		m.Resize = ResizeStretch
	}
	if m.Pool == "" {
		m.Pool = "avg"
	}
	if m.Pool == "gem" && m.GeMP == 0 {
		m.GeMP = 3
	}
	if m.MaxDim == 0 {
		m.MaxDim = DefaultMaxDim
	}
	if m.LayerLayout == "" {
		m.LayerLayout = m.Layout
	}
	if m.ROIGrid == 0 {
		m.ROIGrid = 2
	}
	if m.Detection != nil {
		// Copy so that defaults never write through a shared pointer
		// (WithDefaults copies the Manifest by value).
		d := *m.Detection
		d.Classes = append([]string(nil), d.Classes...)
		d.applyDefaults(m)
		m.Detection = &d
	}
}

// Validate reports every problem with the manifest at once (errors.Join),
// wrapped in ErrBadManifest. Defaults must already be applied (ParseManifest
// does this; call WithDefaults for hand-built manifests).
func (m *Manifest) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	checkName := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			bad("%s is required", field)
		case len(v) > maxNameLen:
			bad("%s is longer than %d bytes", field, maxNameLen)
		case strings.IndexFunc(v, func(r rune) bool { return r == 0 || unicode.IsControl(r) }) >= 0:
			bad("%s contains control characters", field)
		}
	}
	checkName("name", m.Name, true)
	checkName("version", m.Version, false)
	checkName("input", m.Input, true)
	checkName("layer", m.Layer, true)
	checkName("object_layer", m.ObjectLayer, false)
	if len(m.Description) > 4096 {
		bad("description is longer than 4096 bytes")
	}
	if err := checkRelativePath(m.File); err != nil {
		bad("file %q: %v", m.File, err)
	}
	switch m.Modality {
	case ModalityImage:
		m.validateImage(bad, checkName)
	case ModalityAudio:
		m.validateAudio(bad)
	default:
		bad("modality %q, want \"image\" or \"audio\"", m.Modality)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadManifest, errors.Join(errs...))
}

// validateAudio checks an audio manifest; image-only fields must be unset
// so that a manifest meant for images is never half-applied to audio.
func (m *Manifest) validateAudio(bad func(string, ...any)) {
	if m.SampleRate < 1000 || m.SampleRate > 384000 {
		bad("sample_rate = %d, want 1000..384000", m.SampleRate)
	}
	if math.IsNaN(m.ChunkSeconds) || m.ChunkSeconds < 1 || m.ChunkSeconds > 600 {
		bad("chunk_seconds = %v, want 1..600", m.ChunkSeconds)
	}
	if !finite32(m.InputScale) || m.InputScale <= 0 || m.InputScale > 1e6 {
		bad("input_scale = %v, want a positive finite number", m.InputScale)
	}
	if m.Pool != "mean" && m.Pool != "meanstd" {
		bad("pool %q, want \"mean\" or \"meanstd\" for audio models", m.Pool)
	}
	for field, set := range map[string]bool{"input_size": m.InputSize != [2]int{}, "layout": m.Layout != "",
		"layer_layout": m.LayerLayout != "", "mean": m.Mean != [3]float32{}, "std": m.Std != [3]float32{},
		"resize": m.Resize != "", "object_layer": m.ObjectLayer != "", "detection": m.Detection != nil,
		"gem_p": m.GeMP != 0, "max_dim": m.MaxDim != 0, "object_stride": m.ObjectStride != 0, "roi_grid": m.ROIGrid != 0} {
		if set {
			bad("%s is for image models, not audio", field)
		}
	}
}

// validateImage checks the image fields.
func (m *Manifest) validateImage(bad func(string, ...any), checkName func(field, v string, required bool)) {
	if m.SampleRate != 0 || m.ChunkSeconds != 0 || m.InputScale != 0 {
		bad("sample_rate, chunk_seconds and input_scale are for audio models (set modality \"audio\")")
	}
	for i, d := range m.InputSize {
		if d < 8 || d > maxManifestInputDim {
			bad("input_size[%d] = %d, want 8..%d", i, d, maxManifestInputDim)
		}
	}
	if m.Layout != "nhwc" && m.Layout != "nchw" {
		bad("layout %q, want \"nhwc\" or \"nchw\"", m.Layout)
	}
	if m.LayerLayout != "nhwc" && m.LayerLayout != "nchw" {
		bad("layer_layout %q, want \"nhwc\" or \"nchw\"", m.LayerLayout)
	}
	for i := range 3 {
		if !finite32(m.Mean[i]) || math.Abs(float64(m.Mean[i])) > 1e6 {
			bad("mean[%d] = %v is not a sane number", i, m.Mean[i])
		}
		if !finite32(m.Std[i]) || m.Std[i] <= 1e-6 || m.Std[i] > 1e6 {
			bad("std[%d] = %v, want a positive finite number", i, m.Std[i])
		}
	}
	switch m.Resize {
	case ResizeStretch, ResizeCenterCrop, ResizeLetterbox:
	default:
		bad("resize %q, want stretch, center_crop or letterbox", m.Resize)
	}
	switch m.Pool {
	case "avg":
	case "gem":
		if !finite32(m.GeMP) || m.GeMP < 0.5 || m.GeMP > 16 {
			bad("gem_p = %v, want 0.5..16", m.GeMP)
		}
	default:
		bad("pool %q, want \"avg\" or \"gem\"", m.Pool)
	}
	if m.MaxDim < 1 || m.MaxDim > maxManifestMaxDim {
		bad("max_dim = %d, want 1..%d", m.MaxDim, maxManifestMaxDim)
	}
	if !finite32(m.ObjectStride) || m.ObjectStride < 0 || m.ObjectStride > 1024 {
		bad("object_stride = %v, want 0 (derive) or a positive stride ≤ 1024", m.ObjectStride)
	}
	if m.ROIGrid < 1 || m.ROIGrid > 16 {
		bad("roi_grid = %d, want 1..16", m.ROIGrid)
	}
	if m.Detection != nil {
		m.Detection.validate(bad, checkName)
	}
}

// WithDefaults returns a copy of m with defaults applied.
func (m Manifest) WithDefaults() Manifest {
	m.applyDefaults()
	return m
}

func finite32(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}
