// The figures of an analysed text, from the micro steps its forced tokens were scored in (one
// per token, in order). Browser-safe: the renderer computes the same figures from a run record.
import type { MicroStep, TextAnalysis } from './api.js';

export function textAnalysisOf(micros: readonly MicroStep[]): TextAnalysis {
  const tokens = micros.length;
  let nll = 0;
  let entropy = 0;
  let agreeing = 0;
  let kvEntries = 0;
  let divergences = 0;
  for (const micro of micros) {
    nll -= Math.log(micro.prob);
    entropy += micro.entropy;
    if (micro.top[0]?.tokenId === micro.tokenId) agreeing += 1;
    if (micro.stopReason !== null) kvEntries += 1;
    if (micro.stopReason === 'diverged') divergences += 1;
  }
  const meanNll = tokens > 0 ? nll / tokens : 0;
  return {
    tokens,
    kvEntries,
    tokensPerStep: kvEntries > 0 ? tokens / kvEntries : 0,
    perplexity: Math.exp(meanNll),
    meanNll,
    meanEntropy: tokens > 0 ? entropy / tokens : 0,
    greedyAgreement: tokens > 0 ? agreeing / tokens : 0,
    divergences,
  };
}
