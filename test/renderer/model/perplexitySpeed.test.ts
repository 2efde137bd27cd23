import { describe, expect, it } from 'vitest';
import { perplexitySpeedSeries, surprisal } from '../../../renderer/src/model/perplexitySpeed';
import { steps } from '../fixtures';

// The fixture's token i of a step has p = 0.5 + i/10 and entropy 1 - i/10; steps take 10 ms.
describe('perplexity against speed', () => {
  const run = steps([1, 3, 2], 10);

  it('rolls perplexity over the last tokens emitted, fewer at the start', () => {
    const points = perplexitySpeedSeries(run, run.length, 3);
    // Step 0: one token, p = 0.5.
    expect(points[0]!.perplexity).toBeCloseTo(2, 12);
    expect(points[0]!.windowTokens).toBe(1);
    // Step 1: the window holds 0.5, 0.6, 0.7 (the step's three).
    expect(points[1]!.perplexity).toBeCloseTo(Math.cbrt(1 / (0.5 * 0.6 * 0.7)), 12);
    // Step 2: 0.7 from step 1, then the step's 0.5 and 0.6.
    expect(points[2]!.perplexity).toBeCloseTo(Math.cbrt(1 / (0.7 * 0.5 * 0.6)), 12);
    expect(points.map((p) => p.windowTokens)).toEqual([1, 3, 3]);
    const two = perplexitySpeedSeries(run, run.length, 2);
    expect(two[1]!.perplexity).toBeCloseTo(1 / Math.sqrt(0.6 * 0.7), 12);
    expect(two[2]!.perplexity).toBeCloseTo(1 / Math.sqrt(0.5 * 0.6), 12);
  });

  it('gives each step its group size, its rate on the engine clock and its means', () => {
    const points = perplexitySpeedSeries(run, run.length, 8);
    expect(points.map((p) => p.groupSize)).toEqual([1, 3, 2]);
    expect(points.map((p) => p.tokensPerSecond)).toEqual([100, 300, 200]);
    expect(points[1]!.meanEntropy).toBeCloseTo((1 + 0.9 + 0.8) / 3, 12);
    expect(points[1]!.meanSurprisal).toBeCloseTo(-(Math.log(0.5) + Math.log(0.6) + Math.log(0.7)) / 3, 12);
    expect(points[2]!.meanEntropy).toBeCloseTo(0.95, 12);
  });

  it('stops at the shown step, and a step without time has no rate', () => {
    expect(perplexitySpeedSeries(run, 2, 8)).toHaveLength(2);
    const still = steps([2, 2], 10);
    still[1]!.totals.elapsedMs = still[0]!.totals.elapsedMs;
    expect(perplexitySpeedSeries(still, 2, 8)[1]!.tokensPerSecond).toBeNull();
  });

  it('counts a probability that underflowed to 0 as the smallest double', () => {
    expect(surprisal(0)).toBeCloseTo(744.44, 2);
    expect(Number.isFinite(surprisal(0))).toBe(true);
  });
});
