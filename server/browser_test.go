package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/view"
)

// The embedding view in a real browser: Debian's chromium, headless, with
// software WebGL (SwiftShader). Skipped when chromium is not installed.

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless chromium with a fresh profile.
func newBrowser(t testing.TB, width, height int) (context.Context, context.CancelFunc) {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// WebGL on the CPU: SwiftShader through ANGLE.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	return ctx, func() { cancelC(); cancelA() }
}

// loadFashion puts n Fashion-MNIST t10k images into dataset fmnist, space
// pixels (784-d, l2), metadata {"label": class}, with 28×28 PNG thumbnails.
func loadFashion(t testing.TB, ls *liveServer, n int) []uint8 {
	return loadFashionSplit(t, ls, "fmnist", "t10k", n)
}

// loadFashionSplit puts the first n images of a Fashion-MNIST split into a
// dataset as loadFashion does (ids "<split>-00000"...).
func loadFashionSplit(t testing.TB, ls *liveServer, dataset, split string, n int) []uint8 {
	t.Helper()
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("dataset-fashion-mnist not installed (make setup installs it)")
	}
	set, err := fashionmnist.Load(fashionmnist.DefaultDir, split)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ls.eng.CreateDataset(ctx, dataset); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.eng.CreateSpace(ctx, dataset, engine.SpaceSpec{Name: "pixels", Dim: 784, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < n; start += 1000 {
		var pts []engine.PointInput
		for i := start; i < min(n, start+1000); i++ {
			meta, _ := json.Marshal(map[string]any{"label": fashionmnist.ClassNames[set.Labels[i]], "ink": inkOf(set.Images[i])})
			pts = append(pts, engine.PointInput{ID: fmt.Sprintf("%s-%05d", split, i), Metadata: meta,
				Vectors: map[string][]float32{"pixels": set.Images[i]}})
		}
		if _, err := ls.eng.Upsert(ctx, dataset, pts); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	var thumbs [][]byte
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p, v := range set.Images[i] {
			img.Pix[p] = uint8(v)
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		ids, thumbs = append(ids, fmt.Sprintf("%s-%05d", split, i)), append(thumbs, buf.Bytes())
		if len(ids) == 1000 || i == n-1 {
			if err := ls.srv.ing.StoreThumbnails(ctx, dataset, ids, thumbs); err != nil {
				t.Fatal(err)
			}
			ids, thumbs = nil, nil
		}
	}
	return set.Labels[:n]
}

func inkOf(px []float32) float64 {
	var s float64
	for _, v := range px {
		s += float64(v)
	}
	return s / 784 / 255
}

func waitLayout(t testing.TB, base, method string, timeout time.Duration) view.ViewSummary {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(base + "/v1/datasets/fmnist/view?space=pixels")
		if err != nil {
			t.Fatal(err)
		}
		var sum view.ViewSummary
		json.NewDecoder(resp.Body).Decode(&sum)
		resp.Body.Close()
		if sum.Layout.Method == method && sum.Layout.State == view.LayoutReady {
			return sum
		}
		if sum.Layout.State == view.LayoutFailed || time.Now().After(deadline) {
			t.Fatalf("layout %s not ready: %+v", method, sum.Layout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const countInk = `(() => {
  const c = document.querySelector('#stage canvas');
  const t = document.createElement('canvas');
  t.width = c.width; t.height = c.height;
  const x = t.getContext('2d');
  x.drawImage(c, 0, 0);
  const d = x.getImageData(0, 0, t.width, t.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
})()`

func TestBrowserEmbeddingView(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	if chromiumPath() == "" {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	ls := startLive(t, t.TempDir())
	defer ls.stop(t)
	n := 5000
	if raceEnabled {
		n = 2000
	}
	t0 := time.Now()
	loadFashion(t, ls, n)
	t.Logf("loaded %d points with thumbnails in %v", n, time.Since(t0).Round(time.Millisecond))
	// The first view starts UMAP in the background; the page shows PCA
	// meanwhile and swaps when it lands. Wait for it for a good picture.
	start := time.Now()
	waitLayout(t, ls.base, "umap", 5*time.Minute)
	t.Logf("first view of %d points, PCA then UMAP (k-NN graph + layout): %v", n, time.Since(start).Round(time.Millisecond))

	ctx, cancel := newBrowser(t, 1440, 900)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		t.Fatal(err)
	}
	nav := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(ls.base+"/#ds=fmnist&space=pixels&level=point")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__reef && window.__reef.ready && window.__reef.rendered > 0`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
		t.Fatalf("page did not render: %v (status %q)", err, status)
	}
	t.Logf("first render after %v", time.Since(nav).Round(time.Millisecond))
	renderer, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__reef.renderer`))
	if err != nil {
		t.Fatal(err)
	}
	rendered, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.rendered`))
	if rendered != n {
		t.Fatalf("rendered %d points, want %d", rendered, n)
	}
	ink, err := chromedp.Run(ctx, chromedp.Evaluate[int](countInk))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("renderer %s drew %d points covering %d pixels", renderer, rendered, ink)
	if ink < 2000 {
		t.Fatalf("only %d painted pixels for %d points", ink, n)
	}

	// Coloured by label: the legend lists the ten classes.
	colour, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('color').value`))
	items, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#legend .legend-item:not(.missing)').length`))
	if colour != "label" || items != 10 {
		t.Fatalf("colour %q with %d legend entries, want label with 10", colour, items)
	}
	legend, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#legend .legend-item .lv')].map(e => e.textContent)`))
	for _, want := range fashionmnist.ClassNames {
		found := false
		for _, got := range legend {
			found = found || got == want
		}
		if !found {
			t.Fatalf("legend %v lacks %q", legend, want)
		}
	}

	// Click a point (a real mouse click at its position): the panel shows it
	// and its neighbours as thumbnails.
	r := rand.New(rand.NewPCG(5, 5))
	var clicked int
	for try := 0; ; try++ {
		row := r.IntN(n)
		pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const p = window.__reef.screenOf(%d); const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [p[0] + r.left, p[1] + r.top, window.__reef.pick(p[0], p[1])]; })()`, row)))
		if err != nil {
			t.Fatal(err)
		}
		if pos[2] < 0 || try > 20 {
			continue
		}
		clicked = int(pos[2])
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(pos[0], pos[1])); err != nil {
			t.Fatal(err)
		}
		break
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const imgs = [...document.querySelectorAll('#detail .nb img')]; return imgs.length >= 10 && imgs.every(i => i.complete && i.naturalWidth === 28); })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML`))
		t.Fatalf("neighbour thumbnails did not appear after clicking row %d: %v\n%s", clicked, err, html)
	}
	title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#detail .hit-id').textContent`))
	big, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = document.querySelector('#detail canvas.full'); return !!c && c.dataset.natural === '28x28' && c.width >= 280; })()`))
	focus, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.focus()`))
	if title != fmt.Sprintf("t10k-%05d", focus) || !big || focus < 0 {
		t.Fatalf("panel shows %q (thumbnail %v), want the clicked row %d (near row %d)", title, big, focus, clicked)
	}
	// Clicking a neighbour selects it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#detail .nb .tile`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('#detail .hit-id')?.textContent !== %q && document.querySelectorAll('#detail .nb img').length >= 10`, title), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("clicking a neighbour did not select it: %v", err)
	}

	// The page side of audio (issue 8): a point whose details carry an
	// audio_url gets a player, its neighbours a play button. The details
	// are rewritten in the page here, as no point of this dataset has audio.
	checkAudioHook(t, ctx, ls)

	// Two datasets overlaid: a train sample drawn into the t10k layout.
	m := 1500
	if raceEnabled {
		m = 600
	}
	loadFashionSplit(t, ls, "fmtrain", "train", m)
	checkOverlay(t, ctx, ls, n, m)

	// Object level: the crops of the boxes, not the whole images.
	checkObjectCrops(t, ctx, ls)
}

