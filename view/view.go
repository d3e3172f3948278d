package view

// The embedding view: a 2-D layout of every vector of a space level, the
// colour fields derived from metadata, and the row-addressed queries the
// page makes (a row's details, its neighbours, "more like these", tags).
//
// engine.Rows are the vectors of a space level in ascending IID order, as in engine.Rows.
// A layout is computed once (PCA at once; UMAP on the k-NN graph in the
// background) and then kept: rows added later are placed from their
// neighbours without moving anyone else, deleted rows drop out, until a
// re-layout is requested. Layouts persist under
// DataDir/layouts/<dataset uid>/<space>.<level>.layout with the IID and a
// hash of the vector of every row, so a layout is only reused for the
// vectors it was computed from.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"

	"github.com/reef-ml/reef/engine"
)

// Layout methods.
const (
	LayoutUMAP = "umap"
	LayoutPCA  = "pca"
	LayoutUser = "user"
)

// Layout states.
const (
	LayoutReady     = "ready"     // the layout of the named method is in place
	LayoutComputing = "computing" // a better layout is being computed; Method is what is shown meanwhile
	LayoutFailed    = "failed"    // the last background layout failed (Error says why)
)

// View limits and defaults.
const (
	viewMagic       = "REEFVIEW"
	ViewFormat      = 1      // version of points.bin
	MissingCategory = 0xFFFF // color.bin code of a row without the field
	maxCategories   = 256
	maxFields       = 128
	maxFieldDepth   = 3
	viewGraphK      = 15
	placeK          = 10
	pcaExactMax     = 100_000 // above this PCA runs on a sample (bounded memory)
	pcaSample       = 20_000
	maxViewRows     = 10_000 // rows in one similar/tag request
	maxTagLen       = 128
)

// ViewRef names the rows of a view.
type ViewRef struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"` // "point" (default) or "object"
	// With overlays another dataset whose space has the same definition:
	// its rows follow the dataset's own, placed into the same layout
	// (view_overlay.go).
	With string `json:"with,omitempty"`
}

// LayoutInfo says which layout is shown and what is being computed.
type LayoutInfo struct {
	Method    string  `json:"method"` // umap, pca or user
	State     string  `json:"state"`
	Computing string  `json:"computing,omitempty"` // method in progress
	Phase     string  `json:"phase,omitempty"`     // knn or umap
	Progress  float64 `json:"progress,omitempty"`  // 0..1 of the phase
	Error     string  `json:"error,omitempty"`
	Placed    int     `json:"placed"`  // rows placed from neighbours since the layout
	Version   uint64  `json:"version"` // changes whenever any coordinate does
	Computed  string  `json:"computed,omitempty"`
}

// ViewCategory is one value of a categorical field; its code in color.bin is
// its position in the list (most frequent first).
type ViewCategory struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// ViewField is a colour field.
type ViewField struct {
	Name       string         `json:"name"`
	Kind       string         `json:"kind"` // category or number
	Count      int            `json:"count"`
	Categories []ViewCategory `json:"categories,omitempty"`
	Other      bool           `json:"other,omitempty"` // the last category gathers the rarer values
	Min        *float64       `json:"min,omitempty"`
	Max        *float64       `json:"max,omitempty"`
}

// ViewSummary describes a view.
type ViewSummary struct {
	Dataset    string            `json:"dataset"`
	Space      string            `json:"space"`
	Level      string            `json:"level"`
	Metric     string            `json:"metric"`
	Count      int               `json:"count"`
	Generation uint64            `json:"generation"` // changes when rows are renumbered
	Layout     LayoutInfo        `json:"layout"`
	Fields     []ViewField       `json:"fields"`
	Thumbnails int               `json:"thumbnails"`
	URLs       map[string]string `json:"urls"`
	Overlay    *ViewOverlay      `json:"overlay,omitempty"`
}

