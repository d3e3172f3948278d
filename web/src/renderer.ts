// A small scatter renderer for up to a few million points: WebGL points
// with a 2-D canvas fallback, pan/zoom, nearest-point picking on a grid and
// polygon (lasso) selection. Coordinates are in [-1,1]².

export interface View {
  cx: number; // data coordinates at the canvas centre
  cy: number;
  zoom: number; // 1 = the [-1,1] square fits the shorter side
}

export interface Overlay {
  rows: Uint32Array | number[];
  ring: [number, number, number]; // 0..255
  scale: number; // point size multiplier
}

const VS = `
attribute vec2 a_pos;
attribute vec4 a_color;
uniform vec2 u_center;
uniform vec2 u_scale;
uniform float u_size;
uniform float u_alpha;
varying vec4 v_color;
void main() {
  gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = vec4(a_color.rgb, a_color.a * u_alpha);
}`;

const FS = `
precision mediump float;
varying vec4 v_color;
uniform float u_round;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r2 = dot(d, d);
  if (u_round > 0.5 && r2 > 0.25) discard;
  gl_FragColor = vec4(v_color.rgb * v_color.a, v_color.a);
}`;

interface Backend {
  kind: 'webgl' | 'canvas2d';
  setPoints(xy: Float32Array): void;
  setColors(rgba: Uint8Array): void;
  draw(r: Scatter): void;
}

class GLBackend implements Backend {
  kind = 'webgl' as const;
  private gl: WebGLRenderingContext;
  private prog: WebGLProgram;
  private pos: WebGLBuffer;
  private col: WebGLBuffer;
  private opos: WebGLBuffer;
  private ocol: WebGLBuffer;
  private n = 0;
  private loc: Record<string, any> = {};

  constructor(gl: WebGLRenderingContext) {
    this.gl = gl;
    const sh = (type: number, src: string) => {
      const s = gl.createShader(type)!;
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) || 'shader');
      return s;
    };
    const p = gl.createProgram()!;
    gl.attachShader(p, sh(gl.VERTEX_SHADER, VS));
    gl.attachShader(p, sh(gl.FRAGMENT_SHADER, FS));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p) || 'link');
    this.prog = p;
    for (const a of ['a_pos', 'a_color']) this.loc[a] = gl.getAttribLocation(p, a);
    for (const u of ['u_center', 'u_scale', 'u_size', 'u_alpha', 'u_round']) this.loc[u] = gl.getUniformLocation(p, u);
    this.pos = gl.createBuffer()!;
    this.col = gl.createBuffer()!;
    this.opos = gl.createBuffer()!;
    this.ocol = gl.createBuffer()!;
  }

  setPoints(xy: Float32Array) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.pos);
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STATIC_DRAW);
    this.n = xy.length / 2;
  }

  setColors(rgba: Uint8Array) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.col);
    gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.DYNAMIC_DRAW);
  }

  private bind(pos: WebGLBuffer, col: WebGLBuffer) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, pos);
    gl.enableVertexAttribArray(this.loc.a_pos);
    gl.vertexAttribPointer(this.loc.a_pos, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, col);
    gl.enableVertexAttribArray(this.loc.a_color);
    gl.vertexAttribPointer(this.loc.a_color, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  }

  draw(r: Scatter) {
    const gl = this.gl;
    const { width: w, height: h } = r.canvas;
    gl.viewport(0, 0, w, h);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.prog);
    const ppu = r.pixelsPerUnit();
    gl.uniform2f(this.loc.u_center, r.view.cx, r.view.cy);
    gl.uniform2f(this.loc.u_scale, (2 * ppu) / w, (2 * ppu) / h);
    const size = r.pointSize();
    gl.uniform1f(this.loc.u_round, size >= 3 ? 1 : 0);
    gl.uniform1f(this.loc.u_size, size);
    gl.uniform1f(this.loc.u_alpha, r.overlays.length && r.dimOthers ? 0.18 : r.baseAlpha());
    this.bind(this.pos, this.col);
    gl.drawArrays(gl.POINTS, 0, this.n);
    for (const o of r.overlays) {
      const m = o.rows.length;
      if (!m) continue;
      const pxy = new Float32Array(2 * m);
      const ring = new Uint8Array(4 * m);
      const fill = new Uint8Array(4 * m);
      for (let i = 0; i < m; i++) {
        const row = o.rows[i];
        pxy[2 * i] = r.xy[2 * row];
        pxy[2 * i + 1] = r.xy[2 * row + 1];
        ring.set([o.ring[0], o.ring[1], o.ring[2], 255], 4 * i);
        fill.set([r.rgba[4 * row], r.rgba[4 * row + 1], r.rgba[4 * row + 2], 255], 4 * i);
      }
      gl.bindBuffer(gl.ARRAY_BUFFER, this.opos);
      gl.bufferData(gl.ARRAY_BUFFER, pxy, gl.STREAM_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.ocol);
      gl.bufferData(gl.ARRAY_BUFFER, ring, gl.STREAM_DRAW);
      this.bind(this.opos, this.ocol);
      const big = Math.max(size * o.scale, size + 4);
      gl.uniform1f(this.loc.u_round, 1);
      gl.uniform1f(this.loc.u_alpha, 1);
      gl.uniform1f(this.loc.u_size, big);
      gl.drawArrays(gl.POINTS, 0, m);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.ocol);
      gl.bufferData(gl.ARRAY_BUFFER, fill, gl.STREAM_DRAW);
      gl.uniform1f(this.loc.u_size, Math.max(2, big - 3));
      gl.drawArrays(gl.POINTS, 0, m);
    }
  }
}

