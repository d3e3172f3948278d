import './style.css';
import { Scatter, Overlay } from './renderer';
import { api, ApiError, imgSrc, setKeyPrompt } from './api';
import { Grid } from './grid';
import { idsCSV, jsonl, download } from './export';
import { RowLoader, ROWS_BATCH } from './rows';
import { figure, Box } from './figure';
import { PALETTE, MAXCAT, OTHER, MISSING, DEFAULT, RAMP, catColor, rampColor } from './colors';
import type { Field, Summary, Hit, DatasetInfo, RowsResult, SimilarResult } from './types';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// State the browser test and benchmarks read.
const probe = {
  ready: false,
  readyMs: 0, // page clock when the first coloured frame was drawn
  rendered: 0,
  renderer: '',
  firstRenderMs: 0,
  legendItems: 0,
  neighbors: 0,
  hoverThumb: '', // thumbnail URL the tooltip shows
  screenOf: (row: number) => scatter.screenOf(row),
  pick: (x: number, y: number) => scatter.pick(x, y),
  select: (row: number) => selectRow(row),
  count: () => scatter.n,
  palette: () => PALETTE,
  focus: () => focus,
  selection: () => positives,
  results: () => results,
  grid: () => ({ rows: grid.rows, live: grid.liveCount(), focus: grid.focus, picked: [...grid.picked], title: $('grid-title').textContent, dist: grid.rows.map((r) => gridDist.get(r) ?? null) }),
  lastExport: '',
  rowCalls: () => loader.calls, // batch reads made for the grid, hover and details
};
(window as any).__reef = probe;

const params = new URLSearchParams(location.search);
let scatter = new Scatter($('plot'), params.get('renderer') === 'canvas2d');
probe.renderer = scatter.backend.kind;
scatter.onDraw = () => {
  probe.rendered = scatter.rendered;
  if (!probe.firstRenderMs && scatter.n > 0) probe.firstRenderMs = performance.now();
};

// --- state ---
let datasets: DatasetInfo[] = [];
let summary: Summary | null = null;
let colorField: Field | null = null;
let codes: Uint16Array | null = null;
let values: Float32Array | null = null;
let positives: number[] = [];
let negatives: number[] = [];
let results: number[] = [];
let legendPick = -1;
let focus = -1;
let nbRows: number[] = []; // the focused row's neighbours
let layoutVersion = 0;
let pollTimer = 0;

function state() {
  return {
    ds: $<HTMLSelectElement>('ds').value,
    space: $<HTMLSelectElement>('space').value,
    level: $<HTMLSelectElement>('level').value,
    with: $<HTMLSelectElement>('with').value,
  };
}
function q() {
  const s = state();
  return `space=${encodeURIComponent(s.space)}&level=${s.level}` + (s.with ? `&with=${encodeURIComponent(s.with)}` : '');
}
// ref is the view a POST addresses.
function ref() {
  const s = state();
  return s.with ? { space: s.space, level: s.level, with: s.with } : { space: s.space, level: s.level };
}
function base() {
  return `/v1/datasets/${encodeURIComponent(state().ds)}/view`;
}
function saveHash() {
  const s = state();
  const h = new URLSearchParams({ ds: s.ds, space: s.space, level: s.level });
  if (s.with) h.set('with', s.with);
  if (colorField) h.set('color', colorField.name);
  history.replaceState(null, '', `${location.pathname}${location.search}#${h}`);
}
function status(msg: string, isError = false) {
  const el = $('status');
  el.textContent = msg;
  el.classList.toggle('error', isError);
}

// --- colours ---

function paint() {
  const n = scatter.n;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    let c = DEFAULT;
    if (codes && colorField) {
      const k = codes[i];
      c = k === 0xffff ? MISSING : catColor(k);
    } else if (values && colorField) {
      const v = values[i];
      const lo = colorField.min ?? 0, hi = colorField.max ?? 1;
      c = Number.isNaN(v) ? MISSING : rampColor(hi > lo ? (v - lo) / (hi - lo) : 0.5);
    }
    rgba[4 * i] = c[0];
    rgba[4 * i + 1] = c[1];
    rgba[4 * i + 2] = c[2];
    rgba[4 * i + 3] = 255;
  }
  scatter.setColors(rgba);
  updateOverlays();
}

function updateOverlays() {
  const o: Overlay[] = [];
  if (legendPick >= 0 && codes) {
    const rows: number[] = [];
    for (let i = 0; i < codes.length; i++) if (legendHas(codes[i])) rows.push(i);
    o.push({ rows, ring: [255, 255, 255], scale: 1 });
  }
  if (results.length) o.push({ rows: results, ring: [250, 204, 21], scale: 1.6 });
  if (negatives.length) o.push({ rows: negatives, ring: [239, 68, 68], scale: 1.6 });
  if (positives.length) o.push({ rows: positives, ring: [255, 255, 255], scale: 1.6 });
  if (grid.picked.size) o.push({ rows: [...grid.picked], ring: [251, 146, 60], scale: 2.4 });
  if (nbRows.length) o.push({ rows: nbRows, ring: [45, 212, 191], scale: 2.2 });
  if (focus >= 0) o.push({ rows: [focus], ring: [255, 255, 255], scale: 3.2 });
  scatter.overlays = o;
  scatter.dimOthers = legendPick >= 0 || positives.length + negatives.length + results.length + grid.picked.size > 0;
  scatter.redraw();
}

// legendHas says whether a category code is in the picked legend entry
// (entry MAXCAT stands for every category past the palette).
function legendHas(code: number) {
  return code === legendPick || (legendPick === MAXCAT && code >= MAXCAT && code !== 0xffff);
}
let legendCollapsed = false;

// pickLegend highlights a legend entry and lists its rows in the grid (a
// second click clears both).
function pickLegend(i: number) {
  legendPick = legendPick === i ? -1 : i;
  renderLegend();
  updateOverlays();
  if (legendPick < 0 || !codes || !colorField) {
    if (gridSource === 'legend') closeGrid();
    return;
  }
  const rows: number[] = [];
  for (let r = 0; r < codes.length; r++) if (legendHas(codes[r])) rows.push(r);
  const name = i === MAXCAT ? 'other values' : colorField.categories![i].value;
  showGrid('legend', `${colorField.name} = ${name}`, rows);
}