// clickRow clicks (a real mouse click) the first of rows whose position
// picks it back, and returns it; -1 when none does.
func clickRow(t *testing.T, ctx context.Context, rows []int) int {
	t.Helper()
	for _, row := range rows {
		pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const p = window.__reef.screenOf(%d); const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [p[0] + r.left, p[1] + r.top, window.__reef.pick(p[0], p[1])]; })()`, row)))
		if err != nil {
			t.Fatal(err)
		}
		if int(pos[2]) != row {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(pos[0], pos[1])); err != nil {
			t.Fatal(err)
		}
		return row
	}
	return -1
}

// navigate opens the page at a hash and waits for the first coloured frame.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	// Polled by hand: a poll across the page's start can lose its context.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(window.__reef && window.__reef.ready && window.__reef.rendered > 0)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
			t.Fatalf("page %s did not render: %v (status %q)", url, err, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkAudioHook(t *testing.T, ctx context.Context, ls *liveServer) {
	t.Helper()
	const patch = `(() => {
  const f = window.fetch;
  window.fetch = async (...a) => {
    const r = await f(...a);
    if (!String(a[0]).endsWith('/neighbors')) return r;
    const j = await r.json();
    for (const h of [j.query, ...j.hits]) h.audio_url = '/v1/datasets/fmnist/points/' + h.id + '/audio';
    return new Response(JSON.stringify(j), {status: 200, headers: {'Content-Type': 'application/json'}});
  };
  return true;
})()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](patch)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.__reef.select(7), true)`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const a = document.querySelector('#detail .card audio'); return !!a && a.controls && a.src.endsWith('/v1/datasets/fmnist/points/t10k-00007/audio') && document.querySelectorAll('#detail .nb .tile .play').length >= 10; })()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML`))
		t.Fatalf("no audio player for a point with audio_url: %v\n%s", err, html)
	}
}