class Canvas2DBackend implements Backend {
  kind = 'canvas2d' as const;
  private ctx: CanvasRenderingContext2D;
  constructor(ctx: CanvasRenderingContext2D) {
    this.ctx = ctx;
  }
  setPoints() {}
  setColors() {}
  draw(r: Scatter) {
    const { width: w, height: h } = r.canvas;
    const img = this.ctx.createImageData(w, h);
    const px = new Uint32Array(img.data.buffer);
    const ppu = r.pixelsPerUnit();
    const size = Math.max(1, Math.round(r.pointSize() - 1));
    const alpha = r.overlays.length && r.dimOthers ? 0.18 : Math.min(1, r.baseAlpha() + 0.2);
    const plot = (row: number, s: number, cr: number, cg: number, cb: number, a: number) => {
      const sx = Math.round(w / 2 + (r.xy[2 * row] - r.view.cx) * ppu);
      const sy = Math.round(h / 2 - (r.xy[2 * row + 1] - r.view.cy) * ppu);
      const h0 = s >> 1;
      for (let dy = -h0; dy < s - h0; dy++) {
        const y = sy + dy;
        if (y < 0 || y >= h) continue;
        for (let dx = -h0; dx < s - h0; dx++) {
          const x = sx + dx;
          if (x < 0 || x >= w) continue;
          const i = y * w + x;
          const old = px[i];
          const oa = (old >>> 24) / 255;
          const or = old & 255, og = (old >> 8) & 255, ob = (old >> 16) & 255;
          const na = a + oa * (1 - a);
          const mix = (c: number, o: number) => Math.round((c * a + o * oa * (1 - a)) / (na || 1));
          px[i] = ((Math.round(na * 255) << 24) | (mix(cb, ob) << 16) | (mix(cg, og) << 8) | mix(cr, or)) >>> 0;
        }
      }
    };
    const n = r.xy.length / 2;
    for (let i = 0; i < n; i++) plot(i, size, r.rgba[4 * i], r.rgba[4 * i + 1], r.rgba[4 * i + 2], (r.rgba[4 * i + 3] / 255) * alpha);
    for (const o of r.overlays) {
      const big = Math.max(size + 4, Math.round(size * o.scale));
      for (const row of o.rows) plot(row, big, o.ring[0], o.ring[1], o.ring[2], 1);
      for (const row of o.rows) plot(row, Math.max(2, big - 3), r.rgba[4 * row], r.rgba[4 * row + 1], r.rgba[4 * row + 2], 1);
    }
    this.ctx.putImageData(img, 0, 0);
  }
}