function renderLegend() {
  const el = $('legend');
  el.innerHTML = '';
  probe.legendItems = 0;
  if (!colorField || !summary) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.classList.toggle('collapsed', legendCollapsed);
  const title = document.createElement('div');
  title.className = 'legend-title';
  const name = document.createElement('span');
  name.textContent = colorField.name;
  const fold = document.createElement('button');
  fold.id = 'legend-fold';
  fold.textContent = legendCollapsed ? 'show' : 'hide';
  fold.title = legendCollapsed ? 'show the legend' : 'fold the legend away (f then fits the map to the room it leaves)';
  fold.onclick = () => {
    legendCollapsed = !legendCollapsed;
    renderLegend();
    fitView();
  };
  title.append(name, fold);
  el.append(title);
  if (colorField.kind === 'category') {
    const list = document.createElement('div');
    list.className = 'legend-list';
    const cats = colorField.categories!;
    cats.slice(0, MAXCAT).forEach((cat, i) => {
      const item = document.createElement('div');
      item.className = 'legend-item' + (legendPick === i ? ' active' : '');
      const c = catColor(i);
      item.innerHTML = `<span class="swatch" style="background:rgb(${c.join(',')})"></span><span class="lv"></span><span class="lc">${cat.count.toLocaleString()}</span>`;
      (item.querySelector('.lv') as HTMLElement).textContent = cat.value;
      item.title = 'click to highlight';
      item.onclick = () => pickLegend(i);
      list.append(item);
      probe.legendItems++;
    });
    if (cats.length > MAXCAT) {
      const rest = cats.slice(MAXCAT);
      const item = document.createElement('div');
      item.className = 'legend-item other' + (legendPick === MAXCAT ? ' active' : '');
      item.innerHTML = `<span class="swatch" style="background:rgb(${OTHER.join(',')})"></span><span class="lv"></span><span class="lc">${rest.reduce((a, c) => a + c.count, 0).toLocaleString()}</span>`;
      (item.querySelector('.lv') as HTMLElement).textContent = `other (${rest.length} values)`;
      item.title = rest.slice(0, 30).map((c) => c.value).join(', ') + (rest.length > 30 ? ', …' : '');
      item.onclick = () => pickLegend(MAXCAT);
      list.append(item);
    }
    const missing = summary.count - colorField.count;
    if (missing > 0) {
      const item = document.createElement('div');
      item.className = 'legend-item missing';
      item.title = 'rows without this field';
      item.innerHTML = `<span class="swatch" style="background:rgb(${MISSING.join(',')})"></span><span class="lv">(missing)</span><span class="lc">${missing.toLocaleString()}</span>`;
      list.append(item);
    }
    el.append(list);
  } else {
    const bar = document.createElement('div');
    bar.className = 'ramp';
    bar.style.background = `linear-gradient(to right, ${RAMP.map((c) => `rgb(${c.join(',')})`).join(',')})`;
    const lab = document.createElement('div');
    lab.className = 'ramp-labels';
    lab.innerHTML = `<span>${fmt(colorField.min)}</span><span>${fmt(colorField.max)}</span>`;
    el.append(bar, lab);
  }
}
// fitView fits the map to the room the legend leaves.
function fitView() {
  const lg = $('legend');
  const inset = lg.hidden ? 0 : lg.offsetLeft + lg.offsetWidth + 8;
  scatter.fit(inset);
}
function fmt(v?: number) {
  if (v === undefined) return '';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toFixed(3));
}

async function loadColor(name: string) {
  colorField = summary?.fields.find((f) => f.name === name) ?? null;
  codes = values = null;
  legendPick = -1;
  if (colorField) {
    const buf = await api.bin(`${base()}/color.bin?${q()}&field=${encodeURIComponent(name)}`);
    if (colorField.kind === 'category') codes = new Uint16Array(buf);
    else values = new Float32Array(buf);
  }
  paint();
  renderLegend();
  saveHash();
}

// --- loading ---
async function loadDatasets() {
  const res = await api.json<{ datasets: DatasetInfo[] }>('/v1/datasets');
  datasets = res.datasets.filter((d) => d.spaces && d.spaces.length);
  const sel = $<HTMLSelectElement>('ds');
  sel.innerHTML = '';
  for (const d of datasets) sel.add(new Option(`${d.name} (${d.points.toLocaleString()})`, d.name));
  if (!datasets.length) {
    status('No dataset with an embedding space yet: import some vectors first.');
    return false;
  }
  return true;
}

// refreshCounts updates the datasets' point counts (the menus keep theirs).
async function refreshCounts() {
  try {
    const res = await api.json<{ datasets: DatasetInfo[] }>('/v1/datasets');
    for (const d of res.datasets) {
      const i = datasets.findIndex((x) => x.name === d.name);
      if (i >= 0) datasets[i] = d;
    }
  } catch {
    /* the counts are a nicety */
  }
}

function fillSpaces(prefer?: string) {
  const d = datasets.find((x) => x.name === state().ds);
  const sel = $<HTMLSelectElement>('space');
  sel.innerHTML = '';
  for (const s of d?.spaces ?? []) sel.add(new Option(`${s.name} · ${s.dim}-d ${s.metric}`, s.name));
  if (prefer && d?.spaces.some((s) => s.name === prefer)) sel.value = prefer;
  fillLevels();
}
function fillLevels() {
  const d = datasets.find((x) => x.name === state().ds);
  const sp = d?.spaces.find((s) => s.name === state().space);
  const obj = $<HTMLSelectElement>('level').options[1];
  obj.disabled = !sp || sp.object_vectors === 0;
  if (obj.disabled) $<HTMLSelectElement>('level').value = 'point';
  fillWith();
}
// fillWith lists the datasets that can be overlaid: a space of the same
// name and definition (dim, metric, model and version), with vectors at
// this level.
function fillWith(prefer?: string) {
  const s = state();
  const sp = datasets.find((x) => x.name === s.ds)?.spaces.find((x) => x.name === s.space);
  const sel = $<HTMLSelectElement>('with');
  const cur = prefer ?? sel.value;
  sel.innerHTML = '';
  sel.add(new Option('(none)', ''));
  for (const d of datasets) {
    if (!sp || d.name === s.ds) continue;
    const o = d.spaces.find((x) => x.name === sp.name);
    if (!o || o.dim !== sp.dim || o.metric !== sp.metric || (o.provenance ?? '') !== (sp.provenance ?? '') || (o.model_version ?? '') !== (sp.model_version ?? '')) continue;
    if ((s.level === 'object' ? o.object_vectors : o.point_vectors) === 0) continue;
    sel.add(new Option(`${d.name} (${(s.level === 'object' ? o.object_vectors : o.point_vectors).toLocaleString()})`, d.name));
  }
  sel.value = [...sel.options].some((o) => o.value === cur) ? cur : '';
  $('with-label').hidden = sel.options.length < 2;
}

