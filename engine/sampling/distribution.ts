// What the UI shows about one next-token distribution, computed from raw logits in float64
// (as the reference decoder does): the chosen token's probability, the entropy, the top few.
// Two passes over the vocabulary per micro step: this runs on the decoding hot path.

export interface TokenProbability {
  tokenId: number;
  prob: number;
}

export interface LogitsSummary {
  /** The best tokens, best first (ties: lower id first); top[0] is the argmax. */
  top: TokenProbability[];
  /** In nats. */
  entropy: number;
  /** log P(token) = logits[token] - logNormalizer. */
  logNormalizer: number;
}

/** Largest `n` values with their indices, best first (ties: lower index first). */
export function topIndices(values: ArrayLike<number>, n: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (ids.length === n && v <= values[ids[n - 1]!]!) continue;
    let at = ids.length < n ? ids.length : n - 1;
    while (at > 0 && values[ids[at - 1]!]! < v) at--;
    ids.splice(at, 0, i);
    if (ids.length > n) ids.pop();
  }
  return ids;
}

export function summarizeLogits(logits: ArrayLike<number>, topN: number): LogitsSummary {
  const ids = topIndices(logits, topN);
  const max = logits[ids[0]!]!;
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const shifted = logits[i]! - max;
    const e = Math.exp(shifted);
    sum += e;
    // A suppressed token (logit -Infinity) has no weight: 0 * -Infinity would be NaN.
    if (e > 0) weighted += e * shifted;
  }
  const logSum = Math.log(sum);
  const logNormalizer = max + logSum;
  // H = log Z - E[shifted logit], with Z the sum of exp(shifted).
  const entropy = logSum - weighted / sum;
  const top = ids.map((tokenId) => ({ tokenId, prob: Math.exp(logits[tokenId]! - logNormalizer) }));
  return { top, entropy, logNormalizer };
}

/** Probability of one token under the distribution a summary describes. */
export function tokenProbability(logits: ArrayLike<number>, summary: LogitsSummary, tokenId: number): number {
  return Math.exp(logits[tokenId]! - summary.logNormalizer);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
