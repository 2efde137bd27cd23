// Draws the KV strip's cells onto a canvas: only the rows in view, and while a run grows only
// its new cells, so the cost of a frame does not grow with the run. Colours come from the
// theme's CSS variables (useKvPalette).
import { holdsRejection, type KvCell } from '../model/kvCells';
import { rowsInView, type KvGeometry, type KvMetrics } from '../model/kvGeometry';

export interface KvPalette {
  prompt: string;
  /** Fill of a group cell by tokens held: 1, 2, 3, 4 or more. */
  groups: readonly [string, string, string, string];
  accent: string;
  /** Marks of checked runs: an entry holding a token the baseline rejects, the baseline's own token (verify). */
  rejected: string;
  verifier: string;
  text: string;
  /** Numbers on the lighter group fills. */
  darkText: string;
  font: string;
}

/** The part of the strip on screen, in strip coordinates (CSS pixels). */
export interface KvViewport {
  top: number;
  width: number;
  height: number;
  pixelRatio: number;
}

/** What a drawing showed: the next one may add to it instead of starting over. */
export interface KvDrawing {
  cells: readonly KvCell[];
  metrics: KvMetrics;
  palette: KvPalette;
  view: KvViewport;
}

export type KvCanvasContext = Pick<
  CanvasRenderingContext2D,
  | 'setTransform'
  | 'clearRect'
  | 'save'
  | 'restore'
  | 'beginPath'
  | 'roundRect'
  | 'rect'
  | 'fill'
  | 'stroke'
  | 'clip'
  | 'moveTo'
  | 'lineTo'
  | 'fillText'
  | 'setLineDash'
  | 'fillStyle'
  | 'strokeStyle'
  | 'lineWidth'
  | 'font'
  | 'textAlign'
  | 'textBaseline'
>;

const RADIUS = 3;
const HATCH_STEP = 5;
const CORNER = 7;

/** What the baseline's check marks on a cell: a corner where it rejected a token, an outline on its own token. */
function drawCheckMarks(ctx: KvCanvasContext, cell: KvCell, x: number, y: number, width: number, height: number, palette: KvPalette): void {
  const verifier = cell.checks.find((c) => c?.kind === 'verifier');
  if (verifier !== undefined) {
    ctx.strokeStyle = palette.verifier;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.roundRect(x + 1, y + 1, width - 2, height - 2, RADIUS);
    ctx.stroke();
  }
  if (holdsRejection(cell)) {
    const corner = Math.min(CORNER, width / 2);
    ctx.fillStyle = palette.rejected;
    ctx.beginPath();
    ctx.moveTo(x + width - corner, y);
    ctx.lineTo(x + width, y);
    ctx.lineTo(x + width, y + corner);
    ctx.fill();
  }
}

function drawPending(ctx: KvCanvasContext, x: number, y: number, width: number, height: number, palette: KvPalette): void {
  ctx.save();
  ctx.beginPath();
  ctx.roundRect(x, y, width, height, RADIUS);
  ctx.clip();
  ctx.strokeStyle = palette.groups[2];
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let d = -height; d < width + height; d += HATCH_STEP) {
    ctx.moveTo(x + d, y + height);
    ctx.lineTo(x + d + height, y);
  }
  ctx.stroke();
  ctx.restore();
  ctx.strokeStyle = palette.accent;
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 2]);
  ctx.beginPath();
  ctx.roundRect(x + 0.5, y + 0.5, width - 1, height - 1, RADIUS);
  ctx.stroke();
  ctx.setLineDash([]);
}

/**
 * The first cell to draw when `next` follows `previous` on the same canvas: after the cells it
 * shares with the previous drawing, counting the previous pending group (written now, or still
 * pending) as new; 0 when anything else changed (scroll, size, theme, another run).
 */
export function firstCellToDraw(previous: KvDrawing | null, next: KvDrawing): number {
  if (previous === null || previous.palette !== next.palette || previous.metrics !== next.metrics) return 0;
  const [a, b] = [previous.view, next.view];
  if (a.top !== b.top || a.width !== b.width || a.height !== b.height || a.pixelRatio !== b.pixelRatio) return 0;
  const firstPending = previous.cells.findIndex((cell) => cell.kind === 'pending');
  const kept = firstPending < 0 ? previous.cells.length : firstPending;
  if (kept < 1 || next.cells.length < kept || next.cells[kept - 1] !== previous.cells[kept - 1]) return 0;
  return kept;
}

/** Draws the cells in view from `from` on, clearing what was drawn there before. */
export function drawKvStrip(ctx: KvCanvasContext, drawing: KvDrawing, geometry: KvGeometry, from = 0): void {
  const { cells, metrics, palette, view } = drawing;
  ctx.setTransform(view.pixelRatio, 0, 0, view.pixelRatio, 0, 0);
  if (from === 0 || from >= cells.length) {
    ctx.clearRect(0, 0, view.width, view.height);
  } else {
    // Everything after `from` in reading order: the rest of its row, then the rows below.
    const x = geometry.x[from]!;
    const bottom = geometry.y[from]! - view.top + metrics.cellHeight + metrics.gap;
    ctx.clearRect(x, bottom - metrics.cellHeight - metrics.gap, view.width - x, metrics.cellHeight + metrics.gap);
    if (bottom < view.height) ctx.clearRect(0, bottom, view.width, view.height - bottom);
  }
  const [firstRow, lastRow] = rowsInView(geometry, metrics, view.top, view.height);
  const start = Math.max(from, geometry.rowStarts[firstRow] ?? cells.length);
  const end = geometry.rowStarts[lastRow] ?? cells.length;
  ctx.font = `600 ${metrics.fontPx}px ${palette.font}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = start; i < end; i++) {
    const cell = cells[i]!;
    const x = geometry.x[i]!;
    const y = geometry.y[i]! - view.top;
    const width = geometry.width[i]!;
    const size = cell.tokenIds.length;
    if (cell.kind === 'pending') {
      drawPending(ctx, x, y, width, metrics.cellHeight, palette);
    } else {
      ctx.fillStyle = cell.kind === 'prompt' ? palette.prompt : palette.groups[Math.min(size, 4) - 1]!;
      ctx.beginPath();
      ctx.roundRect(x, y, width, metrics.cellHeight, RADIUS);
      ctx.fill();
    }
    if (cell.kind !== 'prompt') {
      drawCheckMarks(ctx, cell, x, y, width, metrics.cellHeight, palette);
      ctx.fillStyle = cell.kind === 'pending' || size === 1 ? palette.text : palette.darkText;
      ctx.fillText(String(size), x + width / 2, y + metrics.cellHeight / 2 + 0.5);
    }
  }
}
