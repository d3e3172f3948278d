// A virtualised grid of rows: only the tiles in (or near) the scrolled
// window exist in the DOM, so a selection of a hundred thousand rows costs
// what a screenful does. Tiles are made by the caller (asynchronously: a
// tile's thumbnail URL comes from the server) and dropped when scrolled far
// away.

export interface GridOptions {
  tile: (row: number) => Promise<HTMLElement>;
  onPick: (row: number, additive: boolean) => void;
}

export const TILE = 92; // px, square
const CAP = 16; // caption height
const GAP = 6;

export class Grid {
  rows: number[] = [];
  focus = -1;
  picked = new Set<number>();
  private scroll: HTMLElement;
  private inner: HTMLElement;
  private live = new Map<number, HTMLElement>(); // index in rows → tile
  private gen = 0;
  private opts: GridOptions;

  constructor(scroll: HTMLElement, inner: HTMLElement, opts: GridOptions) {
    this.scroll = scroll;
    this.inner = inner;
    this.opts = opts;
    scroll.addEventListener('scroll', () => this.render());
    new ResizeObserver(() => this.render()).observe(scroll);
  }

  private cols() {
    return Math.max(1, Math.floor((this.scroll.clientWidth - GAP) / (TILE + GAP)));
  }

  setRows(rows: number[]) {
    this.rows = rows;
    this.gen++;
    this.live.clear();
    this.inner.innerHTML = '';
    this.scroll.scrollTop = 0;
    this.render();
  }

  // render makes the tiles of the visible window (plus a row either side)
  // and drops the others.
  render() {
    const cols = this.cols();
    const rowH = TILE + CAP + GAP;
    this.inner.style.height = `${Math.ceil(this.rows.length / cols) * rowH + GAP}px`;
    const top = this.scroll.scrollTop, h = this.scroll.clientHeight;
    const first = Math.max(0, Math.floor(top / rowH) - 1) * cols;
    const last = Math.min(this.rows.length, (Math.ceil((top + h) / rowH) + 1) * cols);
    for (const [i, el] of this.live) {
      if (i < first || i >= last) {
        el.remove();
        this.live.delete(i);
      }
    }
    const gen = this.gen;
    for (let i = first; i < last; i++) {
      if (this.live.has(i)) continue;
      const slot = document.createElement('div');
      slot.className = 'gtile';
      slot.style.left = `${GAP + (i % cols) * (TILE + GAP)}px`;
      slot.style.top = `${GAP + Math.floor(i / cols) * rowH}px`;
      const row = this.rows[i];
      slot.dataset.row = String(row);
      this.mark(slot);
      slot.onclick = (e) => this.opts.onPick(row, e.ctrlKey || e.metaKey || e.shiftKey);
      this.live.set(i, slot);
      this.inner.append(slot);
      this.opts.tile(row).then(
        (t) => {
          if (gen === this.gen && slot.isConnected) slot.append(t);
        },
        () => slot.classList.add('failed'),
      );
    }
  }

  private mark(el: HTMLElement) {
    const row = Number(el.dataset.row);
    el.classList.toggle('focus', row === this.focus);
    el.classList.toggle('picked', this.picked.has(row));
  }

  // refresh re-marks the live tiles (focus and picks changed).
  refresh() {
    for (const el of this.live.values()) this.mark(el);
  }

  // reveal scrolls a row into view (when it is in the grid) and focuses it.
  reveal(row: number) {
    this.focus = row;
    const i = this.rows.indexOf(row);
    if (i >= 0) {
      const rowH = TILE + CAP + GAP;
      const y = Math.floor(i / this.cols()) * rowH;
      if (y < this.scroll.scrollTop || y + rowH > this.scroll.scrollTop + this.scroll.clientHeight) {
        this.scroll.scrollTop = Math.max(0, y - rowH);
      }
      this.render();
    }
    this.refresh();
  }

  // liveCount is how many tiles exist (the test checks it stays small).
  liveCount() {
    return this.live.size;
  }
}
