import type { LogitsProcessor } from './logitsProcessor.js';

/** Nucleus filter: keeps the smallest set of best tokens whose probabilities sum to at least p. */
export class TopPFilter implements LogitsProcessor {
  private readonly order: Uint32Array;

  constructor(private readonly p: number, vocabSize: number) {
    if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${p}`);
    this.order = new Uint32Array(vocabSize);
  }

  apply(scores: Float64Array): void {
    if (this.p >= 1) return;
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i]! - max);
    const order = this.order.subarray(0, scores.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((x, y) => scores[y]! - scores[x]! || x - y);
    let mass = 0;
    let keep = 0;
    while (keep < order.length && mass < this.p) {
      mass += Math.exp(scores[order[keep]!]! - max) / sum;
      keep++;
    }
    for (let r = keep; r < order.length; r++) scores[order[r]!] = -Infinity;
  }
}
