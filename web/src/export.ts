// Exports of a selection, made in the page: ids as CSV, or one JSON object
// a line with what the server says of each row (metadata included).

export interface ExportRow {
  row: number;
  dataset?: string;
  id: string;
  object_id?: string;
  class?: string;
  kind?: string;
  bbox?: number[];
  distance?: number;
  metadata?: Record<string, unknown>;
}

function csvCell(s: string) {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// idsCSV has a header and one line a row: dataset, id, object_id, row.
export function idsCSV(rows: ExportRow[], dataset: string) {
  const lines = ['dataset,id,object_id,row'];
  for (const r of rows) lines.push([r.dataset ?? dataset, r.id, r.object_id ?? '', String(r.row)].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

export function jsonl(rows: ExportRow[], dataset: string) {
  return rows
    .map((r) => {
      const o: Record<string, unknown> = { dataset: r.dataset ?? dataset, id: r.id };
      if (r.object_id) o.object_id = r.object_id;
      if (r.class) o.class = r.class;
      if (r.kind) o.kind = r.kind;
      if (r.bbox) o.bbox = r.bbox;
      if (r.distance !== undefined) o.distance = r.distance;
      o.row = r.row;
      o.metadata = r.metadata ?? {};
      return JSON.stringify(o);
    })
    .join('\n') + '\n';
}

// download saves text as a file through a temporary link.
export function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
