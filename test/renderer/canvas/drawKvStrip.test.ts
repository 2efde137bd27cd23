import { describe, expect, it } from 'vitest';
import { drawKvStrip, firstCellToDraw, type KvCanvasContext, type KvDrawing, type KvPalette, type KvViewport } from '../../../renderer/src/canvas/drawKvStrip';
import { kvLayout } from '../../../renderer/src/model/kvCells';
import { kvGeometry, KV_METRICS, stripCells } from '../../../renderer/src/model/kvGeometry';
import { steps } from '../fixtures';

const PALETTE: KvPalette = { prompt: 'P', groups: ['G1', 'G2', 'G3', 'G4'], accent: 'A', rejected: 'R', verifier: 'V', text: 'T', darkText: 'D', font: 'mono' };

/** A 2D context that records what is filled where, and the text written. */
function recorder() {
  const fills: { x: number; y: number; width: number; style: string }[] = [];
  const clears: number[][] = [];
  const texts: { text: string; x: number; style: string }[] = [];
  const dashes: number[][] = [];
  const transforms: number[][] = [];
  const strokes: { x: number; y: number; width: number; style: string }[] = [];
  let path: { x: number; y: number; width: number } | null = null;
  const context = {
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    font: '',
    textAlign: 'start',
    textBaseline: 'alphabetic',
    setTransform: (...args: number[]) => void transforms.push(args),
    clearRect: (...args: number[]) => void clears.push(args),
    save: () => undefined,
    restore: () => undefined,
    beginPath: () => void (path = null),
    roundRect: (x: number, y: number, width: number) => void (path = { x, y, width }),
    rect: () => undefined,
    fill: () => void (path !== null && fills.push({ ...path, style: String(context.fillStyle) })),
    stroke: () => void (path !== null && strokes.push({ ...path, style: String(context.strokeStyle) })),
    clip: () => undefined,
    moveTo: (x: number, y: number) => void (path = { x, y, width: 0 }),
    lineTo: () => undefined,
    fillText: (text: string, x: number) => void texts.push({ text, x, style: String(context.fillStyle) }),
    setLineDash: (segments: number[]) => void dashes.push(segments),
  };
  return { context: context as unknown as KvCanvasContext, fills, texts, dashes, transforms, clears, strokes };
}

