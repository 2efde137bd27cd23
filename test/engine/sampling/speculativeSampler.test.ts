// Verify mode's draft-and-check rule on small synthetic distributions: greedy keeps exactly
// the baseline's argmax; sampling's rejection rule gives tokens distributed as the target.
import { describe, expect, it } from 'vitest';
import { createSpeculativeSampler, GreedySpeculation, RejectionSampling } from '../../../engine/sampling/speculativeSampler.js';
import { topIndices } from '../../../engine/sampling/distribution.js';

const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs, (p) => Math.log(p));
const argmax = (logits: Float32Array): number => topIndices(logits, 1)[0]!;

const DRAFT = [0.5, 0.3, 0.1, 0.1];
const TARGET = [0.1, 0.2, 0.3, 0.4];
const plain = (seed: number) => ({ kind: 'sample', temperature: 1, topK: 0, topP: 1, seed }) as const;

/** Frequencies of the first token emitted by one draft-and-check round, over many rounds. */
function firstTokenFrequencies(seed: number, rounds: number): number[] {
  const rule = createSpeculativeSampler(plain(seed), 4, 4);
  const q = logitsOf(DRAFT);
  const p = logitsOf(TARGET);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < rounds; i++) {
    rule.beginDrafts();
    const draft = rule.choose(q, argmax(q));
    const token = rule.accepts(0, draft, p, argmax(p)) ? draft : rule.replacement(p, argmax(p), 0);
    counts[token]! += 1;
  }
  return counts.map((c) => c / rounds);
}

describe('greedy verification', () => {
  it('drafts the argmax, keeps a draft only when it is the target argmax, and continues with the target argmax', () => {
    const rule = createSpeculativeSampler({ kind: 'greedy' }, 4, 4);
    expect(rule).toBeInstanceOf(GreedySpeculation);
    rule.beginDrafts();
    expect(rule.choose(logitsOf(DRAFT), 0)).toBe(0);
    const p = logitsOf(TARGET);
    expect(rule.accepts(0, 3, p, 3)).toBe(true);
    expect(rule.accepts(0, 0, p, 3)).toBe(false);
    expect(rule.replacement(p, 3, 0)).toBe(3);
    expect(rule.replacement(p, 3, null)).toBe(3);
  });
});

describe('rejection sampling', () => {
  it('the emitted token is distributed as the target, although drafts come from another distribution', () => {
    const freq = firstTokenFrequencies(42, 40_000);
    for (const [i, p] of TARGET.entries()) expect(Math.abs(freq[i]! - p)).toBeLessThan(0.012);
  });

  it('keeps a draft with probability min(1, p/q): always for a token the target likes more', () => {
    const rule = createSpeculativeSampler(plain(3), 4, 4);
    const q = logitsOf(DRAFT);
    const p = logitsOf(TARGET);
    let keptZero = 0;
    let draftsOfZero = 0;
    for (let i = 0; i < 20_000; i++) {
      rule.beginDrafts();
      const draft = rule.choose(q, argmax(q));
      const kept = rule.accepts(0, draft, p, argmax(p));
      if (draft >= 2) expect(kept).toBe(true); // p/q = 3 and 4
      if (draft === 0) {
        draftsOfZero += 1;
        keptZero += kept ? 1 : 0;
      }
    }
    expect(Math.abs(keptZero / draftsOfZero - 0.2)).toBeLessThan(0.02); // p/q = 0.1 / 0.5
  });

  it('after a rejection draws only where the target exceeds the draft; after a full group from the target', () => {
    const rule = createSpeculativeSampler(plain(9), 4, 4);
    const q = logitsOf(DRAFT);
    const p = logitsOf(TARGET);
    const afterRejection = new Set<number>();
    const bonus = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      rule.beginDrafts();
      rule.choose(q, argmax(q));
      afterRejection.add(rule.replacement(p, argmax(p), 0));
      bonus[rule.replacement(p, argmax(p), null)]! += 1;
    }
    // max(0, p - q) is zero for tokens 0 and 1.
    expect([...afterRejection].sort()).toEqual([2, 3]);
    expect(Math.abs(bonus[0]! / 4000 - TARGET[0]!)).toBeLessThan(0.03);
  });

  it('the same seed repeats every draw and decision; another seed does not', () => {
    expect(firstTokenFrequencies(7, 500)).toEqual(firstTokenFrequencies(7, 500));
    expect(firstTokenFrequencies(7, 500)).not.toEqual(firstTokenFrequencies(8, 500));
  });

  it('top-k 1 makes both distributions one-hot: the rule is greedy verification', () => {
    const rule = createSpeculativeSampler({ kind: 'sample', temperature: 3, topK: 1, topP: 1, seed: 5 }, 4, 4);
    expect(rule).toBeInstanceOf(RejectionSampling);
    const q = logitsOf(DRAFT);
    const p = logitsOf(TARGET);
    for (let i = 0; i < 50; i++) {
      rule.beginDrafts();
      const draft = rule.choose(q, argmax(q));
      expect(draft).toBe(0);
      expect(rule.accepts(0, draft, p, argmax(p))).toBe(false);
      expect(rule.replacement(p, argmax(p), 0)).toBe(3);
    }
  });

  it('refuses to judge a draft it did not propose, and more drafts than a group holds', () => {
    const rule = createSpeculativeSampler(plain(1), 4, 2);
    const q = logitsOf(DRAFT);
    rule.beginDrafts();
    expect(() => rule.accepts(0, 0, q, 0)).toThrow(RangeError);
    rule.choose(q, 0);
    rule.choose(q, 0);
    expect(() => rule.choose(q, 0)).toThrow(RangeError);
    expect(() => rule.replacement(q, 0, 2)).toThrow(RangeError);
  });
});
