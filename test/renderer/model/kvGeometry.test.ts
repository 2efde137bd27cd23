import { describe, expect, it } from 'vitest';
import { kvLayout } from '../../../renderer/src/model/kvCells';
import { cellAt, cellInNextRow, cellWidth, kvGeometry, KV_METRICS, rowsInView, stripCells } from '../../../renderer/src/model/kvGeometry';
import { PROMPT_IDS, steps } from '../fixtures';

const metrics = KV_METRICS.normal;

describe('kvGeometry', () => {
  // 6 prompt entries (8 px), groups of 1, 3, 2 tokens (12, 24, 18 px), the last group (4) pending (30 px).
  const run = steps([1, 3, 2, 4]);
  const cells = stripCells(kvLayout(run, run.length, 'last_token'));

  it('lists the written entries in entry order, then the pending group', () => {
    expect(cells.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(cells.map((c) => c.kind)).toEqual([...PROMPT_IDS.map(() => 'prompt'), 'group', 'group', 'group', 'pending']);
  });

  it('makes a cell wider for every token it holds', () => {
    expect(cells.map((c) => cellWidth(c, metrics))).toEqual([8, 8, 8, 8, 8, 8, 12, 24, 18, 30]);
    expect(cellWidth(cells[9]!, KV_METRICS.presentation)).toBe(46);
  });

  it('flows cells left to right and wraps them like text', () => {
    // 6 × (8 + 2) = 60, then 12 → 72 + 2, then 24 would end at 98 > 90: second row.
    const geometry = kvGeometry(cells, 90, metrics);
    expect(geometry.x).toEqual([0, 10, 20, 30, 40, 50, 60, 0, 26, 46]);
    expect(geometry.y).toEqual([0, 0, 0, 0, 0, 0, 0, 20, 20, 20]);
    expect(geometry.rowStarts).toEqual([0, 7]);
    expect(geometry.height).toBe(38);
  });

  it('gives a cell wider than the strip a row of its own', () => {
    const geometry = kvGeometry(cells.slice(6), 10, metrics);
    expect(geometry.rowStarts).toEqual([0, 1, 2, 3]);
    expect(geometry.x).toEqual([0, 0, 0, 0]);
  });

  it('is empty without cells', () => {
    expect(kvGeometry([], 300, metrics)).toEqual({ x: [], y: [], width: [], rowStarts: [], height: 0 });
  });

  it('maps a point to the cell under it, and a gap or empty space to none', () => {
    const geometry = kvGeometry(cells, 90, metrics);
    expect(cellAt(geometry, metrics, 0, 0)).toBe(0);
    expect(cellAt(geometry, metrics, 65, 9)).toBe(6);
    expect(cellAt(geometry, metrics, 9, 9)).toBeNull(); // the gap after cell 0
    expect(cellAt(geometry, metrics, 30, 19)).toBeNull(); // the gap between rows
    expect(cellAt(geometry, metrics, 30, 25)).toBe(8);
    expect(cellAt(geometry, metrics, 75, 25)).toBe(9);
    expect(cellAt(geometry, metrics, 85, 5)).toBeNull(); // right of the first row's last cell
    expect(cellAt(geometry, metrics, 5, 45)).toBeNull(); // below the last row
  });

  it('finds the nearest cell one row up or down', () => {
    const geometry = kvGeometry(cells, 90, metrics);
    // Cell 3 is centred at 34; below it cells 7, 8, 9 are centred at 12, 35 and 61.
    expect(cellInNextRow(geometry, metrics, 3, 1)).toBe(8);
    // Cell 9 (centre 61): above it cells 5 and 6 are centred at 54 and 66.
    expect(cellInNextRow(geometry, metrics, 9, -1)).toBe(6);
    expect(cellInNextRow(geometry, metrics, 0, -1)).toBeNull();
    expect(cellInNextRow(geometry, metrics, 8, 1)).toBeNull();
  });

  it('tells which rows a scrolled view shows', () => {
    const geometry = kvGeometry(cells, 10, metrics); // ten rows of 20 px
    expect(geometry.rowStarts).toHaveLength(10);
    expect(rowsInView(geometry, metrics, 0, 38)).toEqual([0, 2]);
    expect(rowsInView(geometry, metrics, 50, 40)).toEqual([2, 5]);
    expect(rowsInView(geometry, metrics, 190, 92)).toEqual([9, 10]);
  });
});
