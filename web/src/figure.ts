// The whole image of a point drawn large, with its label and boxes on it.
// Boxes are in the original image's pixels and the page has the preview
// (hit.image_url, ≤ 1024 px) or, for images stored before previews, only the
// thumbnail (≤ 128 px), neither ever enlarged, so a box is placed by the
// scale drawn image / original: the server says the original size
// (hit.image_size) when ingest recorded it or the thumbnail is the
// original; metadata width and height are the fallback.

export interface Box {
  bbox: number[]; // x, y, w, h in original pixels
  label: string;
  kind?: string; // label or inference
  focus?: boolean;
}

const THUMB_MAX = 128;

// scaleOf is thumbnail pixels per original pixel, or 0 when unknown.
export function scaleOf(w: number, h: number, size?: [number, number], meta?: Record<string, unknown>) {
  if (size && size[0] > 0 && size[1] > 0) return w / size[0];
  const mw = Number(meta?.width ?? meta?.image_width), mh = Number(meta?.height ?? meta?.image_height);
  if (mw > 0 && mh > 0) return w / mw;
  return Math.max(w, h) < THUMB_MAX ? 1 : 0;
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`image ${src} did not load`));
    img.src = src;
  });
}

// figure draws src at up to width px (whole multiples for small images,
// so pixels stay square) with the label at the top and the boxes. It says
// in note when boxes exist but cannot be placed.
export async function figure(src: string, width: number, label: string, boxes: Box[], size?: [number, number], meta?: Record<string, unknown>, preview = false) {
  const img = await loadImage(src);
  const nw = img.naturalWidth, nh = img.naturalHeight;
  const z = nw <= width / 2 ? Math.floor(width / nw) : width / nw;
  const c = document.createElement('canvas');
  c.className = 'full';
  c.width = Math.round(nw * z);
  c.height = Math.round(nh * z);
  c.dataset.natural = `${nw}x${nh}`;
  const x = c.getContext('2d')!;
  x.imageSmoothingEnabled = nw > 64;
  x.drawImage(img, 0, 0, c.width, c.height);
  const sc = scaleOf(nw, nh, size, meta) * z;
  let drawn = 0;
  x.font = '11px system-ui, sans-serif';
  x.textBaseline = 'top';
  if (sc > 0) {
    for (const b of boxes) {
      const [bx, by, bw, bh] = b.bbox.map((v) => v * sc);
      x.lineWidth = b.focus ? 3 : 2;
      x.strokeStyle = b.kind === 'inference' ? '#facc15' : '#34d399';
      x.setLineDash(b.kind === 'inference' ? [5, 3] : []);
      x.strokeRect(bx, by, bw, bh);
      const tw = x.measureText(b.label).width + 6;
      x.fillStyle = 'rgba(15,20,26,.8)';
      x.fillRect(bx, Math.max(0, by - 15), tw, 15);
      x.fillStyle = x.strokeStyle;
      x.fillText(b.label, bx + 3, Math.max(0, by - 15) + 2);
      drawn++;
    }
  }
  c.dataset.boxes = String(drawn);
  if (label) {
    x.setLineDash([]);
    x.font = '600 13px system-ui, sans-serif';
    const tw = x.measureText(label).width + 10;
    x.fillStyle = 'rgba(15,20,26,.85)';
    x.fillRect(0, c.height - 20, tw, 20);
    x.fillStyle = '#dbe3ec';
    x.fillText(label, 5, c.height - 16);
  }
  c.title = label;
  const notes: string[] = [];
  if (boxes.length && !drawn) notes.push(`${boxes.length} box${boxes.length > 1 ? 'es' : ''} not drawn: the original image size is unknown here`);
  // Say what is drawn when the original is bigger: the preview, or only
  // the thumbnail when the image was stored before previews existed.
  const orig = size ?? (sc > 0 ? [Math.round(nw / (sc / z)), Math.round(nh / (sc / z))] : undefined);
  const what = preview ? 'preview' : 'thumbnail';
  const why = preview ? '' : ' (no preview stored: store the image again for one)';
  if (orig && (orig[0] > nw || orig[1] > nh)) notes.push(`the ${nw}×${nh} ${what} of a ${orig[0]}×${orig[1]} image${why}`);
  else if (!orig && !preview && Math.max(nw, nh) >= THUMB_MAX) notes.push(`the ${nw}×${nh} thumbnail${why}`);
  c.dataset.note = notes.join('; ');
  return { canvas: c, note: notes.join('; ') };
}
