package view

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// objectsKey is the metadata key of per-object values (see buildColumns).
const objectsKey = "objects"

type viewColumn struct {
	field ViewField
	codes []uint16
	nums  []float32
}

type colBuilder struct {
	name    string
	n       int
	vals    []string // per row, "" = missing (strings and categories)
	present []bool
	nums    []float64
	counts  map[string]int
	allNum  bool
	allInt  bool
	count   int
}

func newColBuilder(name string, n int) *colBuilder {
	return &colBuilder{name: name, n: n, vals: make([]string, n), present: make([]bool, n), nums: make([]float64, n),
		counts: map[string]int{}, allNum: true, allInt: true}
}

func (b *colBuilder) set(row int, v any) {
	if b.present[row] {
		return
	}
	var s string
	switch x := v.(type) {
	case nil:
		return
	case string:
		s = x
		b.allNum = false
	case bool:
		s = strconv.FormatBool(x)
		b.allNum = false
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
		b.nums[row] = x
		if x != math.Trunc(x) {
			b.allInt = false
		}
	case []any:
		parts := make([]string, 0, len(x))
		for _, el := range x {
			if el != nil {
				parts = append(parts, fmt.Sprint(el))
			}
		}
		if len(parts) == 0 {
			return
		}
		sort.Strings(parts)
		s = strings.Join(parts, ", ")
		b.allNum = false
	default:
		return
	}
	b.present[row], b.vals[row] = true, s
	b.count++
	if len(b.counts) <= 1<<16 || b.counts[s] > 0 {
		b.counts[s]++
	}
}

// build turns the column into a category field (≤256 values, or the 255
// most frequent plus "(other)" when values repeat), a number field, or
// nothing (identifier-like strings).
func (b *colBuilder) build() *viewColumn {
	if b.count == 0 {
		return nil
	}
	distinct := len(b.counts)
	asNumber := b.allNum && (!b.allInt || distinct > 64)
	if asNumber {
		col := &viewColumn{field: ViewField{Name: b.name, Kind: "number", Count: b.count}, nums: make([]float32, b.n)}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range b.n {
			if !b.present[i] {
				col.nums[i] = float32(math.NaN())
				continue
			}
			v := b.nums[i]
			col.nums[i] = float32(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		col.field.Min, col.field.Max = &lo, &hi
		return col
	}
	if distinct > maxCategories && (distinct > 1<<16 || distinct*2 > b.count) {
		return nil // identifier-like: nothing to colour by
	}
	cats := make([]ViewCategory, 0, distinct)
	for v, c := range b.counts {
		cats = append(cats, ViewCategory{Value: v, Count: c})
	}
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].Count != cats[j].Count {
			return cats[i].Count > cats[j].Count
		}
		if b.allNum {
			x, _ := strconv.ParseFloat(cats[i].Value, 64)
			y, _ := strconv.ParseFloat(cats[j].Value, 64)
			return x < y
		}
		return cats[i].Value < cats[j].Value
	})
	other := false
	if len(cats) > maxCategories {
		rest := 0
		for _, c := range cats[maxCategories-1:] {
			rest += c.Count
		}
		cats = append(cats[:maxCategories-1], ViewCategory{Value: "(other)", Count: rest})
		other = true
	}
	code := make(map[string]uint16, len(cats))
	for i, c := range cats {
		code[c.Value] = uint16(i)
	}
	col := &viewColumn{field: ViewField{Name: b.name, Kind: "category", Count: b.count, Categories: cats, Other: other}, codes: make([]uint16, b.n)}
	for i := range b.n {
		switch c, ok := code[b.vals[i]]; {
		case !b.present[i]:
			col.codes[i] = MissingCategory
		case ok:
			col.codes[i] = c
		default:
			col.codes[i] = uint16(len(cats) - 1)
		}
	}
	return col
}

// viewColumns are the colour columns of a view's rows.
func (e *Viewer) viewColumns(ctx context.Context, vr viewRows) ([]*viewColumn, error) {
	if vr.ov != nil {
		return e.overlayColumns(ctx, vr)
	}
	return e.viewFields(ctx, vr.vs)
}

// viewFields builds (or returns the cached) colour columns; vs is locked.
func (e *Viewer) viewFields(ctx context.Context, vs *viewState) ([]*viewColumn, error) {
	if vs.fields != nil && vs.fieldsSeq == vs.seq {
		return vs.fields, nil
	}
	cols, err := e.buildColumns(ctx, vs.level, len(vs.iids), []fieldSource{{dataset: vs.dataset, rowOf: vs.rowOf}})
	if err != nil {
		return nil, err
	}
	vs.fields, vs.fieldsSeq = cols, vs.seq
	return cols, nil
}

