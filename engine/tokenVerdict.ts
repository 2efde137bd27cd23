// The baseline's verdict on one token HAMburger produced, from the baseline's next-token
// logits at that token's place: its probability there, what greedy baseline decoding would
// have chosen instead, and whether the two agree.
import type { Verdict } from './api.js';
import { tokenProbability, type LogitsSummary } from './sampling/distribution.js';

export function tokenVerdict(
  tokenId: number,
  draftProb: number,
  baselineLogits: Float32Array,
  baselineSummary: LogitsSummary,
  textOf: (tokenId: number) => string,
): Verdict {
  const top = baselineSummary.top[0]!;
  return {
    tokenId,
    text: textOf(tokenId),
    draftProb,
    baselineProb: tokenProbability(baselineLogits, baselineSummary, tokenId),
    baselineTopId: top.tokenId,
    baselineTopText: textOf(top.tokenId),
    baselineTopProb: top.prob,
    agrees: tokenId === top.tokenId,
    accepted: false,
  };
}

/** How many leading verdicts agree: what greedy verification would keep. */
export function agreeingPrefix(verdicts: readonly Verdict[]): number {
  const first = verdicts.findIndex((v) => !v.agrees);
  return first === -1 ? verdicts.length : first;
}
