import { describe, expect, it } from 'vitest';
import { followRange } from '../../../renderer/src/model/followRange';
import { streamRows } from '../../../renderer/src/model/streamRows';
import { steps } from '../fixtures';

describe('streamRows', () => {
  // Each token's text is 4 characters ("w100"), and a group costs 2 more for its box:
  // groups of 1, 3, 2, 4 tokens are 6, 14, 10, 18 characters wide.
  const run = steps([1, 3, 2, 4]);

  it('puts consecutive groups on a row up to the character budget', () => {
    expect(streamRows(run, run.length, 20).map((r) => r.steps)).toEqual([[0, 1], [2], [3]]);
    expect(streamRows(run, run.length, 40).map((r) => r.steps)).toEqual([[0, 1, 2], [3]]);
  });

  it('gives a group wider than the budget a row of its own', () => {
    expect(streamRows(run, run.length, 5).map((r) => r.steps)).toEqual([[0], [1], [2], [3]]);
  });

  it('ends a row after a group holding a newline', () => {
    const withNewline = steps([1, 3, 2, 4]);
    withNewline[1]!.micro[2]!.text = 'w\n';
    expect(streamRows(withNewline, withNewline.length, 100).map((r) => r.steps)).toEqual([[0, 1], [2, 3]]);
  });

  it('lays out only the steps shown so far, keyed by row index', () => {
    const rows = streamRows(run, 2, 20);
    expect(rows).toEqual([{ key: 0, steps: [0, 1] }]);
    expect(streamRows(run, 0, 20)).toEqual([]);
  });
});

describe('followRange', () => {
  it('renders the last screenful of rows and the overscan above them, whatever the scroll position', () => {
    // The scroll position still shows rows 10-14 (5 rows); the list has grown to 30.
    expect(followRange({ startIndex: 10, endIndex: 14, overscan: 6, count: 30 })).toEqual([19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });

  it('starts at the first row when the list is shorter than a screenful and the overscan', () => {
    expect(followRange({ startIndex: 0, endIndex: 2, overscan: 6, count: 4 })).toEqual([0, 1, 2, 3]);
  });
});