async function loadView(preferColor?: string) {
  clearSelection(false);
  closeGrid();
  columns.clear();
  loader = newLoader();
  nbRows = [];
  focus = -1;
  hoverRow = -1;
  $('detail').innerHTML = '<p class="muted">Click a point to see it and its nearest neighbours.</p>';
  status('Loading layout…');
  const t0 = performance.now();
  summary = await api.json<Summary>(`${base()}?${q()}`);
  await refreshCounts();
  const buf = await api.bin(`${base()}/points.bin?${q()}`);
  const xy = parsePoints(buf);
  layoutVersion = summary.layout.version;
  scatter.setPoints(xy);
  const sel = $<HTMLSelectElement>('color');
  fillColorMenu();
  const pick =
    summary.fields.find((f) => f.name === preferColor) ??
    (summary.overlay ? summary.fields.find((f) => f.name === 'dataset') : undefined) ??
    summary.fields.find((f) => ['label', 'class', 'object.class', 'category'].includes(f.name) && f.kind === 'category') ??
    summary.fields.find((f) => f.kind === 'category' && f.name !== 'tags') ??
    null;
  sel.value = pick?.name ?? '';
  if (preferColor && !summary.fields.some((f) => f.name === preferColor)) problems.push(`no colour field “${preferColor}” here`);
  await loadColor(sel.value);
  fitView();
  showLayout();
  showBanner();
  status(countText(summary) + ` · loaded in ${Math.round(performance.now() - t0)} ms`);
  scatter.drawNow();
  if (!probe.readyMs) probe.readyMs = performance.now();
  probe.ready = true;
  schedulePoll();
}

// countText says what is drawn; at point level, points of the dataset
// without a vector in this space are counted apart (they are not drawn).
function countText(sum: Summary) {
  const what = sum.level === 'object' ? 'objects' : 'points';
  const ov = sum.overlay;
  const own = sum.count - (ov?.count ?? 0);
  let s = `${own.toLocaleString()} ${what}`;
  const d = datasets.find((x) => x.name === sum.dataset);
  if (sum.level !== 'object' && d) {
    const missing = d.points - own;
    if (missing > 0) s = `${d.points.toLocaleString()} points, ${missing.toLocaleString()} without a vector in this space`;
  }
  if (ov) s += ` of ${sum.dataset} + ${ov.count.toLocaleString()} of ${ov.dataset} (placed from their ${ov.k} nearest in ${sum.dataset})`;
  return s;
}

function parsePoints(buf: ArrayBuffer): Float32Array {
  const dv = new DataView(buf);
  const magic = new TextDecoder().decode(new Uint8Array(buf, 0, 8));
  if (magic !== 'REEFVIEW' || dv.getUint32(8, true) !== 1) throw new Error('points.bin: unknown format');
  const n = dv.getUint32(12, true);
  return new Float32Array(buf, 16, 2 * n);
}

function showLayout() {
  if (!summary) return;
  const l = summary.layout;
  let s = `${l.method.toUpperCase()} layout`;
  if (l.placed) s += ` (+${l.placed.toLocaleString()} placed)`;
  if (l.state === 'computing') {
    const step = l.phase === 'knn' ? 'neighbour graph' : l.phase === 'umap' ? 'optimising' : 'starting';
    s += ` · ${l.computing?.toUpperCase()} on its way: ${step} ${Math.round(100 * (l.progress ?? 0))}%`;
  }
  if (l.state === 'failed') s += ` · ${l.computing?.toUpperCase() ?? 'new layout'} failed: ${l.error}`;
  $('layout-info').textContent = s;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (summary?.layout.state !== 'computing') return;
  pollTimer = window.setTimeout(async () => {
    try {
      const s = await api.json<Summary>(`${base()}?${q()}`);
      if (s.dataset !== summary?.dataset || s.space !== summary?.space || s.level !== summary?.level || s.overlay?.dataset !== summary?.overlay?.dataset) return;
      const changed = s.generation !== summary.generation;
      summary.layout = s.layout;
      if (changed) return loadView(colorField?.name);
      if (s.layout.version !== layoutVersion) {
        const xy = parsePoints(await api.bin(`${base()}/points.bin?${q()}`));
        if (xy.length === scatter.xy.length) {
          layoutVersion = s.layout.version;
          scatter.setPoints(xy);
          scatter.redraw();
        }
      }
      showLayout();
      schedulePoll();
    } catch (e) {
      status(String(e), true);
    }
  }, 1500);
}

// --- details ---
async function selectRow(row: number) {
  focus = row;
  nbRows = [];
  grid.reveal(row);
  updateOverlays();
  const el = $('detail');
  el.innerHTML = '<p class="muted">Loading…</p>';
  const res = await api.json<{ query: Hit; hits: Hit[] }>(`${base()}/neighbors`, { ...ref(), row, k: 12 });
  if (focus !== row) return;
  nbRows = res.hits.map((h) => h.row);
  updateOverlays();
  el.innerHTML = '';
  el.append(await hitCard(res.query));
  const h = document.createElement('h3');
  h.textContent = summary?.overlay ? `Nearest neighbours in ${summary.dataset} and ${summary.overlay.dataset}` : `Nearest neighbours`;
  el.append(h);
  const nb = document.createElement('div');
  nb.className = 'grid nb';
  for (const hit of res.hits) nb.append(await thumbTile(hit));
  el.append(nb);
  probe.neighbors = res.hits.length;
}

