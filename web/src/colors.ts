// Colours of the map: categories, the numeric ramp and the greys.

// Tableau 10, then ten colours chosen to be as far as possible (CIELAB)
// from those, the background and the missing grey: every pair of the 20
// differs by ΔE76 ≥ 25. Categories past the 20th share OTHER.
export const PALETTE = [
  [78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
  [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172],
  [162, 0, 252], [0, 252, 0], [252, 18, 180], [0, 108, 252], [252, 0, 0],
  [198, 243, 0], [0, 252, 207], [216, 135, 252], [108, 252, 126], [126, 108, 0],
];
export const MAXCAT = PALETTE.length;
export const OTHER = [70, 78, 92];
export function catColor(i: number): number[] {
  return i < MAXCAT ? PALETTE[i] : OTHER;
}
export const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
export function rampColor(t: number): number[] {
  t = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((c) => Math.round(RAMP[i][c] + f * (RAMP[i + 1][c] - RAMP[i][c])));
}
export const MISSING = [120, 120, 130];
export const DEFAULT = [96, 165, 250];
