import type { LogitsProcessor } from './logitsProcessor.js';

/** Keeps the k highest scores (ties at the k-th score kept too); k = 0 keeps all. */
export class TopKFilter implements LogitsProcessor {
  private readonly sorted: Float64Array;

  constructor(private readonly k: number, vocabSize: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`top-k must be an integer >= 0, got ${k}`);
    this.sorted = new Float64Array(vocabSize);
  }

  apply(scores: Float64Array): void {
    if (this.k === 0 || this.k >= scores.length) return;
    this.sorted.set(scores);
    this.sorted.sort();
    const threshold = this.sorted[scores.length - this.k]!;
    for (let i = 0; i < scores.length; i++) if (scores[i]! < threshold) scores[i] = -Infinity;
  }
}
