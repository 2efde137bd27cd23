import { describe, expect, it } from 'vitest';
import { differenceTable } from '../../../engine/cli/confidenceSweep.js';
import { differenceOfCounts, formatDifference, pairedDifference, wilsonInterval, Z95 } from '../../../engine/cli/pairedDifference.js';

describe('wilsonInterval', () => {
  it('gives z^2 / (n + z^2) as the upper end for no successes', () => {
    const w = wilsonInterval(0, 10);
    expect(w.low).toBe(0);
    expect(w.high).toBeCloseTo((Z95 * Z95) / (10 + Z95 * Z95), 12);
  });

  it('is symmetric about one half for half the examples right', () => {
    const w = wilsonInterval(50, 100);
    expect(w.low + w.high).toBeCloseTo(1, 12);
    expect(w.high - w.low).toBeCloseTo((2 * Z95 * Math.sqrt(25 + (Z95 * Z95) / 4)) / (100 + Z95 * Z95), 12);
  });
});

describe('pairedDifference', () => {
  it("matches Fagerland, Lydersen and Laake's worked example (Cavo et al. 2012: 59, 6, 16, 80)", () => {
    const d = pairedDifference({ both: 59, firstOnly: 6, secondOnly: 16, neither: 80 });
    expect(d.estimate).toBeCloseTo(-0.0621, 4);
    expect(d.low).toBeCloseTo(-0.1186, 4);
    expect(d.high).toBeCloseTo(-0.0046, 4);
  });

  it('mirrors when the two models swap places', () => {
    const d = pairedDifference({ both: 40, firstOnly: 3, secondOnly: 9, neither: 48 });
    const swapped = pairedDifference({ both: 40, firstOnly: 9, secondOnly: 3, neither: 48 });
    expect(d.estimate).toBeCloseTo(-0.06, 12);
    expect(swapped.estimate).toBeCloseTo(0.06, 12);
    expect(swapped.low).toBeCloseTo(-d.high, 12);
    expect(swapped.high).toBeCloseTo(-d.low, 12);
    expect(d.low).toBeLessThan(d.estimate);
    expect(d.high).toBeGreaterThan(d.estimate);
  });

  it('is narrower when the models disagree on fewer examples at the same accuracies', () => {
    // both at 50%: two disagreements against forty
    const close = pairedDifference({ both: 49, firstOnly: 1, secondOnly: 1, neither: 49 });
    const apart = pairedDifference({ both: 30, firstOnly: 20, secondOnly: 20, neither: 30 });
    expect(close.estimate).toBe(0);
    expect(apart.estimate).toBe(0);
    expect(close.high - close.low).toBeLessThan(0.5 * (apart.high - apart.low));
  });

  it('refuses counts that are not counts, and no examples', () => {
    expect(() => pairedDifference({ both: 1.5, firstOnly: 0, secondOnly: 0, neither: 0 })).toThrow('both must be a count (an integer >= 0), got 1.5');
    expect(() => pairedDifference({ both: 0, firstOnly: -1, secondOnly: 0, neither: 2 })).toThrow('firstOnly must be a count');
    expect(() => pairedDifference({ both: 0, firstOnly: 0, secondOnly: 0, neither: 0 })).toThrow('at least one example');
  });
});

describe('formatDifference', () => {
  it('writes points with signs and one decimal', () => {
    expect(formatDifference({ estimate: -0.03, low: -0.0789, high: 0.0181 })).toBe('-3.0 [-7.9, +1.8]');
    expect(formatDifference({ estimate: 0, low: -0.0004, high: 0.12 })).toBe('0.0 [0.0, +12.0]');
  });
});

describe('differenceTable', () => {
  const row = { family: 'table', n: 100, baseline_accuracy: 0.91, 'hamburger_accuracy@0.9': 0.79, 'hamburger_only@0.9': 1, 'baseline_only@0.9': 13 };

  it('recovers the four outcomes from a report row', () => {
    const text = differenceTable({ confidences: [0.9], families: [row], overall: { ...row, family: 'overall' } });
    const want = formatDifference(pairedDifference({ both: 78, firstOnly: 1, secondOnly: 13, neither: 8 }));
    expect(want.startsWith('-12.0 [')).toBe(true);
    expect(text).toContain(`| table | 100 | ${want} |`);
  });

  it('names the key a report written before the paired counts lacks', () => {
    const { 'hamburger_only@0.9': _, ...old } = row;
    expect(() => differenceTable({ confidences: [0.9], families: [old], overall: old })).toThrow(
      "report row 'table' has no number 'hamburger_only@0.9' (reports written before the paired counts lack it: evaluate again)",
    );
  });
});

describe('differenceOfCounts', () => {
  it('recovers both and neither from an evaluation row', () => {
    expect(differenceOfCounts(161, 65, 6, 16)).toEqual(pairedDifference({ both: 59, firstOnly: 6, secondOnly: 16, neither: 80 }));
  });
});