// showLightbox shows a canvas over the page until a click or Escape.
function showLightbox(c: HTMLCanvasElement) {
  document.getElementById('lightbox')?.remove();
  const box = document.createElement('div');
  box.id = 'lightbox';
  c.className = 'lightbox-image';
  box.append(c);
  const close = () => {
    box.remove();
    document.removeEventListener('keydown', onKey);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') close();
  };
  box.addEventListener('click', close);
  document.addEventListener('keydown', onKey);
  document.body.append(box);
}

async function hitCard(hit: Hit) {
  const card = document.createElement('div');
  card.className = 'card';
  // The preview when one is stored, else the whole image's thumbnail.
  const preview = hit.image_url;
  const whole = preview ?? (hit.object_id ? hit.image_thumbnail : hit.thumbnail);
  if (whole) {
    // The whole image, large, with the label and the boxes drawn on it.
    const meta = (hit.metadata ?? {}) as Record<string, unknown>;
    let boxes: Box[] = [];
    if (hit.object_id && hit.bbox) boxes = [{ bbox: hit.bbox, label: hit.class ?? hit.object_id, kind: hit.kind, focus: true }];
    else boxes = await pointBoxes(hit);
    try {
      const src = await imgSrc(whole);
      const f = await figure(src, 300, labelOf(hit), boxes, hit.image_size, meta, !!preview);
      card.append(f.canvas);
      if (preview) {
        // Click: the preview at its own size (up to the window), boxes on it.
        f.canvas.classList.add('zoomable');
        f.canvas.title = `${labelOf(hit)} (click for the full image)`;
        f.canvas.addEventListener('click', async () => {
          const side = Math.min(1024, window.innerWidth - 48);
          const full = await figure(src, side, labelOf(hit), boxes, hit.image_size, meta, true);
          showLightbox(full.canvas);
        });
      }
      if (f.note) {
        const n = document.createElement('div');
        n.className = 'boxnote muted';
        n.textContent = f.note;
        card.append(n);
      }
    } catch {
      /* the table below still says what the row is */
    }
  }
  if (hit.thumbnail && hit.object_id) {
    const img = document.createElement('img');
    img.className = 'big' + (hit.object_id ? ' crop' : '');
    img.alt = hit.object_id ? `${hit.id} › ${hit.object_id}` : hit.id;
    img.title = 'the object’s box, cut from the original image';
    img.src = await imgSrc(hit.thumbnail);
    card.append(img);
  }
  if (hit.object_id && hit.image_thumbnail && !hit.thumbnail) {
    const n = document.createElement('div');
    n.className = 'boxnote muted';
    n.textContent = 'no crop of this box is available: the whole image is shown';
    card.append(n);
  }
  if (hit.audio_url) {
    const audio = document.createElement('audio');
    audio.controls = true;
    audio.preload = 'none';
    audio.src = await imgSrc(hit.audio_url);
    card.append(audio);
  }
  const title = document.createElement('div');
  title.className = 'hit-id';
  title.textContent = hit.object_id ? `${hit.id} › ${hit.object_id}` : hit.id;
  card.append(title);
  const table = document.createElement('table');
  const row = (k: string, v: unknown) => {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent =
      typeof v === 'string' ? v : typeof v === 'number' && !Number.isInteger(v) ? String(+v.toPrecision(5)) : JSON.stringify(v);
  };
  if (hit.dataset) row('dataset', hit.dataset);
  row('row', hit.row);
  if (hit.uri) row('uri', hit.uri);
  if (hit.class) row('class', hit.class);
  if (hit.kind) row('kind', hit.kind);
  if (hit.bbox) row('bbox', hit.bbox.map((v) => Math.round(v)).join(', '));
  for (const [k, v] of Object.entries(hit.metadata ?? {})) row(k, v);
  card.append(table);
  return card;
}

// labelOf is what the figure is captioned with: the colour field's value
// (when categorical), else a label or class in the metadata.
function labelOf(hit: Hit) {
  if (codes && colorField?.kind === 'category' && codes[hit.row] !== 0xffff && hit.row < codes.length) {
    return `${colorField.name}: ${colorField.categories![codes[hit.row]].value}`;
  }
  const m = (hit.metadata ?? {}) as Record<string, unknown>;
  for (const k of ['label', 'class', 'category']) if (typeof m[k] === 'string') return `${k}: ${m[k]}`;
  return hit.class ?? '';
}

// pointBoxes reads a point's objects (label and inference boxes).
async function pointBoxes(hit: Hit): Promise<Box[]> {
  try {
    const p = await api.json<{ objects?: { id?: string; kind?: string; class?: string; bbox?: number[]; score?: number }[] }>(
      `/v1/datasets/${encodeURIComponent(hit.dataset ?? state().ds)}/points/${encodeURIComponent(hit.id)}`,
    );
    return (p.objects ?? [])
      .filter((o) => o.bbox && o.bbox.length === 4)
      .map((o) => ({ bbox: o.bbox!, kind: o.kind, label: (o.class ?? o.id ?? '') + (o.score !== undefined ? ` ${o.score.toFixed(2)}` : '') }));
  } catch {
    return [];
  }
}