func checkOverlay(t *testing.T, ctx context.Context, ls *liveServer, n, m int) {
	t.Helper()
	navigate(t, ctx, ls.base+"/#ds=fmnist&space=pixels&level=point&with=fmtrain")
	rendered, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.rendered`))
	if rendered != n+m {
		t.Fatalf("overlay rendered %d points, want %d + %d", rendered, n, m)
	}
	// Coloured by dataset (the default when overlaying, offered only then):
	// two legend entries with their counts.
	colour, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('color').value`))
	legend, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#legend .legend-item:not(.missing)')].map(e => e.querySelector('.lv').textContent + '=' + e.querySelector('.lc').textContent.replace(/\D/g, ''))`))
	want := []string{fmt.Sprintf("fmnist=%d", n), fmt.Sprintf("fmtrain=%d", m)}
	if colour != "dataset" || len(legend) != 2 || legend[0] != want[0] || legend[1] != want[1] {
		t.Fatalf("overlay coloured by %q with legend %v, want dataset with %v", colour, legend, want)
	}
	options, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.getElementById('color').options].map(o => o.value)`))
	if !slices.Contains(options, "label") {
		t.Fatalf("colour menu of the overlay: %v", options)
	}
	shot(t, ctx, shotDir(t), "overlay")
	ink, _ := chromedp.Run(ctx, chromedp.Evaluate[int](countInk))
	if ink < 2000 {
		t.Fatalf("overlay painted %d pixels", ink)
	}
	// Click a train point: its own details, thumbnail and neighbours.
	r := rand.New(rand.NewPCG(8, 8))
	var rows []int
	for range 60 {
		rows = append(rows, n+r.IntN(m))
	}
	row := clickRow(t, ctx, rows)
	if row < 0 {
		t.Fatal("no train point could be clicked")
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const imgs = [...document.querySelectorAll('#detail .nb img')]; const big = document.querySelector('#detail canvas.full'); return imgs.length >= 10 && imgs.every(i => i.complete && i.naturalWidth === 28) && big && big.dataset.natural === '28x28'; })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML`))
		t.Fatalf("train point %d: no details: %v\n%s", row, err, html)
	}
	title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#detail .hit-id').textContent`))
	ds, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#detail .card tr')].find(tr => tr.cells[0].textContent === 'dataset')?.cells[1].textContent ?? ''`))
	focus, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.focus()`))
	if focus != row || ds != "fmtrain" || title != fmt.Sprintf("train-%05d", row-n) {
		t.Fatalf("clicked train row %d: panel shows %q of %q (focus %d)", row, title, ds, focus)
	}
	// Without the overlay the dataset colour is not offered.
	navigate(t, ctx, ls.base+"/#ds=fmnist&space=pixels&level=point")
	options, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.getElementById('color').options].map(o => o.value)`))
	withOpts, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.getElementById('with').options].map(o => o.value)`))
	if slices.Contains(options, "dataset") || !slices.Contains(withOpts, "fmtrain") {
		t.Fatalf("without overlay: colours %v, overlay choices %v", options, withOpts)
	}
}

// checkObjectCrops builds a small dataset of 200×120 images with two boxes
// each (a red one on the left, a blue one on the right), stores the
// original images as thumbnails (which cuts the crops) and checks that at
// object level hover and click show the box's crop.
func checkObjectCrops(t *testing.T, ctx context.Context, ls *liveServer) {
	t.Helper()
	bctx := context.Background()
	if _, err := ls.eng.CreateDataset(bctx, "boxes"); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.eng.CreateSpace(bctx, "boxes", engine.SpaceSpec{Name: "emb", Dim: 2, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	const nimg = 40
	var pts []engine.PointInput
	var ids []string
	var imgs [][]byte
	r := rand.New(rand.NewPCG(3, 3))
	for i := range nimg {
		id := fmt.Sprintf("img%02d", i)
		pts = append(pts, engine.PointInput{ID: id, Vectors: map[string][]float32{"emb": {float32(i), 0}}, Objects: []engine.ObjectInput{
			{ID: "left", Class: "red", BBox: [4]float32{10, 20, 40, 30}, Vectors: map[string][]float32{"emb": {float32(r.NormFloat64()), float32(r.NormFloat64())}}},
			{ID: "right", Class: "blue", BBox: [4]float32{130, 40, 60, 50}, Vectors: map[string][]float32{"emb": {10 + float32(r.NormFloat64()), float32(r.NormFloat64())}}},
		}})
		img := image.NewNRGBA(image.Rect(0, 0, 200, 120))
		for y := range 120 {
			for x := range 200 {
				c := color.NRGBA{R: 200, G: 30, B: 30, A: 255}
				if x >= 100 {
					c = color.NRGBA{R: 30, G: 30, B: 200, A: 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		ids, imgs = append(ids, id), append(imgs, buf.Bytes())
	}
	if _, err := ls.eng.Upsert(bctx, "boxes", pts); err != nil {
		t.Fatal(err)
	}
	if err := ls.srv.ing.StoreThumbnails(bctx, "boxes", ids, imgs); err != nil {
		t.Fatal(err)
	}
	// Let the background UMAP land first, so that points do not move
	// under the mouse.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		sum, err := ls.srv.view.View(bctx, "boxes", view.ViewRef{Space: "emb", Level: "object"})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Layout.State == view.LayoutReady && sum.Layout.Method == view.LayoutUMAP {
			break
		}
		if sum.Layout.State == view.LayoutFailed || time.Now().After(deadline) {
			t.Fatalf("object layout: %+v", sum.Layout)
		}
	}
	navigate(t, ctx, ls.base+"/#ds=boxes&space=emb&level=object")
	if lvl, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('level').value`)); lvl != "object" {
		t.Fatalf("level %q", lvl)
	}
	rows := make([]int, 2*nimg)
	for i := range rows {
		rows[i] = i
	}
	// Hover: the tooltip shows the crop.
	for _, row := range rows {
		pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const p = window.__reef.screenOf(%d); const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [p[0] + r.left, p[1] + r.top, window.__reef.pick(p[0], p[1])]; })()`, row)))
		if err != nil {
			t.Fatal(err)
		}
		if int(pos[2]) != row {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.MouseEvent("mouseMoved", pos[0], pos[1])); err != nil {
			t.Fatal(err)
		}
		break
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector('#tooltip img'); return !document.getElementById('tooltip').hidden && !!i && i.complete && i.naturalWidth > 0 && window.__reef.hoverThumb.includes('/objects/'); })()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('tooltip').outerHTML`))
		t.Fatalf("hovering an object shows no crop: %v\n%s", err, html)
	}
	// Click: the panel's big image is the box's crop (40×30 or 60×50
	// pixels, one colour), the whole 200×120 image (its preview, the image
	// at its own size) beside it.
	row := clickRow(t, ctx, rows)
	if row < 0 {
		t.Fatal("no object could be clicked")
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const b = document.querySelector('#detail img.big.crop'); const w = document.querySelector('#detail canvas.full'); return !!b && b.complete && b.naturalWidth > 0 && !!w; })()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML`))
		t.Fatalf("clicked object %d: no crop: %v\n%s", row, err, html)
	}
	const probeCrop = `(() => {
  const b = document.querySelector('#detail img.big.crop');
  const c = document.createElement('canvas');
  c.width = b.naturalWidth; c.height = b.naturalHeight;
  const x = c.getContext('2d');
  x.drawImage(b, 0, 0);
  const d = x.getImageData(0, 0, c.width, c.height).data;
  let red = 0, blue = 0;
  for (let i = 0; i < d.length; i += 4) { if (d[i] > 2 * d[i + 2]) red++; else if (d[i + 2] > 2 * d[i]) blue++; }
  const title = document.querySelector('#detail .hit-id').textContent;
  const whole = document.querySelector('#detail canvas.full').dataset.natural.split('x').map(Number);
  return [b.naturalWidth, b.naturalHeight, red, blue, whole[0], whole[1], title.endsWith('left') ? 0 : 1, b.src.includes('/objects/') ? 1 : 0];
})()`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](probeCrop))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{40, 30, 1200, 0, 200, 120, 0, 1}
	if got[6] == 1 {
		want = []int{60, 50, 0, 3000, 200, 120, 1, 1}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("crop in the panel [w h red blue wholeW wholeH right fromObjects] = %v, want %v", got, want)
	}
	// The legend entry "red" lists its objects in the grid, as crops.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`([...document.querySelectorAll('#legend .legend-item')].find(e => e.querySelector('.lv').textContent === 'red').click(), true)`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const t = [...document.querySelectorAll('#grid-inner .gtile img')]; return window.__reef.grid().rows.length === 40 && t.length >= 10 && t.every(i => i.complete && i.naturalWidth === 40 && i.naturalHeight === 30 && i.src.includes('/objects/')); })()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		g, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__reef.grid()) + document.getElementById('grid-inner').innerHTML.slice(0, 400)`))
		t.Fatalf("the grid of the red boxes does not show their 40×30 crops: %v\n%s", err, g)
	}
	shot(t, ctx, shotDir(t), "object-level")
}

// BenchmarkBrowserFirstRender1M measures navigation → first frame of one
// million points (synthetic 2-D vectors in 10 clusters, user coordinates,
// coloured by a 10-class label) in headless chromium. REEF_HEAVY=1 only.
func BenchmarkBrowserFirstRender1M(b *testing.B) {
	if os.Getenv("REEF_HEAVY") == "" {
		b.Skip("set REEF_HEAVY=1")
	}
	if chromiumPath() == "" {
		b.Skip("chromium not installed")
	}
	const n = 1_000_000
	dir := b.TempDir()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.SnapshotInterval, eo.NoSync = dir, 0, true
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	so := DefaultOptions()
	so.Addr = "127.0.0.1:0"
	srv, err := New(eng, so)
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	go srv.Serve(sctx, func(addr string) { ready <- addr })
	ls := &liveServer{base: "http://" + <-ready, eng: eng, srv: srv}
	ctx := context.Background()
	ls.eng.CreateDataset(ctx, "big")
	if _, err := ls.eng.CreateSpace(ctx, "big", engine.SpaceSpec{Name: "xy", Dim: 2, Metric: "l2", Index: engine.IndexSpec{Backend: "exact"}}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	ids := make([]string, n)
	data := make([]float32, 2*n)
	meta := make([]json.RawMessage, n)
	for i := range n {
		k := i % 10
		ids[i] = fmt.Sprintf("p%07d", i)
		data[2*i] = float32(k%5)*3 + float32(r.NormFloat64())
		data[2*i+1] = float32(k/5)*4 + float32(r.NormFloat64())
		meta[i] = json.RawMessage(fmt.Sprintf(`{"label":"c%d"}`, k))
	}
	t0 := time.Now()
	if _, err := ls.eng.Import(ctx, "big", engine.ImportBatch{Space: "xy", IDs: ids, Data: data, Dim: 2, Metadata: meta}, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("import of %d points: %v", n, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	coords := make([][]float32, n)
	for i := range coords {
		coords[i] = data[2*i : 2*i+2]
	}
	if _, err := ls.srv.view.ViewSetCoords(ctx, "big", view.ViewCoordsInput{ViewRef: view.ViewRef{Space: "xy"}, IDs: ids, Coords: coords}); err != nil {
		b.Fatal(err)
	}
	if _, err := ls.srv.view.ViewColor(ctx, "big", view.ViewRef{Space: "xy"}, "label"); err != nil {
		b.Fatal(err)
	}
	b.Logf("view of %d points (coordinates + colour field): %v", n, time.Since(t0).Round(time.Millisecond))
	bctx, cancel := newBrowser(b, 1440, 900)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil { // start the browser
		b.Fatal(err)
	}
	var ms []float64
	for b.Loop() {
		if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
		nav := time.Now()
		if err := chromedp.Do(bctx, chromedp.Navigate(ls.base+"/#ds=big&space=xy&color=label")); err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`window.__reef && window.__reef.ready && window.__reef.rendered === 1000000`, chromedp.WithPollingTimeout(5*time.Minute), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, float64(time.Since(nav).Milliseconds()))
		first, _ := chromedp.Run(bctx, chromedp.Evaluate[float64](`window.__reef.firstRenderMs`))
		coloured, _ := chromedp.Run(bctx, chromedp.Evaluate[float64](`window.__reef.readyMs`))
		renderer, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`window.__reef.renderer`))
		b.Logf("navigation → coloured frame %v wall; page clock: first frame %.0f ms, coloured %.0f ms (%s)", time.Since(nav).Round(time.Millisecond), first, coloured, renderer)
	}
	var sum float64
	for _, m := range ms {
		sum += m
	}
	b.ReportMetric(sum/float64(len(ms)), "ms/first-render")
}

