package extract

import (
	"fmt"
	"math"
	"slices"
)

// decodeItem turns item n of a run's outputs into detections for an image
// of imgW×imgH pixels preprocessed with t.
func (d *Detector) decodeItem(outs map[string]*Tensor, n int, t Transform, imgW, imgH int) ([]Detection, error) {
	s := &d.spec
	hm, err := headFromTensor(outs[s.Heatmap], s.HeadLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: heatmap %q: %v", ErrBadModel, s.Heatmap, err)
	}
	bx, err := headFromTensor(outs[s.Boxes], s.HeadLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: boxes %q: %v", ErrBadModel, s.Boxes, err)
	}
	switch {
	case hm.h*s.Stride != s.InputSize[0] || hm.w*s.Stride != s.InputSize[1]:
		return nil, fmt.Errorf("%w: heatmap %q is %d×%d, but input %v / stride %d implies %d×%d",
			ErrBadModel, s.Heatmap, hm.h, hm.w, s.InputSize, s.Stride, s.InputSize[0]/s.Stride, s.InputSize[1]/s.Stride)
	case bx.h != hm.h || bx.w != hm.w || bx.c != 4:
		return nil, fmt.Errorf("%w: boxes %q is %d×%d×%d, want %d×%d×4", ErrBadModel, s.Boxes, bx.h, bx.w, bx.c, hm.h, hm.w)
	case len(s.Classes) > 0 && hm.c != len(s.Classes):
		return nil, fmt.Errorf("%w: heatmap %q has %d classes, the manifest names %d", ErrBadModel, s.Heatmap, hm.c, len(s.Classes))
	}
	raw := decodePeaks(hm, bx, float32(s.Stride), s.ScoreThreshold, s.TopK)
	// Map to original pixels, clip to the image, then NMS there.
	kept := raw[:0]
	for _, r := range raw {
		x1, y1 := (float64(r.box[0])-t.OffsetX)/t.ScaleX, (float64(r.box[1])-t.OffsetY)/t.ScaleY
		x2, y2 := (float64(r.box[2])-t.OffsetX)/t.ScaleX, (float64(r.box[3])-t.OffsetY)/t.ScaleY
		x1, x2 = clampF(x1, 0, float64(imgW)), clampF(x2, 0, float64(imgW))
		y1, y2 = clampF(y1, 0, float64(imgH)), clampF(y2, 0, float64(imgH))
		if !(x2-x1 >= 1 && y2-y1 >= 1) {
			continue
		}
		r.box = [4]float32{float32(x1), float32(y1), float32(x2), float32(y2)}
		kept = append(kept, r)
	}
	kept = nms(kept, s.NMSIoU, s.NMSPerClass, s.MaxDetections)
	out := make([]Detection, len(kept))
	for i, r := range kept {
		bb := [4]float32{r.box[0], r.box[1], r.box[2] - r.box[0], r.box[3] - r.box[1]}
		v, err := d.boxVector(outs, n, t, bb)
		if err != nil {
			return nil, err
		}
		out[i] = Detection{Class: s.ClassName(r.class), ClassID: r.class, Score: r.score, BBox: bb, Vector: v}
	}
	return out, nil
}

// headView is one item of a detection head tensor.
type headView struct {
	data    []float32
	h, w, c int
	nhwc    bool
}

func (v headView) at(r, col, k int) float32 {
	if v.nhwc {
		return v.data[(r*v.w+col)*v.c+k]
	}
	return v.data[(k*v.h+r)*v.w+col]
}

func headFromTensor(t *Tensor, layout string, n int) (headView, error) {
	if t == nil {
		return headView{}, fmt.Errorf("missing from the model outputs")
	}
	if len(t.Shape) != 4 {
		return headView{}, fmt.Errorf("shape %v is not 4-D", t.Shape)
	}
	per := 1
	for _, d := range t.Shape[1:] {
		if d <= 0 || d > 1<<20 {
			return headView{}, fmt.Errorf("shape %v has a bad dimension", t.Shape)
		}
		per *= int(d)
	}
	if int64(n) >= t.Shape[0] || len(t.Data) < (n+1)*per {
		return headView{}, fmt.Errorf("item %d of shape %v (%d values)", n, t.Shape, len(t.Data))
	}
	v := headView{data: t.Data[n*per : (n+1)*per], nhwc: layout != "nchw"}
	if v.nhwc {
		v.h, v.w, v.c = int(t.Shape[1]), int(t.Shape[2]), int(t.Shape[3])
	} else {
		v.c, v.h, v.w = int(t.Shape[1]), int(t.Shape[2]), int(t.Shape[3])
	}
	return v, nil
}