async function thumbTile(hit: Hit) {
  const tile = document.createElement('button');
  tile.className = 'tile';
  tile.title = `${hit.dataset ? hit.dataset + ': ' : ''}${hit.id}${hit.object_id ? ' › ' + hit.object_id : ''}\ndistance ${hit.distance?.toPrecision(4)}`;
  if (hit.thumbnail) {
    const img = document.createElement('img');
    img.alt = hit.id;
    img.src = await imgSrc(hit.thumbnail);
    tile.append(img);
  } else {
    const sw = document.createElement('span');
    sw.className = 'noimg';
    const c = codes && codes[hit.row] !== 0xffff ? catColor(codes[hit.row]) : DEFAULT;
    sw.style.background = `rgb(${c.join(',')})`;
    tile.append(sw);
  }
  const cap = document.createElement('span');
  cap.className = 'cap';
  cap.textContent = codes && colorField?.kind === 'category' && codes[hit.row] !== 0xffff ? colorField.categories![codes[hit.row]].value : hit.id;
  tile.append(cap);
  if (hit.audio_url) {
    const play = document.createElement('span');
    play.className = 'play';
    play.setAttribute('role', 'button');
    play.title = 'play';
    play.textContent = '▶';
    const url = hit.audio_url;
    play.onclick = (e) => {
      e.stopPropagation();
      playClip(url, play).catch(report);
    };
    tile.append(play);
  }
  tile.onclick = () => selectRow(hit.row);
  return tile;
}

// One player for the neighbours' play buttons.
const player = new Audio();
let playing: HTMLElement | null = null;
player.onended = player.onpause = () => {
  playing?.classList.remove('on');
  playing = null;
};
async function playClip(url: string, button: HTMLElement) {
  const src = await imgSrc(url);
  if (playing === button && !player.paused) {
    player.pause();
    return;
  }
  playing?.classList.remove('on');
  player.src = src;
  playing = button;
  button.classList.add('on');
  await player.play();
}

// --- the grid of the current selection ---
const grid = new Grid($('grid-scroll'), $('grid-inner'), { tile: gridTile, onPick: pickInGrid });
let gridSource = ''; // lasso, legend or similar
let gridDist = new Map<number, number>();
let gridBase: number[] = []; // the rows in their own order
const hits = new Map<string, Promise<Hit>>();
const columns = new Map<string, Promise<Uint16Array | Float32Array>>();

// loader batches the row reads of the view shown (made anew with it).
let loader = newLoader();
function newLoader() {
  const path = `${base()}/rows`, r = ref();
  return new RowLoader((rows) => api.json<RowsResult>(path, { ...r, rows }));
}

// rowHit is what the server says of a row, fetched once per layout.
function rowHit(row: number): Promise<Hit> {
  const key = `${q()}|${summary?.generation}|${row}`;
  let h = hits.get(key);
  if (!h) {
    h = loader.get(row);
    h.catch(() => hits.delete(key));
    hits.set(key, h);
  }
  return h;
}

async function gridTile(row: number) {
  const hit = await rowHit(row);
  const frag = document.createElement('div');
  if (hit.thumbnail) {
    const img = document.createElement('img');
    img.alt = hit.id;
    img.src = await imgSrc(hit.thumbnail);
    frag.append(img);
  } else {
    const sw = document.createElement('span');
    sw.className = 'noimg';
    const c = codes && codes[row] !== 0xffff ? catColor(codes[row]) : DEFAULT;
    sw.style.background = `rgb(${c.join(',')})`;
    frag.append(sw);
  }
  const cap = document.createElement('span');
  cap.className = 'cap';
  const lab = labelOf(hit);
  cap.textContent = lab ? lab.replace(/^[^:]*: /, '') : hit.id;
  frag.append(cap);
  const d = gridDist.get(row);
  if (d !== undefined) {
    const b = document.createElement('span');
    b.className = 'dist';
    b.textContent = d.toPrecision(3);
    frag.append(b);
  }
  frag.title = `${hit.dataset ? hit.dataset + ': ' : ''}${hit.id}${hit.object_id ? ' › ' + hit.object_id : ''}${lab ? '\n' + lab : ''}${d !== undefined ? '\ndistance ' + d.toPrecision(4) : ''}`;
  return frag;
}

function pickInGrid(row: number, additive: boolean) {
  if (additive) {
    if (grid.picked.has(row)) grid.picked.delete(row);
    else grid.picked.add(row);
    grid.refresh();
    showSelection();
    return;
  }
  selectRow(row).catch(report);
}

function showGrid(source: string, title: string, rows: number[], dist?: Map<number, number>) {
  if (source !== gridSource) $<HTMLSelectElement>('grid-tag').value = ''; // a new grid starts unfiltered
  gridSource = source;
  gridBase = rows;
  gridDist = dist ?? new Map();
  grid.picked.clear();
  $('gridpane').hidden = false;
  $('grid-title').textContent = title;
  const sel = $<HTMLSelectElement>('grid-sort');
  const cur = sel.value;
  sel.innerHTML = '';
  if (gridDist.size) sel.add(new Option('distance', 'distance'));
  sel.add(new Option('row', 'row'));
  for (const f of summary?.fields ?? []) sel.add(new Option(f.name, 'field:' + f.name));
  sel.value = gridDist.size ? 'distance' : [...sel.options].some((o) => o.value === cur) ? cur : 'row';
  fillTagFilter();
  scatter.redraw(); // the map's height changed
  sortGrid().catch(report);
  showSelection();
}

function closeGrid() {
  gridSource = '';
  gridBase = [];
  grid.picked.clear();
  grid.setRows([]);
  $('gridpane').hidden = true;
  scatter.redraw();
}

// tagsOf lists the single tags in the tags field (its categories are the
// sorted tag lists of rows, joined by ", ").
function tagsOf(): string[] {
  const f = summary?.fields.find((x) => x.name === 'tags' && x.kind === 'category');
  const out = new Set<string>();
  for (const c of f?.categories ?? []) if (!(f?.other && c === f.categories![f.categories!.length - 1])) for (const t of c.value.split(', ')) out.add(t);
  return [...out].sort();
}

// fillTagFilter offers the tags (a tag just made included) as a grid filter.
function fillTagFilter() {
  const sel = $<HTMLSelectElement>('grid-tag');
  const cur = sel.value;
  const tags = tagsOf();
  sel.innerHTML = '';
  sel.add(new Option('(any)', ''));
  for (const t of tags) sel.add(new Option(t, t));
  sel.value = tags.includes(cur) ? cur : '';
  $('grid-tag-label').hidden = tags.length === 0;
}

