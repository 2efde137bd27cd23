// Where each KV cell sits in the strip. Cells flow left to right and wrap like text, their
// width growing with the tokens they hold, so the strip can be drawn on a canvas (a few
// hundred to a thousand cells would be as many DOM elements) and a pointer mapped back to
// its cell.
import type { KvCell, KvLayout } from './kvCells';

export interface KvMetrics {
  cellHeight: number;
  gap: number;
  promptWidth: number;
  /** A group cell is baseWidth + perToken × tokens wide. */
  baseWidth: number;
  perToken: number;
  fontPx: number;
}

export const KV_METRICS = {
  normal: { cellHeight: 18, gap: 2, promptWidth: 8, baseWidth: 6, perToken: 6, fontPx: 10 },
  presentation: { cellHeight: 26, gap: 2, promptWidth: 16, baseWidth: 6, perToken: 10, fontPx: 14 },
} as const satisfies Record<string, KvMetrics>;

export interface KvGeometry {
  /** Left, top and width of each cell, in the order of the cells given. */
  x: number[];
  y: number[];
  width: number[];
  /** Index of the first cell of each row. */
  rowStarts: number[];
  /** Height of all rows together. */
  height: number;
}

/** The cells in drawing order: the written entries, then the pending group's. */
export function stripCells(layout: KvLayout): KvCell[] {
  return layout.pending.length === 0 ? layout.cells : [...layout.cells, ...layout.pending];
}

export function cellWidth(cell: Pick<KvCell, 'kind' | 'tokenIds'>, metrics: KvMetrics): number {
  return cell.kind === 'prompt' ? metrics.promptWidth : metrics.baseWidth + metrics.perToken * cell.tokenIds.length;
}

export function kvGeometry(cells: readonly Pick<KvCell, 'kind' | 'tokenIds'>[], availableWidth: number, metrics: KvMetrics): KvGeometry {
  const geometry: KvGeometry = { x: [], y: [], width: [], rowStarts: [], height: 0 };
  const rowHeight = metrics.cellHeight + metrics.gap;
  let x = 0;
  let y = 0;
  cells.forEach((cell, i) => {
    const width = cellWidth(cell, metrics);
    // A cell wider than the strip still gets a row of its own.
    if (i > 0 && x + width > availableWidth) {
      x = 0;
      y += rowHeight;
    }
    if (x === 0) geometry.rowStarts.push(i);
    geometry.x.push(x);
    geometry.y.push(y);
    geometry.width.push(width);
    x += width + metrics.gap;
  });
  geometry.height = cells.length === 0 ? 0 : y + metrics.cellHeight;
  return geometry;
}

/** The rows [first, last) that show between `top` and `top + height`. */
export function rowsInView(geometry: KvGeometry, metrics: KvMetrics, top: number, height: number): [number, number] {
  const rowHeight = metrics.cellHeight + metrics.gap;
  const first = Math.max(0, Math.floor(top / rowHeight));
  const last = Math.min(geometry.rowStarts.length, Math.ceil((top + height) / rowHeight));
  return [first, Math.max(first, last)];
}

/** The cell under a point (strip coordinates), or null over a gap or past the last cell. */
export function cellAt(geometry: KvGeometry, metrics: KvMetrics, x: number, y: number): number | null {
  const row = Math.floor(y / (metrics.cellHeight + metrics.gap));
  if (row < 0 || row >= geometry.rowStarts.length || y - geometry.y[geometry.rowStarts[row]!]! > metrics.cellHeight) return null;
  const end = geometry.rowStarts[row + 1] ?? geometry.x.length;
  // Binary search: the last cell of the row that starts at or left of x.
  let lo = geometry.rowStarts[row]!;
  let hi = end - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (geometry.x[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return x >= geometry.x[lo]! && x < geometry.x[lo]! + geometry.width[lo]! ? lo : null;
}

/** The cell one row up (-1) or down (+1) from `cell`, nearest to its centre; null past the ends. */
export function cellInNextRow(geometry: KvGeometry, metrics: KvMetrics, cell: number, direction: -1 | 1): number | null {
  const rowHeight = metrics.cellHeight + metrics.gap;
  const y = geometry.y[cell]! + direction * rowHeight;
  const row = Math.round(y / rowHeight);
  if (row < 0 || row >= geometry.rowStarts.length) return null;
  const start = geometry.rowStarts[row]!;
  const end = (geometry.rowStarts[row + 1] ?? geometry.x.length) - 1;
  const centre = geometry.x[cell]! + geometry.width[cell]! / 2;
  let best = start;
  for (let i = start; i <= end; i++) {
    if (Math.abs(geometry.x[i]! + geometry.width[i]! / 2 - centre) < Math.abs(geometry.x[best]! + geometry.width[best]! / 2 - centre)) best = i;
  }
  return best;
}
