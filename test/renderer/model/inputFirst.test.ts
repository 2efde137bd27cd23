import { describe, expect, it } from 'vitest';
import { CHART_POLICY, FOLD_POLICY, msUntilUpdate } from '../../../renderer/src/model/inputFirst';

const NEVER = Number.NEGATIVE_INFINITY;

describe('msUntilUpdate', () => {
  it('updates at once the first time, then at most once per interval', () => {
    expect(msUntilUpdate(1000, NEVER, NEVER, FOLD_POLICY)).toBe(0);
    expect(msUntilUpdate(1020, 1000, NEVER, FOLD_POLICY)).toBe(30);
    expect(msUntilUpdate(1050, 1000, NEVER, FOLD_POLICY)).toBe(0);
    expect(msUntilUpdate(1050, 1000, NEVER, CHART_POLICY)).toBe(50);
  });

  it('holds back for the grace period after input', () => {
    // Key at 1040; last update at 1000: due at 1050 without input, now waits until 1160.
    expect(msUntilUpdate(1050, 1000, 1040, FOLD_POLICY)).toBe(110);
    expect(msUntilUpdate(1159, 1000, 1040, FOLD_POLICY)).toBe(1);
    expect(msUntilUpdate(1160, 1000, 1040, FOLD_POLICY)).toBe(0);
  });

  it('never leaves the view older than the limit while input keeps coming', () => {
    // A key every 60 ms: the grace never runs out, the limit (250 ms after the last update) does.
    expect(msUntilUpdate(1200, 1000, 1180, FOLD_POLICY)).toBe(50);
    expect(msUntilUpdate(1250, 1000, 1240, FOLD_POLICY)).toBe(0);
    expect(msUntilUpdate(1400, 1000, 1390, CHART_POLICY)).toBe(100);
  });
});
