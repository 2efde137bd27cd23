import { describe, expect, it } from 'vitest';
import { kvLayout } from '../../../renderer/src/model/kvCells';
import { PROMPT_IDS, steps } from '../fixtures';

describe('kvLayout', () => {
  const run = steps([1, 3, 2, 4]);

  it('has one cell per prompt token plus one per fed-back group, and the last group pending', () => {
    const layout = kvLayout(run, run.length, 'last_token');
    expect(layout.promptEntries).toBe(PROMPT_IDS.length);
    expect(layout.groupEntries).toBe(run.length - 1);
    expect(layout.cells.map((c) => c.index)).toEqual(Array.from({ length: PROMPT_IDS.length + 3 }, (_, i) => i));
    expect(layout.pending).toMatchObject([{ kind: 'pending', index: PROMPT_IDS.length + 3, tokenIds: run[3]!.tokenIds }]);
  });

  it('a group entry holds the previous step tokens at the position of its last token', () => {
    const layout = kvLayout(run, run.length, 'last_token');
    const n = PROMPT_IDS.length;
    const second = layout.cells[n + 1]!;
    expect(second.tokenIds).toEqual(run[1]!.tokenIds);
    expect(second.emittedBy).toBe(1);
    // prompt ends at n-1; +1 (step 0), +3 (step 1)
    expect(second.positionId).toBe(n - 1 + 1 + 3);
    expect(layout.pending[0]!.positionId).toBe(n - 1 + 1 + 3 + 2 + 4);
  });

  it('places the pending group as the next step would, one higher under tokens_so_far', () => {
    const n = PROMPT_IDS.length;
    // After step 0 the first group is pending: its last token's index n - 1 + 1, or n + 1.
    expect(kvLayout(run, 1, 'last_token').pending[0]!.positionId).toBe(n);
    expect(kvLayout(run, 1, 'tokens_so_far').pending[0]!.positionId).toBe(n + 1);
    expect(kvLayout(run, run.length, 'tokens_so_far').pending[0]!.positionId).toBe(n + 1 + 3 + 2 + 4);
  });

  it('follows the on-screen cursor', () => {
    expect(kvLayout(run, 0, 'last_token')).toMatchObject({ cells: [], pending: [] });
    const two = kvLayout(run, 2, 'last_token');
    expect(two.groupEntries).toBe(1);
    expect(two.pending[0]!.tokenIds).toEqual(run[1]!.tokenIds);
  });

  it('builds the cells of a step once: a later frame of the run reuses them', () => {
    const two = kvLayout(run, 2, 'last_token');
    const four = kvLayout(run, 4, 'last_token');
    expect(four.cells[0]).toBe(two.cells[0]);
    expect(four.cells[PROMPT_IDS.length]).toBe(two.cells[PROMPT_IDS.length]);
    // The pending group is not an entry yet: built afresh, then as the written entry.
    expect(four.cells[PROMPT_IDS.length + 1]).not.toBe(two.pending[0]);
    expect(four.cells[PROMPT_IDS.length + 1]).toMatchObject({ kind: 'group', tokenIds: two.pending[0]!.tokenIds });
  });
});