describe('drawKvStrip', () => {
  // 6 prompt entries, groups of 1, 3, 2 and 4 tokens, the last group (1) pending.
  const run = steps([1, 3, 2, 4, 1]);
  const cells = stripCells(kvLayout(run, run.length, 'last_token'));
  const metrics = KV_METRICS.normal;
  const drawing = (shown: number, view: KvViewport): KvDrawing => ({ cells: stripCells(kvLayout(run, shown, 'last_token')), metrics, palette: PALETTE, view });

  it('fills prompt and group cells by the tokens they hold and writes the count on groups', () => {
    const geometry = kvGeometry(cells, 500, metrics);
    const { context, fills, texts, dashes, transforms } = recorder();
    drawKvStrip(context, { cells, metrics, palette: PALETTE, view: { top: 0, width: 500, height: 18, pixelRatio: 2 } }, geometry);
    expect(transforms[0]).toEqual([2, 0, 0, 2, 0, 0]);
    expect(fills.map((f) => f.style)).toEqual(['P', 'P', 'P', 'P', 'P', 'P', 'G1', 'G3', 'G2', 'G4']);
    expect(fills.map((f) => f.x)).toEqual(geometry.x.slice(0, 10));
    // One number per group cell and the pending one; light text on the darkest fill (1 token) and the hatching.
    expect(texts.map((t) => [t.text, t.style])).toEqual([
      ['1', 'T'],
      ['3', 'D'],
      ['2', 'D'],
      ['4', 'D'],
      ['1', 'T'],
    ]);
    expect(texts[1]!.x).toBe(geometry.x[7]! + geometry.width[7]! / 2);
    // The pending group: a dashed outline, not a fill.
    expect(dashes).toEqual([[3, 2], []]);
  });

  it('draws only the rows in view, shifted by the scroll position', () => {
    const geometry = kvGeometry(cells, 30, metrics); // prompt cells 3 a row, then a group a row
    expect(geometry.rowStarts).toEqual([0, 3, 6, 7, 8, 9, 10]);
    const { context, fills, texts } = recorder();
    drawKvStrip(context, { cells, metrics, palette: PALETTE, view: { top: 40, width: 30, height: 38, pixelRatio: 1 } }, geometry);
    // Rows 2 and 3 (y = 40 and 60): the 1-token and the 3-token group, drawn from y = 0.
    expect(fills.map((f) => [f.style, f.y])).toEqual([
      ['G1', 0],
      ['G3', 20],
    ]);
    expect(texts.map((t) => t.text)).toEqual(['1', '3']);
  });

  it('while the run grows, draws from the group that was pending on, and clears only from there', () => {
    const view = { top: 0, width: 500, height: 18, pixelRatio: 1 };
    const before = drawing(3, view); // 6 prompt entries, 2 groups, the third pending (index 8)
    const after = drawing(5, view); // that group written, then 2 more
    expect(firstCellToDraw(before, after)).toBe(8);
    const geometry = kvGeometry(after.cells, 500, metrics);
    const { context, fills, texts, clears } = recorder();
    drawKvStrip(context, after, geometry, 8);
    expect(clears[0]).toEqual([geometry.x[8], 0, 500 - geometry.x[8]!, 20]);
    expect(fills.map((f) => [f.x, f.style])).toEqual([
      [geometry.x[8], 'G2'],
      [geometry.x[9], 'G4'],
    ]);
    expect(texts.map((t) => t.text)).toEqual(['2', '4', '1']);
  });

  it('starts over when the view, the theme or the run changed', () => {
    const view = { top: 0, width: 500, height: 18, pixelRatio: 1 };
    const before = drawing(3, view);
    expect(firstCellToDraw(null, before)).toBe(0);
    expect(firstCellToDraw(before, drawing(4, { ...view, top: 20 }))).toBe(0);
    expect(firstCellToDraw(before, drawing(4, { ...view, width: 400 }))).toBe(0);
    expect(firstCellToDraw(before, { ...drawing(4, view), palette: { ...PALETTE } })).toBe(0);
    expect(firstCellToDraw(before, { ...drawing(4, view), metrics: KV_METRICS.presentation })).toBe(0);
    // The cursor moved back: the last group shown is pending again.
    expect(firstCellToDraw(drawing(5, view), before)).toBe(0);
    // Another run of the same shape shares no cells.
    expect(firstCellToDraw(before, { ...before, cells: stripCells(kvLayout(steps([1, 3, 2, 4, 1]), 4, 'last_token')) })).toBe(0);
  });

  it('marks entries the baseline rejected (a corner) and the baseline token (an outline)', () => {
    const verdict = { tokenId: 7, text: 'x', draftProb: 0.6, baselineProb: 0.1, baselineTopId: 8, baselineTopText: 'y', baselineTopProb: 0.7, agrees: false, accepted: false };
    const marked = cells.map((cell, i) => {
      if (i === 7) return { ...cell, checks: [{ kind: 'accepted' as const, verdict: { ...verdict, agrees: true, accepted: true } }, { kind: 'rejected' as const, verdict }, null] };
      if (i === 8) return { ...cell, checks: [{ kind: 'verifier' as const, outcome: 'correction' as const, replaced: verdict }, null] };
      if (i === 9) return { ...cell, checks: [{ kind: 'verifier' as const, outcome: 'bonus' as const, replaced: null }] };
      return cell;
    });
    const geometry = kvGeometry(marked, 500, metrics);
    const { context, fills, strokes } = recorder();
    drawKvStrip(context, { cells: marked, metrics, palette: PALETTE, view: { top: 0, width: 500, height: 18, pixelRatio: 1 } }, geometry);
    // The red corner starts 7 px left of the cell's right edge: on the rejected cell and the correction.
    expect(fills.filter((f) => f.style === 'R').map((f) => f.x)).toEqual([7, 8].map((i) => geometry.x[i]! + geometry.width[i]! - 7));
    expect(strokes.filter((s) => s.style === 'V').map((s) => s.x)).toEqual([8, 9].map((i) => geometry.x[i]! + 1));
  });
});