// fieldSource is a dataset whose rows (rowOf, shifted by offset) take part
// in a set of colour columns.
type fieldSource struct {
	dataset string
	rowOf   map[uint64]int32
	offset  int
}

// buildColumns builds the colour columns of n rows from the metadata (and
// at object level the objects) of the sources' points.
func (e *Viewer) buildColumns(ctx context.Context, level storage.Level, n int, sources []fieldSource) ([]*viewColumn, error) {
	builders := map[string]*colBuilder{}
	get := func(name string) *colBuilder {
		b := builders[name]
		if b == nil && len(builders) < maxFields {
			b = newColBuilder(name, n)
			builders[name] = b
		}
		return b
	}
	// A map under the key "objects" holds per-object values keyed by object
	// id (evaluate writes <name>.objects); at object level it is the column
	// <prefix>object of each object's row, at point level it is skipped.
	var setMeta func(row int, prefix string, m map[string]any, depth int, objID string)
	setMeta = func(row int, prefix string, m map[string]any, depth int, objID string) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				switch {
				case k == objectsKey:
					if objID != "" {
						if b := get(prefix + "object"); b != nil {
							b.set(row, sub[objID])
						}
					}
				case depth < maxFieldDepth:
					setMeta(row, prefix+k+".", sub, depth+1, objID)
				}
				continue
			}
			if b := get(prefix + k); b != nil {
				b.set(row, v)
			}
		}
	}
	count := 0
	for _, src := range sources {
		err := e.eng.DB().ScanPoints(src.dataset, nil, func(p *storage.Point) error {
			if count++; count%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var meta map[string]any
			if len(p.Metadata) > 0 {
				json.Unmarshal(p.Metadata, &meta) // stored metadata is a checked object
			}
			if level == storage.LevelPoint {
				if r, ok := src.rowOf[p.IID]; ok {
					setMeta(src.offset+int(r), "", meta, 1, "")
				}
				return nil
			}
			for i := range p.Objects {
				o := &p.Objects[i]
				r, ok := src.rowOf[o.IID]
				if !ok {
					continue
				}
				row := src.offset + int(r)
				if b := get("object.class"); b != nil && o.Class != "" {
					b.set(row, o.Class)
				}
				if b := get("object.kind"); b != nil {
					b.set(row, o.Kind)
				}
				if b := get("object.score"); b != nil && o.Score != nil {
					b.set(row, float64(*o.Score))
				}
				setMeta(row, "", meta, 1, o.ID)
			}
			return nil
		})
		if err != nil {
			return nil, engine.FromStorage(err)
		}
	}
	names := make([]string, 0, len(builders))
	for name := range builders {
		names = append(names, name)
	}
	sort.Strings(names)
	cols := make([]*viewColumn, 0, len(names))
	for _, name := range names {
		if c := builders[name].build(); c != nil {
			cols = append(cols, c)
		}
	}
	return cols, nil
}

// EncodeColor is color.bin: n × uint16 codes (MissingCategory = missing)
// for a category field, n × float32 (NaN = missing) for a number field,
// little-endian.
func EncodeColor(c ViewColor) []byte {
	if c.Field.Kind == "category" {
		buf := make([]byte, 0, 2*len(c.Codes))
		for _, v := range c.Codes {
			buf = binary.LittleEndian.AppendUint16(buf, v)
		}
		return buf
	}
	buf := make([]byte, 0, 4*len(c.Values))
	for _, v := range c.Values {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return buf
}

// ViewColor returns one colour field's column.
func (e *Viewer) ViewColor(ctx context.Context, dataset string, ref ViewRef, field string) (ViewColor, error) {
	if field == "" {
		return ViewColor{}, engine.FieldErr(engine.ErrInvalid, "field", "is required")
	}
	vr, err := e.viewRows(ctx, dataset, ref)
	if err != nil {
		return ViewColor{}, err
	}
	defer vr.unlock()
	cols, err := e.viewColumns(ctx, vr)
	if err != nil {
		return ViewColor{}, err
	}
	for _, c := range cols {
		if c.field.Name == field {
			return ViewColor{Field: c.field, Codes: c.codes, Values: c.nums}, nil
		}
	}
	return ViewColor{}, engine.FieldErr(engine.ErrNotFound, "field", "no colour field %q in this view", field)
}
