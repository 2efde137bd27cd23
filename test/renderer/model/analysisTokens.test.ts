// The playground's analysis table and figures: per token its group, probability, entropy,
// the model's choice where it differs and where its group ends; figures of the steps shown.
import { describe, expect, it } from 'vitest';
import { analysedTokens, shownAnalysis } from '../../../renderer/src/model/analysisTokens';
import { steps } from '../fixtures';

function withDivergence() {
  const run = steps([3, 1]);
  // The first group's last token was not the model's choice: the group was cut there.
  const last = run[0]!.micro[2]!;
  last.top = [{ tokenId: 7, text: 'other', prob: 0.6 }, ...last.top];
  last.stopReason = 'diverged';
  run[0]!.stopReason = 'diverged';
  return run;
}

describe('analysis tokens', () => {
  it('lists every shown token with its group, probability, entropy, the greedy choice where it differs, and group ends', () => {
    const rows = analysedTokens(withDivergence(), 2);
    expect(rows.map((r) => [r.group, r.text, r.prob, r.entropy, r.greedyText, r.groupEnd])).toEqual([
      [0, 'w100', 0.5, 1, null, null],
      [0, 'w101', 0.6, 0.9, null, null],
      [0, 'w102', 0.7, 0.8, 'other', 'diverged'],
      [1, 'w103', 0.5, 1, null, 'stop_head'],
    ]);
    expect(analysedTokens(withDivergence(), 1)).toHaveLength(3);
  });

  it('figures of the shown steps: KV entries, tokens per step, perplexity, divergences', () => {
    const figures = shownAnalysis(withDivergence(), 2);
    expect(figures.tokens).toBe(4);
    expect(figures.kvEntries).toBe(2);
    expect(figures.tokensPerStep).toBe(2);
    expect(figures.divergences).toBe(1);
    expect(figures.greedyAgreement).toBe(0.75);
    expect(figures.perplexity).toBeCloseTo(Math.exp(-(Math.log(0.5) * 2 + Math.log(0.6) + Math.log(0.7)) / 4), 12);
    expect(shownAnalysis(withDivergence(), 0)).toMatchObject({ tokens: 0, kvEntries: 0, perplexity: 1 });
  });
});