// tagged tells whether a row carries a tag, from the tags column.
async function tagged(tag: string): Promise<(row: number) => boolean> {
  const f = summary?.fields.find((x) => x.name === 'tags' && x.kind === 'category');
  if (!f) return () => false;
  const codes = (await column('tags')) as Uint16Array;
  const has = f.categories!.map((c) => c.value.split(', ').includes(tag));
  return (r) => codes[r] !== 0xffff && has[codes[r]] === true;
}

function column(name: string) {
  let c = columns.get(name);
  if (!c) {
    const kind = summary?.fields.find((f) => f.name === name)?.kind;
    c = api.bin(`${base()}/color.bin?${q()}&field=${encodeURIComponent(name)}`).then((b) => (kind === 'category' ? new Uint16Array(b) : new Float32Array(b)));
    columns.set(name, c);
  }
  return c;
}

// sortGrid orders the grid by distance, row or a field (missing values last).
async function sortGrid() {
  const key = $<HTMLSelectElement>('grid-sort').value;
  const desc = $('grid-order').textContent === '↓';
  let rows = [...gridBase];
  const tag = $<HTMLSelectElement>('grid-tag').value;
  if (tag) {
    const has = await tagged(tag);
    rows = rows.filter((r) => has(r));
  }
  const dir = desc ? -1 : 1;
  if (key === 'distance') {
    rows.sort((a, b) => dir * ((gridDist.get(a) ?? -Infinity) - (gridDist.get(b) ?? -Infinity)));
  } else if (key === 'row') {
    rows.sort((a, b) => dir * (a - b));
  } else if (key.startsWith('field:')) {
    const name = key.slice(6);
    const f = summary?.fields.find((x) => x.name === name);
    const col = await column(name);
    if (f?.kind === 'category') {
      const codes = col as Uint16Array, cats = f.categories!;
      const v = (r: number) => (codes[r] === 0xffff ? null : cats[codes[r]].value);
      rows.sort((a, b) => {
        const x = v(a), y = v(b);
        if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
        return dir * x.localeCompare(y, undefined, { numeric: true }) || a - b;
      });
    } else {
      const vals = col as Float32Array;
      rows.sort((a, b) => {
        const x = vals[a], y = vals[b];
        if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1;
        return dir * (x - y) || a - b;
      });
    }
  }
  grid.setRows(rows);
  $('grid-count').textContent = ` · ${rows.length.toLocaleString()}` + (tag ? ` tagged “${tag}” of ${gridBase.length.toLocaleString()}` : '');
  grid.reveal(focus);
}

// --- selection ---
function clearSelection(redraw = true) {
  positives = [];
  negatives = [];
  results = [];
  $('sel').hidden = true;
  if (gridSource === 'lasso' || gridSource === 'similar') closeGrid();
  if (redraw) updateOverlays();
}

// actionRows are what Find similar, tags and exports act on: the picked
// grid tiles when there are any, else the grid's rows, else the lasso.
function actionRows(): { rows: number[]; what: string } {
  if (grid.picked.size) return { rows: [...grid.picked], what: `${grid.picked.size.toLocaleString()} picked in the grid` };
  if (gridSource && gridBase.length) {
    // What the grid shows: its order, and only the tagged rows under a tag filter.
    const rows = $<HTMLSelectElement>('grid-tag').value ? grid.rows : gridBase;
    return { rows, what: `${rows.length.toLocaleString()} in the grid (${$('grid-title').textContent}${$('grid-count').textContent})` };
  }
  return { rows: positives, what: `${positives.length.toLocaleString()} selected` };
}

function showSelection() {
  const a = actionRows();
  $('sel').hidden = a.rows.length + negatives.length === 0;
  $('sel-counts').innerHTML = '';
  const b = document.createElement('b');
  b.textContent = a.what;
  $('sel-counts').append(b);
  if (negatives.length) $('sel-counts').insertAdjacentHTML('beforeend', ` · <b class="neg">${negatives.length.toLocaleString()}</b> negatives`);
  $('sel-msg').textContent = '';
  updateOverlays();
}

// similarTo is the query of the similar rows the grid shows: Find similar
// again (another k or limit) reuses it unless tiles are picked.
let similarTo: number[] = [];

async function findSimilar() {
  const sel = gridSource === 'similar' && !grid.picked.size ? similarTo : actionRows().rows;
  if (!sel.length) return;
  const cap = 2000;
  const k = Math.round(Number($<HTMLInputElement>('sim-k').value) || 50);
  const maxIn = $<HTMLInputElement>('sim-max').value.trim();
  const maxD = maxIn === '' ? undefined : Number(maxIn);
  const self = $<HTMLInputElement>('sim-self').checked;
  $('sel-msg').textContent = 'Searching…';
  try {
    const pos = sel.slice(0, cap);
    // With a distance the server returns every row within it (up to its
    // own cap, 10,000): k does not limit it.
    const res = await api.json<SimilarResult>(`${base()}/similar`, {
      ...ref(), positive: pos, negative: negatives.filter((r) => !pos.includes(r)).slice(0, cap),
      ...(maxD === undefined ? { k } : { max_distance: maxD }), include_selection: self,
    });
    const near = res.hits.slice(res.selection);
    const dist = new Map(res.hits.map((h) => [h.row, h.distance ?? 0]));
    results = near.map((h) => h.row);
    const rows = res.hits.map((h) => h.row);
    let msg = `${near.length} similar`;
    if (maxD !== undefined) msg += ` within distance ${maxD}`;
    msg += ` in ${res.took_ms.toFixed(1)} ms`;
    if (res.capped) msg += ` (the first ${near.length.toLocaleString()}: more lie within ${maxD})`;
    msg += self ? `; the ${res.selection} selected are included` : `; the ${pos.length} selected are left out`;
    if (sel.length > cap) msg += ` (first ${cap} selected used)`;
    const title = `similar to ${pos.length.toLocaleString()}`;
    showGrid('similar', title, rows, dist);
    similarTo = pos;
    $('sel-msg').textContent = msg;
    updateOverlays();
  } catch (e) {
    $('sel-msg').textContent = String(e);
  }
}