// ViewHit is a row with what it stands for.
type ViewHit struct {
	Row       int             `json:"row"`
	Dataset   string          `json:"dataset,omitempty"` // set when a dataset is overlaid
	ID        string          `json:"id"`
	ObjectID  string          `json:"object_id,omitempty"`
	Distance  *float32        `json:"distance,omitempty"`
	URI       string          `json:"uri,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Kind      string          `json:"kind,omitempty"`
	Class     string          `json:"class,omitempty"`
	BBox      *[4]float32     `json:"bbox,omitempty"`
	Thumbnail string          `json:"thumbnail,omitempty"` // URL path, when one is stored (at object level: the box's crop)
	// ImageThumbnail is, at object level, the whole image's thumbnail.
	ImageThumbnail string `json:"image_thumbnail,omitempty"`
	AudioURL       string `json:"audio_url,omitempty"` // URL path of the point's playable audio
	// ImageURL is the URL path of the point's preview (the image at up to
	// 1024 px), when one is stored; at object level, the whole image's.
	ImageURL string `json:"image_url,omitempty"`
	// ImageSize is the original image's [width, height], the pixels bbox
	// and the point's objects' boxes refer to, when known (imagesize.go).
	ImageSize *[2]int `json:"image_size,omitempty"`
	X         float32 `json:"x"`
	Y         float32 `json:"y"`
}

// ViewHits answers neighbours and similar queries.
type ViewHits struct {
	Generation uint64    `json:"generation"`
	Query      *ViewHit  `json:"query,omitempty"`
	Hits       []ViewHit `json:"hits"`
	TookMs     float64   `json:"took_ms"`
}

// ViewColor is one field's column.
type ViewColor struct {
	Field  ViewField
	Codes  []uint16  // category
	Values []float32 // number
}

func (e *Viewer) summaryLocked(ctx context.Context, vr viewRows) (ViewSummary, error) {
	vs := vr.vs
	cols, err := e.viewColumns(ctx, vr)
	if err != nil {
		return ViewSummary{}, err
	}
	sp, err := e.eng.Space(vs.dataset, vs.space)
	if err != nil {
		return ViewSummary{}, err
	}
	nthumb, err := e.eng.DB().ThumbnailCount(vs.dataset)
	if err != nil {
		return ViewSummary{}, engine.FromStorage(err)
	}
	s := ViewSummary{Dataset: vs.dataset, Space: vs.space, Level: vs.level.String(), Metric: sp.Info.Metric,
		Count: vr.n(), Generation: vr.gen(), Layout: vr.layoutInfo(), Fields: make([]ViewField, 0, len(cols)),
		Thumbnails: nthumb}
	for _, c := range cols {
		s.Fields = append(s.Fields, c.field)
	}
	base := "/v1/datasets/" + url.PathEscape(vs.dataset) + "/view"
	q := "?space=" + url.QueryEscape(vs.space) + "&level=" + vs.level.String()
	if ov := vr.ov; ov != nil {
		q += "&with=" + url.QueryEscape(ov.dataset)
		nb, err := e.eng.DB().ThumbnailCount(ov.dataset)
		if err != nil {
			return ViewSummary{}, engine.FromStorage(err)
		}
		s.Thumbnails += nb
		s.Overlay = &ViewOverlay{Dataset: ov.dataset, Offset: len(vs.iids), Count: len(ov.iids), Thumbnails: nb,
			Placement: OverlayPlacement, K: placeK}
	}
	s.URLs = map[string]string{
		"points": base + "/points.bin" + q,
		"color":  base + "/color.bin" + q + "&field=",
		"row":    base + "/row/{row}" + q,
		"rows":   base + "/rows",
	}
	return s, nil
}

// View summarises the embedding view of a space level, computing a layout
// on first use (PCA at once, UMAP in the background for up to
// Options.AutoUMAPMax rows).
func (e *Viewer) View(ctx context.Context, dataset string, ref ViewRef) (ViewSummary, error) {
	vr, err := e.viewRows(ctx, dataset, ref)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vr.unlock()
	return e.summaryLocked(ctx, vr)
}

// ViewPoints returns the coordinates of every row, in [-1,1], and the
// layout they come from.
func (e *Viewer) ViewPoints(ctx context.Context, dataset string, ref ViewRef) ([][2]float32, LayoutInfo, error) {
	vr, err := e.viewRows(ctx, dataset, ref)
	if err != nil {
		return nil, LayoutInfo{}, err
	}
	defer vr.unlock()
	coords := slices.Clone(vr.vs.coords)
	if vr.ov != nil {
		coords = append(coords, vr.ov.coords...)
	}
	return coords, vr.layoutInfo(), nil
}

// EncodeViewPoints is points.bin: "REEFVIEW", uint32 format version, uint32
// n, then n × (float32 x, float32 y), little-endian.
func EncodeViewPoints(coords [][2]float32) []byte {
	buf := make([]byte, 16, 16+8*len(coords))
	copy(buf, viewMagic)
	binary.LittleEndian.PutUint32(buf[8:], ViewFormat)
	binary.LittleEndian.PutUint32(buf[12:], uint32(len(coords)))
	for _, c := range coords {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(c[0]))
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(c[1]))
	}
	return buf
}

// DecodeViewPoints parses points.bin.
func DecodeViewPoints(b []byte) ([][2]float32, error) {
	if len(b) < 16 || string(b[:8]) != viewMagic {
		return nil, fmt.Errorf("%w: not a points.bin (bad magic)", engine.ErrInvalid)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != ViewFormat {
		return nil, fmt.Errorf("%w: points.bin version %d", engine.ErrInvalid, v)
	}
	n := binary.LittleEndian.Uint32(b[12:])
	if uint64(len(b)-16) != 8*uint64(n) {
		return nil, fmt.Errorf("%w: points.bin holds %d bytes for %d points", engine.ErrInvalid, len(b)-16, n)
	}
	out := make([][2]float32, n)
	for i := range out {
		r := b[16+8*i:]
		out[i] = [2]float32{math.Float32frombits(binary.LittleEndian.Uint32(r)), math.Float32frombits(binary.LittleEndian.Uint32(r[4:]))}
	}
	return out, nil
}

// ThumbnailURL is the REST path of a point's thumbnail.
func ThumbnailURL(dataset, id string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/points/" + url.PathEscape(id) + "/thumbnail"
}

// ImageURL is the REST path of a point's preview (≤1024 px JPEG).
func ImageURL(dataset, id string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/points/" + url.PathEscape(id) + "/image"
}

// ObjectThumbnailURL is the REST path of an object's crop.
func ObjectThumbnailURL(dataset, id, oid string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/points/" + url.PathEscape(id) + "/objects/" + url.PathEscape(oid) + "/thumbnail"
}

// AudioURL is the REST path of a point's playable audio.
func AudioURL(dataset, id string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/points/" + url.PathEscape(id) + "/audio"
}