export class Scatter {
  canvas: HTMLCanvasElement;
  view: View = { cx: 0, cy: 0, zoom: 1 };
  xy: Float32Array = new Float32Array(0);
  rgba: Uint8Array = new Uint8Array(0);
  overlays: Overlay[] = [];
  dimOthers = false;
  rendered = 0; // points drawn by the last frame
  frames = 0;
  backend: Backend;
  onDraw: (() => void) | null = null;
  private grid: { cells: Uint32Array; start: Uint32Array; g: number } | null = null;
  private pending = false;

  constructor(canvas: HTMLCanvasElement, forceCanvas2D = false) {
    this.canvas = canvas;
    let gl: WebGLRenderingContext | null = null;
    if (!forceCanvas2D) {
      try {
        gl = canvas.getContext('webgl', { antialias: false, premultipliedAlpha: true, preserveDrawingBuffer: true });
      } catch {
        gl = null;
      }
    }
    let backend: Backend | null = null;
    if (gl) {
      try {
        backend = new GLBackend(gl);
      } catch (e) {
        console.warn('WebGL unusable, falling back to canvas 2D', e);
      }
    }
    if (!backend) {
      if (gl) {
        // A canvas that gave out a WebGL context cannot give a 2-D one.
        const fresh = canvas.cloneNode() as HTMLCanvasElement;
        canvas.replaceWith(fresh);
        this.canvas = fresh;
      }
      backend = new Canvas2DBackend(this.canvas.getContext('2d')!);
    }
    this.backend = backend;
  }

  get n() {
    return this.xy.length / 2;
  }

  setPoints(xy: Float32Array) {
    this.xy = xy;
    this.backend.setPoints(xy);
    this.grid = null;
    if (this.rgba.length !== 2 * xy.length) this.setColors(new Uint8Array(2 * xy.length).fill(200));
  }