async function saveTag(remove: boolean) {
  const tag = $<HTMLInputElement>('tag-name').value.trim();
  const rows = actionRows().rows;
  if (!tag || !rows.length) {
    $('sel-msg').textContent = 'Select points and name the tag first.';
    return;
  }
  try {
    let done = 0, skipped = 0;
    for (let i = 0; i < rows.length; i += 10000) {
      const r = await api.json<{ points: number; skipped: number }>(`${base()}/tag`, { ...ref(), rows: rows.slice(i, i + 10000), tag, remove });
      done += r.points;
      skipped += r.skipped;
    }
    $('sel-msg').textContent = `${remove ? 'Untagged' : 'Tagged'} ${done.toLocaleString()} points "${tag}"` + (skipped ? ` (${skipped.toLocaleString()} ${remove ? 'lacked' : 'already had'} it)` : '') + '.';
    await refreshFields();
  } catch (e) {
    $('sel-msg').textContent = String(e);
  }
}

// refreshFields re-reads the colour fields (a tag just made is offered at
// once) and repaints when the shown field changed.
async function refreshFields() {
  if (!summary) return;
  const s = await api.json<Summary>(`${base()}?${q()}`);
  if (s.generation !== summary.generation) return loadView(colorField?.name);
  summary.fields = s.fields;
  columns.clear();
  hits.clear();
  const sel = $<HTMLSelectElement>('color');
  const cur = sel.value;
  fillColorMenu();
  sel.value = cur;
  if (cur === 'tags') await loadColor(cur);
  fillTagFilter();
}

function fillColorMenu() {
  const sel = $<HTMLSelectElement>('color');
  sel.innerHTML = '';
  sel.add(new Option('(none)', ''));
  for (const f of summary?.fields ?? []) sel.add(new Option(`${f.name} (${f.kind === 'category' ? f.categories!.length : 'number'})`, f.name));
}

async function exportSelection(kind: 'csv' | 'jsonl') {
  const rows = actionRows().rows;
  if (!rows.length) return;
  $('sel-msg').textContent = `Reading ${rows.length.toLocaleString()} rows…`;
  try {
    // Batch reads of ROWS_BATCH rows, one after another.
    const got: Hit[] = [];
    let missing = 0;
    for (let i = 0; i < rows.length; i += ROWS_BATCH) {
      const res = await api.json<RowsResult>(`${base()}/rows`, { ...ref(), rows: rows.slice(i, i + ROWS_BATCH) });
      got.push(...res.hits);
      missing += res.missing?.length ?? 0;
      $('sel-msg').textContent = `Reading rows: ${got.length.toLocaleString()} of ${rows.length.toLocaleString()}…`;
    }
    const out = got.map((h) => ({ ...h, distance: gridDist.get(h.row) }));
    const ds = state().ds;
    const text = kind === 'csv' ? idsCSV(out, ds) : jsonl(out, ds);
    probe.lastExport = text;
    download(`${ds}-selection.${kind}`, kind === 'csv' ? 'text/csv' : 'application/x-ndjson', text);
    $('sel-msg').textContent = `Exported ${got.length.toLocaleString()} rows as ${kind.toUpperCase()}` + (missing ? ` (${missing} deleted meanwhile).` : '.');
  } catch (e) {
    $('sel-msg').textContent = String(e);
  }
}

// --- interaction ---
function setupInteraction() {
  const stage = $('stage');
  const tip = $('tooltip');
  const poly = $('lasso-poly');
  let drag: { x: number; y: number; moved: boolean; lasso: [number, number][] | null; neg: boolean } | null = null;
  const local = (e: MouseEvent): [number, number] => {
    const r = scatter.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  stage.addEventListener('mousedown', (e) => {
    if ((e.target as HTMLElement).closest('#legend')) return;
    const [x, y] = local(e);
    drag = { x, y, moved: false, lasso: e.shiftKey ? [[x, y]] : null, neg: e.altKey };
    e.preventDefault();
  });
  window.addEventListener('mousemove', (e) => {
    const [x, y] = local(e);
    if (drag) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
      if (drag.lasso) {
        drag.lasso.push([x, y]);
        poly.setAttribute('points', drag.lasso.map((p) => p.join(',')).join(' '));
        poly.classList.toggle('neg', drag.neg);
      } else if (drag.moved) {
        scatter.panBy(e.movementX, e.movementY);
      }
      tip.hidden = true;
      hoverRow = -1;
      return;
    }
    if (e.target !== scatter.canvas) {
      tip.hidden = true;
      hoverRow = -1;
      return;
    }
    const row = scatter.pick(x, y);
    if (row < 0) {
      tip.hidden = true;
      hoverRow = -1;
      return;
    }
    tip.hidden = false;
    tip.style.left = `${x + 14}px`;
    tip.style.top = `${y + 10}px`;
    if (row === hoverRow) return;
    hoverRow = row;
    let label = `row ${row}`;
    if (colorField && codes && codes[row] !== 0xffff) label = `${colorField.name}: ${colorField.categories![codes[row]].value}`;
    if (colorField && values) label = `${colorField.name}: ${Number.isNaN(values[row]) ? '–' : fmt(values[row])}`;
    tip.textContent = label;
    hoverDetail(row, label);
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.lasso) {
      poly.setAttribute('points', '');
      const rows = d.lasso.length > 2 ? scatter.inPolygon(d.lasso) : [];
      if (d.neg) negatives = union(negatives, rows);
      else positives = union(positives, rows);
      const pos = new Set(positives);
      negatives = negatives.filter((r) => !pos.has(r));
      results = [];
      if (positives.length) showGrid('lasso', 'lasso', positives);
      else if (gridSource === 'lasso' || gridSource === 'similar') closeGrid();
      showSelection();
      return;
    }
    if (!d.moved && e.target === scatter.canvas) {
      tip.hidden = true;
      clearTimeout(hoverTimer);
      const [x, y] = local(e);
      const row = scatter.pick(x, y, 10);
      if (row >= 0) selectRow(row).catch((err) => status(String(err), true));
    }
  });
  stage.addEventListener('wheel', (e) => {
    if ((e.target as HTMLElement).closest('#legend')) return;
    e.preventDefault();
    const [x, y] = local(e);
    scatter.zoomAt(x, y, Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)));
  }, { passive: false });
  window.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === 'Escape') {
      legendPick = -1;
      focus = -1;
      nbRows = [];
      clearSelection();
      closeGrid();
      renderLegend();
    }
    if (e.key === 'f') fitView();
  });
  window.addEventListener('resize', () => scatter.redraw());
}