// TestBrowserViewAfterRestart loads a dataset, restarts the server on the
// same data directory (the layout then comes from its file) and checks on
// the reopened page that colours, neighbours and Find similar still work.
func TestBrowserViewAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	if chromiumPath() == "" {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	dir := t.TempDir()
	ls := startLive(t, dir)
	n := 800
	loadFashion(t, ls, n)
	waitLayout(t, ls.base, "umap", 3*time.Minute)
	ls.stop(t)
	ls = startLive(t, dir)
	defer ls.stop(t)

	ctx, cancel := newBrowser(t, 1400, 900)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	navigate(t, ctx, ls.base+"/#ds=fmnist&space=pixels&level=point")
	colour, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('color').value`))
	items, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#legend .legend-item:not(.missing)').length`))
	if colour != "label" || items != 10 {
		t.Fatalf("after restart: colour %q with %d legend entries, want label with 10", colour, items)
	}
	layout, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('layout-info').textContent`))
	if !strings.Contains(layout, "UMAP") {
		t.Fatalf("after restart the layout reads %q, want the saved UMAP", layout)
	}
	rows := make([]int, 60)
	for i := range rows {
		rows[i] = i * 13 % n
	}
	row := clickRow(t, ctx, rows)
	if row < 0 {
		t.Fatal("no point could be clicked")
	}
	waitNeighbours(t, ctx, row)
	// A lasso round the clicked point, then Find similar.
	pos := screenPos(t, ctx, row)
	lasso(t, ctx, pos[0], pos[1], 60, false)
	sel, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.selection().length`))
	if sel < 2 {
		t.Fatalf("lasso of radius 60 px round row %d selected %d points", row, sel)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#btn-similar`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__reef.results().length > 0`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sel-msg').textContent`))
		t.Fatalf("Find similar after restart found nothing: %v (%q)", err, msg)
	}
}

// screenPos is a row's position in page coordinates.
func screenPos(t *testing.T, ctx context.Context, row int) []float64 {
	t.Helper()
	pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const p = window.__reef.screenOf(%d); const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [p[0] + r.left, p[1] + r.top]; })()`, row)))
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

// waitNeighbours waits for the panel to show a clicked row and its
// neighbours' thumbnails.
func waitNeighbours(t *testing.T, ctx context.Context, row int) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const imgs = [...document.querySelectorAll('#detail .nb img')]; return imgs.length >= 10 && imgs.every(i => i.complete && i.naturalWidth === 28); })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML`))
		t.Fatalf("no neighbours after clicking row %d: %v\n%s", row, err, html)
	}
}

