// Batched row reads: every row asked for in the same turn of the event
// loop (a grid render asks for a screenful at once) goes out as one
// POST .../view/rows of at most ROWS_BATCH rows, instead of one
// GET .../row/{row} each.

import type { Hit, RowsResult } from './types';

export const ROWS_BATCH = 1000; // the server's bound (view.MaxRowsBatch)

type Fetch = (rows: number[]) => Promise<RowsResult>;

export class RowLoader {
  private want = new Map<number, { resolve: (h: Hit) => void; reject: (e: unknown) => void }[]>();
  private queued = false;
  private fetch: Fetch;
  calls = 0; // batch requests made (the browser test reads it)

  constructor(fetch: Fetch) {
    this.fetch = fetch;
  }

  get(row: number): Promise<Hit> {
    return new Promise((resolve, reject) => {
      const w = this.want.get(row) ?? [];
      w.push({ resolve, reject });
      this.want.set(row, w);
      if (!this.queued) {
        this.queued = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush() {
    this.queued = false;
    const all = [...this.want];
    this.want.clear();
    for (let i = 0; i < all.length; i += ROWS_BATCH) {
      const part = all.slice(i, i + ROWS_BATCH);
      this.calls++;
      this.fetch(part.map(([r]) => r)).then(
        (res) => {
          const byRow = new Map(res.hits.map((h) => [h.row, h]));
          for (const [r, ws] of part) {
            const h = byRow.get(r);
            for (const w of ws) h ? w.resolve(h) : w.reject(new Error(`row ${r} was deleted`));
          }
        },
        (e) => {
          for (const [, ws] of part) for (const w of ws) w.reject(e);
        },
      );
    }
  }
}
