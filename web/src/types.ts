// What the view API returns (docs/openapi.yaml, /v1/datasets/{ds}/view).

export interface Field {
  name: string;
  kind: 'category' | 'number';
  count: number;
  categories?: { value: string; count: number }[];
  other?: boolean;
  min?: number;
  max?: number;
}
export interface Layout {
  method: string;
  state: string;
  computing?: string;
  phase?: string;
  progress?: number;
  error?: string;
  placed: number;
  version: number;
}
export interface Summary {
  dataset: string;
  space: string;
  level: string;
  metric: string;
  count: number;
  generation: number;
  layout: Layout;
  fields: Field[];
  thumbnails: number;
  urls: Record<string, string>;
  overlay?: { dataset: string; offset: number; count: number; thumbnails: number; placement: string; k: number };
}
export interface Hit {
  row: number;
  dataset?: string; // set when a dataset is overlaid
  id: string;
  object_id?: string;
  distance?: number;
  uri?: string;
  metadata?: Record<string, unknown>;
  kind?: string;
  class?: string;
  bbox?: number[];
  thumbnail?: string; // at object level: the crop of the box
  image_thumbnail?: string; // at object level: the whole image
  audio_url?: string;
  image_url?: string; // the image at up to 1024 px (the preview), when stored
  image_size?: [number, number]; // the original image's width, height (the pixels boxes are in), when known
  x: number;
  y: number;
}
export interface SpaceInfo {
  name: string;
  dim: number;
  metric: string;
  provenance?: string;
  model_version?: string;
  point_vectors: number;
  object_vectors: number;
}
export interface DatasetInfo {
  name: string;
  points: number;
  spaces: SpaceInfo[];
}

export interface SimilarResult {
  generation: number;
  hits: Hit[];
  took_ms: number;
  selection: number; // leading hits that are the positives (include_selection)
  capped?: boolean; // k stopped the results while all were within max_distance
}
export interface RowsResult {
  generation: number;
  hits: Hit[];
  missing?: number[];
  took_ms: number;
}