// lasso drags a shift-lasso (alt+shift for negatives) as a 16-gon of
// radius r round (cx, cy), with real mouse events.
func lasso(t *testing.T, ctx context.Context, cx, cy, r float64, neg bool) {
	t.Helper()
	mods := []chromedp.Modifier{chromedp.ModifierShift}
	if neg {
		mods = append(mods, chromedp.ModifierAlt)
	}
	at := func(i int) (float64, float64) {
		a := 2 * math.Pi * float64(i) / 16
		return cx + r*math.Cos(a), cy + r*math.Sin(a)
	}
	x, y := at(0)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ButtonModifiers(mods...), chromedp.ClickCount(1))}
	for i := 1; i <= 16; i++ {
		x, y = at(i)
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, chromedp.ButtonModifiers(mods...)))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft, chromedp.ButtonModifiers(mods...), chromedp.ClickCount(1)))
	for _, s := range steps {
		if err := chromedp.Do(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

// shotDir is where the browser tests save their screenshots:
// $REEF_SCREENSHOTS when set (docs/screenshots is refreshed from there),
// else a temporary folder of the test.
func shotDir(t *testing.T) string {
	if d := os.Getenv("REEF_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// shot saves a screenshot of the page as dir/name.png.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}

// loadCategories makes dataset "many": n 2-d points in 30 clusters, each
// with its category in a metadata field with a long name, and dataset
// "tiny": 5 points of which one has no vector in the space.
func loadCategories(t *testing.T, ls *liveServer, n int) {
	t.Helper()
	ctx := context.Background()
	for _, ds := range []string{"many", "tiny"} {
		if _, err := ls.eng.CreateDataset(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if _, err := ls.eng.CreateSpace(ctx, ds, engine.SpaceSpec{Name: "emb", Dim: 2, Metric: "l2"}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	var pts []engine.PointInput
	for i := range n {
		k := i % 30
		a := 2 * math.Pi * float64(k) / 30
		meta, _ := json.Marshal(map[string]any{"a_rather_long_field_name_for_the_colour_menu": fmt.Sprintf("category-%02d", k)})
		pts = append(pts, engine.PointInput{ID: fmt.Sprintf("m%04d", i), Metadata: meta, Vectors: map[string][]float32{
			"emb": {float32(10*math.Cos(a) + r.NormFloat64()), float32(10*math.Sin(a) + r.NormFloat64())}}})
	}
	if _, err := ls.eng.Upsert(ctx, "many", pts); err != nil {
		t.Fatal(err)
	}
	pts = nil
	for i := range 5 {
		p := engine.PointInput{ID: fmt.Sprintf("t%d", i), Metadata: json.RawMessage(`{"label":"x"}`)}
		if i < 4 {
			p.Vectors = map[string][]float32{"emb": {float32(i), float32(i * i)}}
		}
		pts = append(pts, p)
	}
	if _, err := ls.eng.Upsert(ctx, "tiny", pts); err != nil {
		t.Fatal(err)
	}
}

// deltaE76 is the CIELAB distance of two sRGB colours.
func deltaE76(a, b []float64) float64 {
	lab := func(c []float64) [3]float64 {
		var v [3]float64
		for i := range 3 {
			x := c[i] / 255
			if x > 0.04045 {
				x = math.Pow((x+0.055)/1.055, 2.4)
			} else {
				x /= 12.92
			}
			v[i] = x
		}
		X := (0.4124*v[0] + 0.3576*v[1] + 0.1805*v[2]) / 0.95047
		Y := 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
		Z := (0.0193*v[0] + 0.1192*v[1] + 0.9505*v[2]) / 1.08883
		f := func(t float64) float64 {
			if t > 0.008856 {
				return math.Cbrt(t)
			}
			return 7.787*t + 16.0/116
		}
		return [3]float64{116*f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))}
	}
	p, q := lab(a), lab(b)
	return math.Sqrt((p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2]))
}

// toolbarProblems lists the toolbar controls that are hidden, clipped or
// outside the viewport.
const toolbarProblems = `(() => {
  const out = [];
  const bar = document.getElementById('bar');
  if (bar.scrollWidth > bar.clientWidth + 1 || bar.scrollLeft !== 0) out.push('bar scrolls: ' + bar.scrollWidth + ' > ' + bar.clientWidth);
  for (const el of bar.querySelectorAll('select, button')) {
    if (el.closest('[hidden]')) continue;
    const r = el.getBoundingClientRect();
    const name = el.id || el.textContent;
    if (r.width === 0 || r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > bar.getBoundingClientRect().bottom) { out.push(name + ' outside: ' + JSON.stringify(r)); continue; }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (hit !== el && !el.contains(hit)) out.push(name + ' covered by ' + (hit && (hit.id || hit.tagName)));
  }
  return out;
})()`

// panelProblems lists the controls of the selection panel and the grid's
// bar that are hidden, clipped or outside their box.
const panelProblems = `(() => {
  const out = [];
  const panel = document.getElementById('panel'), pane = document.getElementById('gridpane');
  if (document.getElementById('sel').hidden) out.push('no selection shown');
  if (pane.hidden) out.push('no grid shown');
  if (panel.scrollWidth > panel.clientWidth + 1) out.push('panel scrolls sideways: ' + panel.scrollWidth + ' > ' + panel.clientWidth);
  for (const [box, sel] of [[panel, '#sel button, #sel input'], [pane, '.gridbar button, .gridbar select']]) {
    const b = box.getBoundingClientRect();
    for (const el of box.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.left < b.left - 1 || r.right > b.right + 1) out.push((el.id || el.textContent) + ' outside: ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + Math.round(b.left) + '..' + Math.round(b.right));
    }
  }
  return out;
})()`

func TestBrowserLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	if chromiumPath() == "" {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	ls := startLive(t, t.TempDir())
	defer ls.stop(t)
	loadCategories(t, ls, 600)
	dir := shotDir(t)
	for _, width := range []int{1024, 1400} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx, cancel := newBrowser(t, width, 800)
			defer cancel()
			ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
			defer cancelT()
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 800)); err != nil {
				t.Fatal(err)
			}
			navigate(t, ctx, ls.base+"/#ds=many&space=emb&color=a_rather_long_field_name_for_the_colour_menu")
			if p, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](toolbarProblems)); len(p) > 0 {
				t.Fatalf("toolbar at %d px: %v", width, p)
			}
			// The help button: clicking it shows the help, the header stays put.
			before, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#bar .brand').getBoundingClientRect(); return [r.left, r.top]; })()`))
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#btn-help`))); err != nil {
				t.Fatal(err)
			}
			after, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#bar .brand').getBoundingClientRect(); return [r.left, r.top, document.getElementById('help').hidden ? 0 : 1, document.getElementById('bar').scrollLeft]; })()`))
			if !slices.Equal(before, after[:2]) || after[2] != 1 || after[3] != 0 {
				t.Fatalf("clicking ? moved the header from %v to %v (help shown %v, scrollLeft %v)", before, after[:2], after[2], after[3])
			}
			if p, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](toolbarProblems)); len(p) > 0 {
				t.Fatalf("toolbar after ? at %d px: %v", width, p)
			}
			if width == 1024 {
				shot(t, ctx, dir, "toolbar-1024")
			}
			// With a lasso: the selection tools and the grid's bar fit too.
			c, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
			lasso(t, ctx, c[0], c[1], 250, false)
			if p, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](panelProblems)); len(p) > 0 {
				t.Fatalf("selection tools at %d px: %v", width, p)
			}
		})
	}

	ctx, cancel := newBrowser(t, 1400, 800)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	navigate(t, ctx, ls.base+"/#ds=many&space=emb&color=a_rather_long_field_name_for_the_colour_menu")
	// 30 categories: 20 distinct colours, then "other".
	legend, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#legend .legend-item .lv')].map(e => e.textContent)`))
	if len(legend) != 21 || legend[20] != "other (10 values)" {
		t.Fatalf("legend of 30 categories: %v", legend)
	}
	sw, _ := chromedp.Run(ctx, chromedp.Evaluate[[][]float64](`[...document.querySelectorAll('#legend .legend-item:not(.other) .swatch')].map(e => getComputedStyle(e).backgroundColor.match(/\d+/g).map(Number))`))
	if len(sw) != 20 {
		t.Fatalf("%d swatches", len(sw))
	}
	worst := math.Inf(1)
	for i := range sw {
		for j := range i {
			worst = min(worst, deltaE76(sw[i], sw[j]))
		}
	}
	if worst < 20 {
		t.Fatalf("two of the 20 category colours are only ΔE %.1f apart", worst)
	}
	// Fit leaves room for the legend: no point under it.
	const under = `(() => { const l = document.getElementById('legend').getBoundingClientRect(); const c = document.querySelector('#stage canvas').getBoundingClientRect(); let k = 0; for (let i = 0; i < window.__reef.count(); i++) { const p = window.__reef.screenOf(i); const x = p[0] + c.left, y = p[1] + c.top; if (x >= l.left && x <= l.right && y >= l.top && y <= l.bottom) k++; } return [k, l.width]; })()`
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](under)); got[0] > 0 {
		t.Fatalf("%v points under the legend after fit", got[0])
	}
	open, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](under))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#legend-fold`))); err != nil {
		t.Fatal(err)
	}
	folded, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](under))
	items, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#legend .legend-list').offsetParent === null`))
	if folded[0] > 0 || folded[1] >= open[1] || !items {
		t.Fatalf("folded legend: %v points under it, width %v (open %v), list hidden %v", folded[0], folded[1], open[1], items)
	}
	// The tooltip goes when a point is clicked.
	row := -1
	for i := 0; i < 600 && row < 0; i += 7 {
		pos := screenPos(t, ctx, i)
		if picked, _ := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`window.__reef.pick(%f - document.querySelector('#stage canvas').getBoundingClientRect().left, %f - document.querySelector('#stage canvas').getBoundingClientRect().top)`, pos[0], pos[1]))); picked != i {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pos[0], pos[1])); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById('tooltip').hidden`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatal("hover shows no tooltip")
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(pos[0], pos[1])); err != nil {
			t.Fatal(err)
		}
		row = i
	}
	time.Sleep(300 * time.Millisecond) // past the tooltip's 120 ms fill-in
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('tooltip').hidden`)); !hidden || row < 0 {
		t.Fatalf("tooltip still shown after clicking row %d", row)
	}
	info, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('layout-info').textContent`))
	if !regexp.MustCompile(`^(UMAP|PCA) layout`).MatchString(info) || repeatsWord(info) {
		t.Fatalf("layout text %q", info)
	}

	// Points without a vector are counted apart.
	navigate(t, ctx, ls.base+"/#ds=tiny&space=emb")
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.rendered`)); n != 4 || !strings.HasPrefix(status, "5 points, 1 without a vector in this space") {
		t.Fatalf("tiny: %d drawn, status %q", n, status)
	}
	// A link to a dataset or space that is not there says so.
	for _, c := range []struct{ hash, want string }{
		{"#ds=nosuch&space=emb", "No dataset “nosuch”"},
		{"#ds=many&space=nosuch", "has no space “nosuch”"},
		{"#ds=many&space=emb&level=object", "no object vectors"},
	} {
		navigate(t, ctx, ls.base+"/"+c.hash)
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('banner').hidden ? '' : document.getElementById('banner-msg').textContent`))
		if !strings.Contains(msg, c.want) {
			t.Fatalf("%s: banner %q, want %q", c.hash, msg, c.want)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#banner-close`))); err != nil {
		t.Fatal(err)
	}
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('banner').hidden`)); !hidden {
		t.Fatal("the banner does not close")
	}
	// Choosing in the menus answers it too.
	navigate(t, ctx, ls.base+"/#ds=nosuch")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(s => { s.value = 'tiny'; s.dispatchEvent(new Event('change')); return true; })(document.getElementById('ds'))`)); err != nil {
		t.Fatal(err)
	}
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('banner').hidden`)); !hidden {
		t.Fatal("the banner stays after choosing a dataset")
	}

	checkBoxes(t, ctx, ls)
}

// repeatsWord says whether a text has a word twice in a row ("UMAP umap").
func repeatsWord(s string) bool {
	w := strings.Fields(strings.ToLower(s))
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] {
			return true
		}
	}
	return false
}

// TestBrowserWorkbench drives the grid and the selection tools on
// Fashion-MNIST: a lasso lists its images in the grid with their labels,
// the grid sorts and is linked both ways with the map, picked tiles are
// tagged, the tag is offered as a colour at once and its legend entry lists
// exactly the tagged rows, which export as CSV and JSONL; Find similar says
// whether the selection is included.
func TestBrowserWorkbench(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	if chromiumPath() == "" {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	ls := startLive(t, t.TempDir())
	defer ls.stop(t)
	n := 1500
	labels := loadFashion(t, ls, n)
	waitLayout(t, ls.base, "umap", 3*time.Minute)
	dir := shotDir(t)

	ctx, cancel := newBrowser(t, 1400, 900)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		t.Fatal(err)
	}
	navigate(t, ctx, ls.base+"/#ds=fmnist&space=pixels&level=point")
	shot(t, ctx, dir, "map-by-label")

	// Click: the whole image drawn large, captioned with its label.
	rows := make([]int, 80)
	for i := range rows {
		rows[i] = i * 17 % n
	}
	row := clickRow(t, ctx, rows)
	if row < 0 {
		t.Fatal("no point could be clicked")
	}
	waitNeighbours(t, ctx, row)
	focus, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.focus()`))
	caption, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#detail canvas.full')?.title ?? ''`))
	if want := "label: " + fashionmnist.ClassNames[labels[focus]]; caption != want {
		t.Fatalf("the clicked row %d's figure is captioned %q, want %q", focus, caption, want)
	}
	shot(t, ctx, dir, "click-neighbours")

	// A lasso round the middle of the map: its rows in the grid.
	c, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#stage canvas').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
	lasso(t, ctx, c[0], c[1], 220, false)
	sel, _ := chromedp.Run(ctx, chromedp.Evaluate[[]int](`window.__reef.selection()`))
	if len(sel) < 100 {
		t.Fatalf("a lasso of radius 220 px selected %d points", len(sel))
	}
	const tiles = `(() => [...document.querySelectorAll('#grid-inner .gtile')].filter(e => e.querySelector('img')).sort((a, b) => a.offsetTop - b.offsetTop || a.offsetLeft - b.offsetLeft).map(e => [Number(e.dataset.row), e.querySelector('img').complete && e.querySelector('img').naturalWidth === 28 ? 1 : 0, e.querySelector('.cap').textContent]))()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const t = [...document.querySelectorAll('#grid-inner .gtile img')]; return t.length >= 20 && t.every(i => i.complete && i.naturalWidth === 28); })()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the lasso's grid shows no images: %v", err)
	}
	var g struct {
		Rows  []int      `json:"rows"`
		Live  int        `json:"live"`
		Focus int        `json:"focus"`
		Title string     `json:"title"`
		Dist  []*float64 `json:"dist"`
	}
	gridState := func() {
		t.Helper()
		js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__reef.grid())`))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(js), &g); err != nil {
			t.Fatal(err)
		}
	}
	gridState()
	if !slices.Equal(slices.Sorted(slices.Values(g.Rows)), slices.Sorted(slices.Values(sel))) || g.Live >= len(sel) {
		t.Fatalf("grid of %d rows with %d live tiles, for a lasso of %d", len(g.Rows), g.Live, len(sel))
	}
	checkTiles := func(sorted bool) [][]any {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[][]any](tiles))
		if err != nil {
			t.Fatal(err)
		}
		prev := ""
		for _, tl := range got {
			r, cap := int(tl[0].(float64)), tl[2].(string)
			if want := fashionmnist.ClassNames[labels[r]]; cap != want {
				t.Fatalf("grid tile of row %d captioned %q, want %q", r, cap, want)
			}
			if sorted && cap < prev {
				t.Fatalf("grid sorted by label has %q after %q", cap, prev)
			}
			prev = cap
		}
		return got
	}
	checkTiles(false)
	// The tiles' rows come in batch reads (POST .../view/rows), not one
	// call a tile.
	shown, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#grid-inner .gtile img').length`))
	calls, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__reef.rowCalls()`))
	singles, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType('resource').filter(e => e.name.includes('/view/row/')).length`))
	if calls < 1 || calls > shown/4 || singles != 0 {
		t.Fatalf("%d grid tiles took %d batch reads and %d single-row calls", shown, calls, singles)
	}
	shot(t, ctx, dir, "lasso-grid")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(s => { s.value = 'field:label'; s.dispatchEvent(new Event('change')); return true; })(document.getElementById('grid-sort'))`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('#grid-inner .gtile img')].length >= 20`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	sorted := checkTiles(true)

	// Grid → map: clicking a tile focuses its row on the map.
	tileAt := func(r int) []float64 {
		t.Helper()
		p, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const e = document.querySelector('#grid-inner .gtile[data-row="%d"]'); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, r)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	third := int(sorted[2][0].(float64))
	p := tileAt(third)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(p[0], p[1])); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`window.__reef.focus() === %d && document.querySelector('#detail .hit-id')?.textContent === 't10k-%05d'`, third, third), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("clicking the grid tile of row %d does not focus it: %v", third, err)
	}
	// Map → grid: clicking a lassoed point on the map marks its tile.
	back := clickRow(t, ctx, g.Rows[len(g.Rows)/2:])
	if back < 0 {
		t.Fatal("no lassoed point could be clicked on the map")
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`window.__reef.grid().focus === %d && document.querySelector('#grid-inner .gtile.focus')?.dataset.row === '%d'`, back, back), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("clicking row %d on the map does not mark its grid tile: %v", back, err)
	}

	// Pick two tiles (ctrl+click), tag them, colour by the tag at once.
	picked := []int{int(sorted[0][0].(float64)), int(sorted[1][0].(float64))}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.getElementById('grid-scroll').scrollTop = 0, true)`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	for _, r := range picked {
		p := tileAt(r)
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p[0], p[1], chromedp.ButtonModifiers(chromedp.ModifierCtrl))); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sel-counts').textContent`))
	if counts != "2 picked in the grid" {
		t.Fatalf("after picking two tiles the selection reads %q", counts)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#tag-name`), "mine")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#btn-tag`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('sel-msg').textContent.startsWith('Tagged 2 points') && [...document.getElementById('color').options].some(o => o.value === 'tags')`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sel-msg').textContent`))
		t.Fatalf("tagging: %v (%q)", err, msg)
	}
	// The lasso's grid filtered by the tag just made: the two tagged rows,
	// which are then what the selection tools act on.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(s => { s.value = 'mine'; s.dispatchEvent(new Event('change')); return s.value === 'mine'; })(document.getElementById('grid-tag'))`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__reef.grid().rows.length === 2 && document.getElementById('sel-counts').textContent.startsWith('2 in the grid')`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		gridState()
		counts, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sel-counts').textContent`))
		t.Fatalf("the lasso's grid filtered by tag mine: %v (%q), want the tagged %v", g.Rows, counts, picked)
	}
	gridState()
	if g.Title != "lasso" || !slices.Equal(slices.Sorted(slices.Values(g.Rows)), slices.Sorted(slices.Values(picked))) {
		t.Fatalf("the %q grid filtered by tag mine lists %v, want %v", g.Title, g.Rows, picked)
	}
	shot(t, ctx, dir, "grid-tag-filter")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(s => { s.value = 'tags'; s.dispatchEvent(new Event('change')); return true; })(document.getElementById('color'))`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('#legend .legend-item .lv')].some(e => e.textContent === 'mine')`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal("the tag is not in the legend")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`([...document.querySelectorAll('#legend .legend-item')].find(e => e.querySelector('.lv').textContent === 'mine').click(), true)`)); err != nil {
		t.Fatal(err)
	}
	// The grid sorts (by label, still chosen) asynchronously.
	chromedp.Run(ctx, chromedp.Poll[bool](`window.__reef.grid().rows.length < 10`, chromedp.WithPollingTimeout(10*time.Second)))
	gridState()
	if g.Title != "tags = mine" || !slices.Equal(slices.Sorted(slices.Values(g.Rows)), slices.Sorted(slices.Values(picked))) {
		t.Fatalf("the tag's legend entry lists %q %v, want the tagged rows %v", g.Title, g.Rows, picked)
	}

	// Export what the grid holds: ids CSV and JSONL with metadata.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#btn-csv`))); err != nil {
		t.Fatal(err)
	}
	csv, _ := chromedp.Run(ctx, chromedp.Poll[string](`window.__reef.lastExport.startsWith('dataset,id') && window.__reef.lastExport`, chromedp.WithPollingTimeout(20*time.Second)))
	wantCSV := "dataset,id,object_id,row\n"
	for _, r := range g.Rows {
		wantCSV += fmt.Sprintf("fmnist,t10k-%05d,,%d\n", r, r)
	}
	if csv != wantCSV {
		t.Fatalf("CSV export:\n%s\nwant:\n%s", csv, wantCSV)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#btn-jsonl`))); err != nil {
		t.Fatal(err)
	}
	js, _ := chromedp.Run(ctx, chromedp.Poll[string](`window.__reef.lastExport.startsWith('{') && window.__reef.lastExport`, chromedp.WithPollingTimeout(20*time.Second)))
	lines := strings.Split(strings.TrimSpace(js), "\n")
	if len(lines) != len(g.Rows) {
		t.Fatalf("JSONL export of %d rows has %d lines", len(g.Rows), len(lines))
	}
	for i, l := range lines {
		var rec struct {
			ID       string `json:"id"`
			Row      int    `json:"row"`
			Metadata struct {
				Label string   `json:"label"`
				Tags  []string `json:"tags"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.ID != fmt.Sprintf("t10k-%05d", g.Rows[i]) || rec.Metadata.Label != fashionmnist.ClassNames[labels[g.Rows[i]]] || !slices.Contains(rec.Metadata.Tags, "mine") {
			t.Fatalf("JSONL line %d: %s", i, l)
		}
	}

	// Find similar from the two: k results, the selection left out or in.
	similar := func(k int, self bool, max string) (int, string) {
		t.Helper()
		js := fmt.Sprintf(`(() => { document.getElementById('sim-k').value = '%d'; document.getElementById('sim-self').checked = %v; document.getElementById('sim-max').value = '%s'; document.getElementById('sel-msg').textContent = ''; document.getElementById('btn-similar').click(); return true; })()`, k, self, max)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
		msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(m => / similar( within distance \S+)? in /.test(m) && m)(document.getElementById('sel-msg').textContent)`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			msg, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sel-msg').textContent`))
			t.Fatalf("Find similar (k %d, include %v, within %q): %v (%q)", k, self, max, err, msg)
		}
		gridState()
		return len(g.Rows), msg
	}
	if got, msg := similar(10, false, ""); got != 10 || !strings.Contains(msg, "the 2 selected are left out") {
		t.Fatalf("k=10 without the selection: %d rows, %q", got, msg)
	}
	if got, msg := similar(10, true, ""); got != 12 || !strings.Contains(msg, "the 2 selected are included") || !slices.Contains(g.Rows, picked[0]) {
		t.Fatalf("k=10 with the selection: %d rows, %q", got, msg)
	}
	if got, msg := similar(10, false, "0"); got != 0 || !strings.Contains(msg, "0 similar within distance 0") {
		t.Fatalf("k=10 within distance 0: %d rows, %q", got, msg)
	}
	// The server applies the distance: every row within the 40th nearest's
	// distance, though k says 10.
	if got, _ := similar(40, false, ""); got != 40 || g.Dist[39] == nil {
		t.Fatalf("k=40: %d rows", got)
	}
	d40 := *g.Dist[39]
	if got, msg := similar(10, false, strconv.FormatFloat(d40, 'g', -1, 64)); got < 40 || !strings.Contains(msg, "within distance") {
		t.Fatalf("within the 40th nearest's distance %g: %d rows, %q", d40, got, msg)
	}
	for i, d := range g.Dist {
		if d == nil || *d > d40*(1+1e-6) {
			t.Fatalf("row %d of the grid within %g is at %v", g.Rows[i], d40, d)
		}
	}
}

