import { describe, expect, it } from 'vitest';
import { CHART_POLICY, FOLD_POLICY, INPUT_FRAME_MS, msUntilUpdate } from '../../../renderer/src/model/inputFirst';

const NEVER = Number.NEGATIVE_INFINITY;

describe('msUntilUpdate', () => {
  it('updates at once the first time, then at most once per interval', () => {
    expect(msUntilUpdate(1000, NEVER, NEVER, FOLD_POLICY)).toBe(0);
    expect(msUntilUpdate(1020, 1000, NEVER, FOLD_POLICY)).toBe(30);
    expect(msUntilUpdate(1050, 1000, NEVER, FOLD_POLICY)).toBe(0);
    expect(msUntilUpdate(1050, 1000, NEVER, CHART_POLICY)).toBe(50);
  });

  it('never updates in the frame that shows an input: it waits until the input is 20 ms old', () => {
    // The fold has no grace beyond that: a key 10 ms ago delays it 10 ms.
    expect(msUntilUpdate(1050, 1000, 1040, FOLD_POLICY)).toBe(INPUT_FRAME_MS - 10);
    expect(msUntilUpdate(1060, 1000, 1040, FOLD_POLICY)).toBe(0);
    // Past its limit, the charts' update still waits for the input's frame.
    expect(msUntilUpdate(1520, 1000, 1519, CHART_POLICY)).toBe(INPUT_FRAME_MS - 1);
  });

  it('holds the charts back for their grace period after input', () => {
    // Key at 1140; last update at 1000: due at 1100 without input, now waits until 1260.
    expect(msUntilUpdate(1150, 1000, 1140, CHART_POLICY)).toBe(110);
    expect(msUntilUpdate(1259, 1000, 1140, CHART_POLICY)).toBe(1);
    expect(msUntilUpdate(1260, 1000, 1140, CHART_POLICY)).toBe(0);
  });

  it('never leaves the charts older than their limit while input keeps coming', () => {
    // A key every 60 ms: the grace never runs out, the limit (500 ms after the last update) does.
    expect(msUntilUpdate(1450, 1000, 1430, CHART_POLICY)).toBe(50);
    expect(msUntilUpdate(1500, 1000, 1470, CHART_POLICY)).toBe(0);
  });

  it('lets an auto-repeating key hold a view at most twice its limit', () => {
    // A key younger than 20 ms before every frame: the fold's limit is 250 ms, so 500 ms at most.
    expect(msUntilUpdate(1495, 1000, 1490, FOLD_POLICY)).toBe(5);
    expect(msUntilUpdate(1500, 1000, 1499, FOLD_POLICY)).toBe(0);
  });
});