  setColors(rgba: Uint8Array) {
    this.rgba = rgba;
    this.backend.setColors(rgba);
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  pixelsPerUnit() {
    return (this.view.zoom * Math.min(this.canvas.width, this.canvas.height)) / 2;
  }

  pointSize() {
    const dpr = window.devicePixelRatio || 1;
    const n = this.n;
    const base = n > 500_000 ? 1.5 : n > 100_000 ? 2.2 : n > 20_000 ? 3 : 4.5;
    return Math.min(24, base * dpr * Math.pow(this.view.zoom, 0.5));
  }

  baseAlpha() {
    const n = this.n;
    return n > 500_000 ? 0.45 : n > 100_000 ? 0.65 : 0.85;
  }

  redraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.drawNow();
    });
  }

  drawNow() {
    this.resize();
    this.backend.draw(this);
    this.rendered = this.n;
    this.frames++;
    this.onDraw?.();
  }

  // Screen (CSS pixel) position of a row.
  screenOf(row: number): [number, number] {
    const dpr = window.devicePixelRatio || 1;
    const ppu = this.pixelsPerUnit();
    const sx = this.canvas.width / 2 + (this.xy[2 * row] - this.view.cx) * ppu;
    const sy = this.canvas.height / 2 - (this.xy[2 * row + 1] - this.view.cy) * ppu;
    return [sx / dpr, sy / dpr];
  }

  toData(cssX: number, cssY: number): [number, number] {
    const dpr = window.devicePixelRatio || 1;
    const ppu = this.pixelsPerUnit();
    return [
      this.view.cx + (cssX * dpr - this.canvas.width / 2) / ppu,
      this.view.cy - (cssY * dpr - this.canvas.height / 2) / ppu,
    ];
  }

  zoomAt(cssX: number, cssY: number, factor: number) {
    const [dx, dy] = this.toData(cssX, cssY);
    const z = Math.min(2000, Math.max(0.2, this.view.zoom * factor));
    const f = this.view.zoom / z;
    this.view.cx = dx - (dx - this.view.cx) * f;
    this.view.cy = dy - (dy - this.view.cy) * f;
    this.view.zoom = z;
    this.redraw();
  }

  panBy(cssDX: number, cssDY: number) {
    const dpr = window.devicePixelRatio || 1;
    const ppu = this.pixelsPerUnit();
    this.view.cx -= (cssDX * dpr) / ppu;
    this.view.cy += (cssDY * dpr) / ppu;
    this.redraw();
  }

  // fit shows the whole [-1,1] square in the canvas less a band of inset
  // CSS pixels on the left (where the legend sits).
  fit(inset = 0) {
    this.resize();
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    const free = Math.max(w / 3, w - inset);
    const zoom = w > 0 && h > 0 ? Math.min(free, h) / Math.min(w, h) : 1;
    this.view = { cx: 0, cy: 0, zoom };
    const ppu = this.pixelsPerUnit();
    this.view.cx = ppu > 0 ? -(((w - free) / 2) * dpr) / ppu : 0;
    this.redraw();
  }

  private buildGrid() {
    const g = Math.max(8, Math.min(1024, Math.round(Math.sqrt(this.n / 4))));
    const n = this.n;
    const cellOf = new Uint32Array(n);
    const count = new Uint32Array(g * g + 1);
    for (let i = 0; i < n; i++) {
      const cx = Math.min(g - 1, Math.max(0, Math.floor(((this.xy[2 * i] + 1) / 2) * g)));
      const cy = Math.min(g - 1, Math.max(0, Math.floor(((this.xy[2 * i + 1] + 1) / 2) * g)));
      cellOf[i] = cy * g + cx;
      count[cellOf[i] + 1]++;
    }
    for (let c = 1; c <= g * g; c++) count[c] += count[c - 1];
    const start = count.slice();
    const cells = new Uint32Array(n);
    const fill = count.slice(0, g * g);
    for (let i = 0; i < n; i++) cells[fill[cellOf[i]]++] = i;
    this.grid = { cells, start, g };
  }

  // pick returns the row nearest to a CSS-pixel position within radius px, or -1.
  pick(cssX: number, cssY: number, radius = 8): number {
    if (!this.n) return -1;
    if (!this.grid) this.buildGrid();
    const { cells, start, g } = this.grid!;
    const [x, y] = this.toData(cssX, cssY);
    const dpr = window.devicePixelRatio || 1;
    const r = (radius * dpr) / this.pixelsPerUnit();
    const c0 = (v: number) => Math.min(g - 1, Math.max(0, Math.floor(((v + 1) / 2) * g)));
    let best = -1;
    let bestD = r * r;
    for (let cy = c0(y - r); cy <= c0(y + r); cy++) {
      for (let cx = c0(x - r); cx <= c0(x + r); cx++) {
        const c = cy * g + cx;
        for (let k = start[c]; k < start[c + 1]; k++) {
          const i = cells[k];
          const dx = this.xy[2 * i] - x;
          const dy = this.xy[2 * i + 1] - y;
          const d = dx * dx + dy * dy;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  // inPolygon returns the rows inside a polygon given in CSS pixels.
  inPolygon(poly: [number, number][]): number[] {
    if (poly.length < 3) return [];
    const pts = poly.map(([x, y]) => this.toData(x, y));
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [x, y] of pts) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const out: number[] = [];
    const m = pts.length;
    for (let i = 0; i < this.n; i++) {
      const x = this.xy[2 * i], y = this.xy[2 * i + 1];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      let inside = false;
      for (let a = 0, b = m - 1; a < m; b = a++) {
        const [xa, ya] = pts[a], [xb, yb] = pts[b];
        if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
      }
      if (inside) out.push(i);
    }
    return out;
  }
}
