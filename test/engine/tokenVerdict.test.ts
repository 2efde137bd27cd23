// The baseline's verdict on a token, and the agreeing prefix greedy verification keeps.
import { describe, expect, it } from 'vitest';
import { summarizeLogits } from '../../engine/sampling/distribution.js';
import { agreeingPrefix, tokenVerdict } from '../../engine/tokenVerdict.js';

const logits = Float32Array.from([0.5, 2, 1, -1]);
const z = [0.5, 2, 1, -1].reduce((s, x) => s + Math.exp(x), 0);
const textOf = (id: number): string => `t${id}`;

describe('tokenVerdict', () => {
  it('gives the baseline probability of the token, its argmax and that one probability', () => {
    const v = tokenVerdict(2, 0.7, logits, summarizeLogits(logits, 1), textOf);
    expect(v).toEqual({
      tokenId: 2,
      text: 't2',
      draftProb: 0.7,
      baselineProb: expect.closeTo(Math.exp(1) / z, 12),
      baselineTopId: 1,
      baselineTopText: 't1',
      baselineTopProb: expect.closeTo(Math.exp(2) / z, 12),
      agrees: false,
      accepted: false,
    });
    expect(tokenVerdict(1, 0.7, logits, summarizeLogits(logits, 1), textOf).agrees).toBe(true);
  });

  it('the agreeing prefix stops at the first disagreement', () => {
    const summary = summarizeLogits(logits, 1);
    const verdicts = (ids: number[]) => ids.map((id) => tokenVerdict(id, 1, logits, summary, textOf));
    expect(agreeingPrefix(verdicts([1, 1, 0, 1]))).toBe(2);
    expect(agreeingPrefix(verdicts([0, 1]))).toBe(0);
    expect(agreeingPrefix(verdicts([1, 1]))).toBe(2);
  });
});
