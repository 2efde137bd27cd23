import { describe, expect, it } from 'vitest';
import { downsample, kvGrowth, throughput, tokenPoints, tokensPerStep, RECENT_WINDOW_STEPS } from '../../../renderer/src/model/chartSeries';
import { steps } from '../fixtures';

describe('chart series', () => {
  const run = steps([1, 3, 2, 4, 1]);

  it('tokens per step and per-token points follow the shown steps', () => {
    expect(tokensPerStep(run, 3)).toEqual([
      { step: 0, tokens: 1 },
      { step: 1, tokens: 3 },
      { step: 2, tokens: 2 },
    ]);
    const points = tokenPoints(run, run.length);
    expect(points).toHaveLength(11);
    expect(points.filter((p) => p.groupEnd)).toHaveLength(run.length);
    expect(points[2]).toMatchObject({ token: 2, step: 1, prob: 0.6, stopProb: 0.01 });
  });

  it('KV growth starts at the origin and counts the pending group as an entry', () => {
    expect(kvGrowth(run, run.length)).toEqual([
      { tokens: 0, entries: 0 },
      { tokens: 1, entries: 1 },
      { tokens: 4, entries: 2 },
      { tokens: 6, entries: 3 },
      { tokens: 10, entries: 4 },
      { tokens: 11, entries: 5 },
    ]);
  });

  it('throughput keeps the engine running figure and a windowed rate', () => {
    const long = steps(Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : 4)), 10);
    const points = throughput(long, long.length);
    expect(points[19]!.average).toBeCloseTo(long[19]!.totals.tokensPerSecond);
    // The last window holds only 4-token steps: 400 tokens/s at 10 ms a step.
    expect(points[19]!.recent).toBeCloseTo((4 * RECENT_WINDOW_STEPS * 1000) / (10 * RECENT_WINDOW_STEPS));
  });

  it('downsample bounds a 2,000-point series and keeps its mean', () => {
    const series = Array.from({ length: 2000 }, (_, i) => ({ x: i, y: i % 2 }));
    const thin = downsample(series, 200, ['y']);
    expect(thin).toHaveLength(200);
    expect(thin.every((p) => Math.abs(p.y - 0.5) < 1e-9)).toBe(true);
    expect(thin[199]!.x).toBe(1999);
    expect(downsample(series.slice(0, 10), 200, ['y'])).toHaveLength(10);
  });
});