let hoverTimer = 0;
let hoverRow = -1;
const hoverCache = new Map<string, Hit>();
// hoverDetail fills the tooltip with the row's id and thumbnail (at object
// level, the crop of its box) once the pointer rests on it.
function hoverDetail(row: number, label: string) {
  clearTimeout(hoverTimer);
  const key = `${q()}|${summary?.generation}|${row}`;
  const show = async (h: Hit) => {
    const src = h.thumbnail ? await imgSrc(h.thumbnail) : '';
    const tip = $('tooltip');
    if (tip.hidden || hoverRow !== row) return;
    tip.textContent = '';
    if (src) {
      const img = document.createElement('img');
      img.alt = '';
      img.src = src;
      tip.append(img);
    }
    const t = document.createElement('div');
    t.textContent = `${h.dataset ? h.dataset + ': ' : ''}${h.object_id ? `${h.id} › ${h.object_id}` : h.id} · ${label}`;
    tip.append(t);
    probe.hoverThumb = h.thumbnail ?? '';
  };
  const cached = hoverCache.get(key);
  if (cached) {
    show(cached).catch(() => {});
    return;
  }
  hoverTimer = window.setTimeout(async () => {
    try {
      const h = await rowHit(row);
      hoverCache.set(key, h);
      await show(h);
    } catch {
      /* hover is best effort */
    }
  }, 120);
}

function union(a: number[], b: number[]) {
  const s = new Set(a);
  for (const x of b) s.add(x);
  return [...s];
}

// --- wiring ---
async function relayout(method: string) {
  try {
    summary = await api.json<Summary>(`${base()}/layout`, { ...ref(), method });
    if (summary.layout.version !== layoutVersion) {
      layoutVersion = summary.layout.version;
      scatter.setPoints(parsePoints(await api.bin(`${base()}/points.bin?${q()}`)));
      scatter.redraw();
    }
    showLayout();
    schedulePoll();
  } catch (e) {
    status(String(e), true);
  }
}

async function start() {
  setKeyPrompt(
    () =>
      new Promise<string>((resolve) => {
        const dlg = $<HTMLDialogElement>('keydlg');
        dlg.onclose = () => resolve($<HTMLInputElement>('keyin').value.trim());
        dlg.showModal();
      }),
  );
  setupInteraction();
  // A choice in the menus answers the link's problems.
  for (const id of ['ds', 'space', 'level', 'with', 'color']) {
    $(id).addEventListener('change', () => {
      problems.length = 0;
      showBanner();
    });
  }
  $('ds').onchange = () => {
    fillSpaces();
    loadView().catch(report);
  };
  $('space').onchange = () => {
    fillLevels();
    loadView().catch(report);
  };
  $('level').onchange = () => {
    fillWith();
    loadView().catch(report);
  };
  $('with').onchange = () => loadView().catch(report);
  $('color').onchange = () => loadColor($<HTMLSelectElement>('color').value).catch(report);
  $('btn-umap').onclick = () => relayout('umap');
  $('btn-pca').onclick = () => relayout('pca');
  $('btn-help').onclick = () => ($('help').hidden = !$('help').hidden);
  $('btn-similar').onclick = () => findSimilar();
  $('btn-clear').onclick = () => {
    legendPick = -1;
    clearSelection();
    closeGrid();
    renderLegend();
  };
  $('btn-tag').onclick = () => saveTag(false);
  $('btn-untag').onclick = () => saveTag(true);
  $('btn-csv').onclick = () => exportSelection('csv');
  $('btn-jsonl').onclick = () => exportSelection('jsonl');
  $('grid-sort').onchange = () => sortGrid().catch(report);
  $('grid-tag').onchange = () => {
    grid.picked.clear();
    sortGrid().then(showSelection).catch(report);
  };
  $('grid-order').onclick = () => {
    $('grid-order').textContent = $('grid-order').textContent === '↑' ? '↓' : '↑';
    sortGrid().catch(report);
  };
  $('grid-close').onclick = () => {
    if (gridSource === 'legend') {
      legendPick = -1;
      renderLegend();
    }
    closeGrid();
    showSelection();
  };
  new ResizeObserver(() => scatter.redraw()).observe($('stage'));

  $('banner-close').onclick = () => {
    problems.length = 0;
    showBanner();
  };
  const h = new URLSearchParams(location.hash.slice(1));
  if (!(await loadDatasets())) return;
  const ds = h.get('ds'), space = h.get('space'), level = h.get('level'), w = h.get('with');
  if (ds && datasets.some((d) => d.name === ds)) $<HTMLSelectElement>('ds').value = ds;
  else if (ds) problems.push(`No dataset “${ds}”: showing “${state().ds}”`);
  fillSpaces(space ?? undefined);
  if (space && state().space !== space) problems.push(`“${state().ds}” has no space “${space}”: showing “${state().space}”`);
  if (level === 'object' && !$<HTMLSelectElement>('level').options[1].disabled) $<HTMLSelectElement>('level').value = 'object';
  else if (level === 'object') problems.push(`space “${state().space}” has no object vectors: showing points`);
  else if (level && level !== 'point') problems.push(`unknown level “${level}” (point or object)`);
  fillWith(w ?? '');
  if (w && state().with !== w) problems.push(`“${w}” cannot be overlaid on this space`);
  showBanner();
  await loadView(h.get('color') ?? undefined);
}

// Problems with the link (#ds=, space=...) the page could not honour.
const problems: string[] = [];
function showBanner() {
  $('banner').hidden = problems.length === 0;
  $('banner-msg').textContent = problems.join(' · ');
}

function report(e: unknown) {
  status(e instanceof ApiError ? e.message : String(e), true);
}

start().catch(report);
