import { describe, expect, it } from 'vitest';
import { sigmoid, summarizeLogits, tokenProbability, topIndices } from '../../../engine/sampling/distribution.js';
import { SeededRandom } from '../../../engine/sampling/seededRandom.js';
import { TemperatureScaling } from '../../../engine/sampling/temperatureScaling.js';
import { createSampler, GreedySampler, RandomSampler } from '../../../engine/sampling/tokenSampler.js';
import { TopKFilter } from '../../../engine/sampling/topKFilter.js';
import { TopPFilter } from '../../../engine/sampling/topPFilter.js';

const logits = Float32Array.from([1, 3, 2, 3, -1, 0.5]);

describe('distribution', () => {
  it('the top index is the first of equal maxima (argmax as torch has it)', () => {
    expect(topIndices(logits, 1)).toEqual([1]);
  });

  it('top indices are ordered best first, ties by lower index', () => {
    expect(topIndices(logits, 4)).toEqual([1, 3, 2, 0]);
    expect(topIndices(Float32Array.from([5]), 3)).toEqual([0]);
  });

  it('probability, entropy and alternatives match a direct softmax', () => {
    const exps = Array.from(logits, (l) => Math.exp(l));
    const z = exps.reduce((a, b) => a + b, 0);
    const probs = exps.map((e) => e / z);
    const entropy = -probs.reduce((h, p) => h + p * Math.log(p), 0);
    const s = summarizeLogits(logits, 3);
    expect(tokenProbability(logits, s, 2)).toBeCloseTo(probs[2]!, 12);
    expect(s.entropy).toBeCloseTo(entropy, 12);
    expect(s.top.map((t) => t.tokenId)).toEqual([1, 3, 2]);
    expect(s.top[0]!.prob).toBeCloseTo(probs[1]!, 12);
  });

  it('entropy of a uniform distribution is log V; of a near one-hot one near 0', () => {
    expect(summarizeLogits(new Float32Array(8), 5).entropy).toBeCloseTo(Math.log(8), 12);
    expect(summarizeLogits(Float32Array.from([100, 0, 0]), 2).entropy).toBeLessThan(1e-40);
  });

  it('sigmoid', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
  });
});

describe('logits processors', () => {
  it('temperature divides the scores', () => {
    const s = Float64Array.from([2, 4]);
    new TemperatureScaling(2).apply(s);
    expect(Array.from(s)).toEqual([1, 2]);
    expect(() => new TemperatureScaling(0)).toThrow(RangeError);
  });

  it('top-k keeps the k best scores (and ties with the k-th)', () => {
    const s = Float64Array.from(logits);
    new TopKFilter(2, s.length).apply(s);
    expect(Array.from(s)).toEqual([-Infinity, 3, -Infinity, 3, -Infinity, -Infinity]);
    const t = Float64Array.from([1, 2, 3]);
    new TopKFilter(0, 3).apply(t);
    expect(Array.from(t)).toEqual([1, 2, 3]);
  });

  it('top-p keeps the smallest set of best tokens reaching p', () => {
    // probabilities 0.5, 0.3, 0.2
    const s = Float64Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    new TopPFilter(0.75, 3).apply(s);
    expect(s[0]).toBeCloseTo(Math.log(0.5), 12);
    expect(s[1]).toBeCloseTo(Math.log(0.3), 12);
    expect(s[2]).toBe(-Infinity);
    const u = Float64Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    new TopPFilter(0.5, 3).apply(u);
    expect(Array.from(u).filter(Number.isFinite)).toHaveLength(1);
    expect(() => new TopPFilter(0, 3)).toThrow(RangeError);
  });
});

describe('SeededRandom', () => {
  it('same seed, same stream; another seed, another stream; values in [0, 1)', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('samplers', () => {
  it('greedy picks the argmax', () => {
    expect(new GreedySampler().choose(logits, topIndices(logits, 1)[0]!)).toBe(1);
    expect(createSampler({ kind: 'greedy' }, 6)).toBeInstanceOf(GreedySampler);
  });

  it('draws follow the distribution and never pick a filtered token', () => {
    const sampler = createSampler({ kind: 'sample', temperature: 1, topK: 3, topP: 1, seed: 5 }, 6);
    expect(sampler).toBeInstanceOf(RandomSampler);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const t = sampler.choose(logits, topIndices(logits, 1)[0]!);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3]);
    // p(1) = p(3) = e^3 / (2e^3 + e^2) ~ 0.41, p(2) ~ 0.16
    expect(counts.get(1)! / 4000).toBeCloseTo(0.42, 1);
    expect(counts.get(2)! / 4000).toBeCloseTo(0.16, 1);
  });

  it('a fresh sampler with the same seed repeats the same draws', () => {
    const settings = { kind: 'sample', temperature: 0.7, topK: 0, topP: 0.9, seed: 11 } as const;
    const a = createSampler(settings, 6);
    const b = createSampler(settings, 6);
    const draws = (s: typeof a) => Array.from({ length: 50 }, () => s.choose(logits, 1));
    expect(draws(a)).toEqual(draws(b));
  });
});
