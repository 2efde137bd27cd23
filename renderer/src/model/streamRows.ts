// Splits a run's steps into rows for the virtualised token stream: consecutive groups share a
// row up to a character budget, and a newline token ends the row, so the stream reads like
// text while only the rows on screen exist in the DOM.
import type { MacroStep } from '../../../engine/api';

export interface StreamRow {
  key: number;
  /** Indices of the steps in this row. */
  steps: number[];
}

export function streamRows(steps: readonly MacroStep[], shown: number, charsPerRow: number): StreamRow[] {
  const rows: StreamRow[] = [];
  let current: number[] = [];
  let chars = 0;
  const n = Math.min(shown, steps.length);
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    const width = step.micro.reduce((sum, m) => sum + Math.max(1, m.text.length), 0) + 2;
    if (current.length > 0 && chars + width > charsPerRow) {
      rows.push({ key: rows.length, steps: current });
      current = [];
      chars = 0;
    }
    current.push(s);
    chars += width;
    if (step.micro.some((m) => m.text.includes('\n'))) {
      rows.push({ key: rows.length, steps: current });
      current = [];
      chars = 0;
    }
  }
  if (current.length > 0) rows.push({ key: rows.length, steps: current });
  return rows;
}