// rawDet is a decoded peak: box (x1,y1,x2,y2), score and class.
type rawDet struct {
	box   [4]float32
	score float32
	class int
	flat  int // (row·W + col)·K + class, the TFJS TopK index (tie-break)
}

// decodePeaks keeps heatmap values ≥ thr that equal the 3×3 max-pool (stride
// 1, SAME padding) at their position, takes the topK by score (ties: lower
// flat index first, like TopKV2) and decodes their boxes in input pixels:
// x1 = s·col − b0, y1 = s·row − b1, x2 = s·col + b2, y2 = s·row + b3.
// Thresholding before top-K gives the same set as top-K then threshold.
// Peaks with non-finite box values are dropped.
func decodePeaks(hm, bx headView, stride, thr float32, topK int) []rawDet {
	var out []rawDet
	hw := hm.h * hm.w
	for i, v := range hm.data[:hm.h*hm.w*hm.c] {
		if !(v >= thr) { // also drops NaN
			continue
		}
		var r, col, k int
		if hm.nhwc {
			k, col, r = i%hm.c, (i/hm.c)%hm.w, i/(hm.c*hm.w)
		} else {
			k, r, col = i/hw, (i%hw)/hm.w, i%hm.w
		}
		if !isPeak(hm, r, col, k, v) {
			continue
		}
		b := [4]float32{bx.at(r, col, 0), bx.at(r, col, 1), bx.at(r, col, 2), bx.at(r, col, 3)}
		if !finite32(b[0]) || !finite32(b[1]) || !finite32(b[2]) || !finite32(b[3]) {
			continue
		}
		cx, cy := stride*float32(col), stride*float32(r)
		out = append(out, rawDet{box: [4]float32{cx - b[0], cy - b[1], cx + b[2], cy + b[3]}, score: v, class: k, flat: (r*hm.w+col)*hm.c + k})
	}
	slices.SortFunc(out, func(a, b rawDet) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.flat - b.flat
	})
	if len(out) > topK {
		out = out[:topK]
	}
	return out
}

// isPeak reports whether v = hm(r,col,k) is the maximum of its 3×3
// neighbourhood in channel k (ties count as peaks, as with max-pool
// equality).
func isPeak(hm headView, r, col, k int, v float32) bool {
	for dr := -1; dr <= 1; dr++ {
		rr := r + dr
		if rr < 0 || rr >= hm.h {
			continue
		}
		for dc := -1; dc <= 1; dc++ {
			cc := col + dc
			if cc < 0 || cc >= hm.w || (dr == 0 && dc == 0) {
				continue
			}
			if hm.at(rr, cc, k) > v {
				return false
			}
		}
	}
	return true
}

// nms greedily keeps the best-scoring boxes (dets must be sorted by score,
// best first), suppressing any box whose IoU with a kept box exceeds iouThr
// (only within its class when perClass), until maxOut are kept.
func nms(dets []rawDet, iouThr float32, perClass bool, maxOut int) []rawDet {
	var kept []rawDet
	for _, d := range dets {
		if len(kept) >= maxOut {
			break
		}
		ok := true
		for _, k := range kept {
			if (!perClass || k.class == d.class) && iou(k.box, d.box) > iouThr {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, d)
		}
	}
	return kept
}

// iou is the intersection over union of two (x1,y1,x2,y2) boxes.
func iou(a, b [4]float32) float32 {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := float64(iw) * float64(ih)
	union := float64(a[2]-a[0])*float64(a[3]-a[1]) + float64(b[2]-b[0])*float64(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return float32(inter / union)
}

func clampF(v, lo, hi float64) float64 {
	return math.Min(math.Max(v, lo), hi)
}