// checkBoxes makes dataset "shapes": 6 images of 100×60 (smaller than a
// thumbnail, so the thumbnail is the original) with a label box and an
// inference box each, and checks that the details draw them on the whole
// image, at point and at object level; then "shapesbig", the same boxes on
// 384×230 images whose previews (the image at its size) are drawn with the
// boxes scaled by the image_size the server records; with the previews
// removed, the 128 px thumbnails are drawn instead, the boxes scaled the
// same way, with a note that it is the thumbnail of the larger image.
func checkBoxes(t *testing.T, ctx context.Context, ls *liveServer) {
	t.Helper()
	makeShapes(t, ls, "shapes", 100, 60)
	// The label box's left edge, 3× enlarged (a 100 px image in 300 px),
	// is drawn in the label colour (#34d399).
	const probe = `(() => { const c = document.querySelector('#detail canvas.full'); if (!c) return [-1, 0, 0, 0]; const d = c.getContext('2d').getImageData(30, 105, 1, 1).data; return [Number(c.dataset.boxes), d[0], d[1], d[2]]; })()`
	for _, level := range []string{"point", "object"} {
		navigate(t, ctx, ls.base+"/#ds=shapes&space=emb&level="+level)
		rows := []int{0, 1, 2, 3, 4, 5}
		if level == "object" {
			rows = []int{0, 2, 4, 6, 8, 10} // the label boxes ("a" first in each image)
		}
		if row := clickRow(t, ctx, rows); row < 0 {
			t.Fatalf("%s level: nothing could be clicked", level)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[[]int](probe+`.every(Boolean) && `+probe, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			got, _ = chromedp.Run(ctx, chromedp.Evaluate[[]int](probe))
		}
		want := 2
		if level == "object" {
			want = 1
		}
		if len(got) != 4 || got[0] != want || got[1] != 52 || got[2] != 211 || got[3] != 153 {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('detail').innerHTML.slice(0, 600)`))
			t.Fatalf("%s level: [boxes r g b] at the label box's edge = %v, want [%d 52 211 153]\n%s", level, got, want, html)
		}
	}

	// 384×230: the preview is the image, drawn at 300/384 (300×180); the
	// label box [10 20 40 30] lands at x 7.8, y 15.6..39 there.
	makeShapes(t, ls, "shapesbig", 384, 230)
	big := func(x int) string {
		return fmt.Sprintf(`(() => { const c = document.querySelector('#detail canvas.full'); if (!c) return null; let g = 0; for (let y = 18; y < 33; y++) { const d = c.getContext('2d').getImageData(%d, y, 2, 1).data; if (d[1] > 120 && d[1] > d[0] + 60 || d[5] > 120 && d[5] > d[4] + 60) g++; } return [c.dataset.natural, Number(c.dataset.boxes), g, c.dataset.note]; })()`, x)
	}
	details := func(probe string) []any {
		t.Helper()
		navigate(t, ctx, ls.base+"/#ds=shapesbig&space=emb&level=point")
		if row := clickRow(t, ctx, []int{0, 1, 2, 3, 4, 5}); row < 0 {
			t.Fatal("shapesbig: nothing could be clicked")
		}
		got, _ := chromedp.Run(ctx, chromedp.Poll[[]any](probe, chromedp.WithPollingTimeout(20*time.Second)))
		return got
	}
	got := details(big(7))
	if len(got) != 4 || got[0] != "384x230" || got[1].(float64) != 2 || got[2].(float64) < 12 || got[3] != "" {
		t.Fatalf("a 384×230 image's details from its preview: [natural boxes green-rows note] = %v", got)
	}
	// A click on it shows the preview larger, boxes drawn; a click closes it.
	const zoom = `(() => { const c = document.querySelector('#lightbox canvas'); return c ? [c.dataset.natural, c.dataset.boxes, String(c.width > 300)] : null; })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('#detail canvas.full').click(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if z, err := chromedp.Run(ctx, chromedp.Poll[[]string](zoom, chromedp.WithPollingTimeout(10*time.Second))); err != nil || !slices.Equal(z, []string{"384x230", "2", "true"}) {
		t.Fatalf("the enlarged preview [natural boxes wider] = %v (%v)", z, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const b = document.getElementById('lightbox'); if (b) b.click(); return !document.getElementById('lightbox'); })()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the enlarged preview did not close: %v", err)
	}
	// Without previews (images stored before them): the thumbnail is
	// 128×77, drawn 2× (256 px); the label box lands at x 6.7, y 13.3..33.3.
	ids := []string{"s0", "s1", "s2", "s3", "s4", "s5"}
	if err := ls.eng.DB().DeleteBlobs(storage.BlobPreview, "shapesbig", ids); err != nil {
		t.Fatal(err)
	}
	got = details(big(6))
	if len(got) != 4 || got[0] != "128x77" || got[1].(float64) != 2 || got[2].(float64) < 12 || !strings.Contains(got[3].(string), "the 128×77 thumbnail of a 384×230 image") {
		t.Fatalf("a 384×230 image's details from its thumbnail: [natural boxes green-rows note] = %v", got)
	}
}

// makeShapes stores 6 grey w×h images as thumbnails (ingest records the
// original size) of points with a label box and an inference box each.
func makeShapes(t *testing.T, ls *liveServer, name string, w, h int) {
	t.Helper()
	bctx := context.Background()
	if _, err := ls.eng.CreateDataset(bctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.eng.CreateSpace(bctx, name, engine.SpaceSpec{Name: "emb", Dim: 2, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	var pts []engine.PointInput
	var ids []string
	var imgs [][]byte
	for i := range 6 {
		id := fmt.Sprintf("s%d", i)
		pts = append(pts, engine.PointInput{ID: id, Vectors: map[string][]float32{"emb": {float32(i), float32(i % 2)}}, Objects: []engine.ObjectInput{
			{ID: "a", Class: "cat", BBox: [4]float32{10, 20, 40, 30}, Vectors: map[string][]float32{"emb": {float32(i), 5}}},
			{ID: "b", Kind: "inference", Class: "dog", BBox: [4]float32{60, 10, 30, 30}, Vectors: map[string][]float32{"emb": {float32(i), -5}}},
		}})
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = 60, 60, 60, 255
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		ids, imgs = append(ids, id), append(imgs, buf.Bytes())
	}
	if _, err := ls.eng.Upsert(bctx, name, pts); err != nil {
		t.Fatal(err)
	}
	if err := ls.srv.ing.StoreThumbnails(bctx, name, ids, imgs); err != nil {
		t.Fatal(err)
	}
}
