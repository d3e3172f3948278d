package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Plot geometry (SVG user units).
const (
	svgW, svgH               = 820, 480
	padL, padR, padT, padB   = 70, 300, 40, 50
	plotW, plotH             = svgW - padL - padR, svgH - padT - padB
	legendX, legendY, legend = svgW - padR + 16, padT + 8, 18
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// WriteSVG draws recall (x, linear) against QPS (y, log10) with one
// polyline per series (source/backend/M/efC/threads, points in ef order),
// axes with ticks, and a legend. Rows with no QPS are skipped. The x axis
// starts at the lowest recall (rounded down to 0.1, at most 0.9).
func (r *Report) WriteSVG(w io.Writer) error { return r.WriteSVGFrom(w, 0) }

// WriteSVGFrom is WriteSVG with the x axis starting at minRecall (0 means
// automatic); points below it are left out, so a series far below the rest
// (e.g. a backend with a recall bug) does not squash the interesting range.
// Every series still gets its polyline and legend entry.
func (r *Report) WriteSVGFrom(w io.Writer, minRecall float64) error {
	names, by := series(r.Rows)
	xmin, qmin, qmax := 1.0, math.Inf(1), math.Inf(-1)
	for _, x := range r.Rows {
		if x.QPS <= 0 || x.Recall < minRecall {
			continue
		}
		xmin = math.Min(xmin, x.Recall)
		qmin, qmax = math.Min(qmin, x.QPS), math.Max(qmax, x.QPS)
	}
	if math.IsInf(qmin, 1) {
		qmin, qmax = 1, 10
	}
	xmin = math.Min(math.Floor(xmin*10)/10, 0.9)
	if minRecall > 0 && minRecall < 1 {
		xmin = minRecall
	}
	ylo, yhi := math.Floor(math.Log10(qmin)), math.Ceil(math.Log10(qmax))
	if yhi <= ylo {
		yhi = ylo + 1
	}
	px := func(rec float64) float64 { return padL + (rec-xmin)/(1-xmin)*plotW }
	py := func(q float64) float64 { return padT + plotH - (math.Log10(q)-ylo)/(yhi-ylo)*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">%s</text>`+"\n", padL, esc(fmt.Sprintf("%s — recall@%d vs QPS", r.Workload.Name, r.Workload.K)))
	// Axes.
	fmt.Fprintf(&b, `<path d="M%d %d V%d H%d" fill="none" stroke="black"/>`+"\n", padL, padT, padT+plotH, padL+plotW)
	step := 0.1
	if 1-xmin <= 0.2 {
		step = 0.02
	}
	for i := 0; xmin+float64(i)*step <= 1+1e-9; i++ {
		t := xmin + float64(i)*step
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/><text x="%.1f" y="%d" text-anchor="middle">%.2f</text>`+"\n", x, padT+plotH, x, padT+plotH+5, x, padT+plotH+18, t)
	}
	for e := ylo; e <= yhi; e++ {
		y := py(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL, y, padL+plotW, y, padL-6, y+4, esc(fmtQPS(math.Pow(10, e))))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">recall@%d</text>`+"\n", padL+plotW/2, svgH-10, r.Workload.K)
	fmt.Fprintf(&b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">queries per second (log)</text>`+"\n", padT+plotH/2)
	// Series and legend.
	for i, s := range names {
		col := palette[i%len(palette)]
		var pts []string
		for _, x := range by[s] {
			if x.QPS > 0 && x.Recall >= xmin {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x.Recall), py(x.QPS)))
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`+"\n", col, strings.Join(pts, " "), esc(s))
		for _, p := range pts {
			xy := strings.SplitN(p, ",", 2)
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`+"\n", xy[0], xy[1], col)
		}
		y := legendY + i*legend
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`+"\n", legendX, y, legendX+20, y, col, legendX+26, y+4, esc(s))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtQPS(q float64) string {
	switch {
	case q >= 1e6:
		return fmt.Sprintf("%gM", q/1e6)
	case q >= 1e3:
		return fmt.Sprintf("%gk", q/1e3)
	}
	return fmt.Sprintf("%g", q)
}

func esc(s string) string { return html.EscapeString(s) }
