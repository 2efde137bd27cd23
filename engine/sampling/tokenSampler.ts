// Picks the next token from raw logits: greedy argmax, or a draw from the distribution
// left after a list of logits processors, with a seeded generator.
import type { Sampling } from '../api.js';
import type { LogitsProcessor } from './logitsProcessor.js';
import { SeededRandom } from './seededRandom.js';
import { TemperatureScaling } from './temperatureScaling.js';
import { TopKFilter } from './topKFilter.js';
import { TopPFilter } from './topPFilter.js';

export interface TokenSampler {
  /** `argmaxId` is the logits' argmax, already known from the step's summary. */
  choose(logits: Float32Array, argmaxId: number): number;
}

export class GreedySampler implements TokenSampler {
  choose(_logits: Float32Array, argmaxId: number): number {
    return argmaxId;
  }
}

export class RandomSampler implements TokenSampler {
  private readonly scores: Float64Array;

  constructor(
    private readonly processors: readonly LogitsProcessor[],
    private readonly random: SeededRandom,
    vocabSize: number,
  ) {
    this.scores = new Float64Array(vocabSize);
  }

  choose(logits: Float32Array): number {
    const scores = this.scores.subarray(0, logits.length);
    return this.draw(scores, this.weights(logits, scores));
  }

  /** The processed distribution as unnormalised weights in `out` (logits.length of them); returns their sum. */
  weights(logits: Float32Array, out: Float64Array): number {
    out.set(logits);
    for (const processor of this.processors) processor.apply(out);
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (out[i]! > max) max = out[i]!;
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const e = Math.exp(out[i]! - max);
      out[i] = e;
      sum += e;
    }
    return sum;
  }

  /** A draw from unnormalised weights summing to `sum`. */
  draw(weights: Float64Array, sum: number): number {
    let remaining = this.random.next() * sum;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i]! === 0) continue;
      last = i;
      remaining -= weights[i]!;
      if (remaining < 0) return i;
    }
    return last;
  }

  /** Uniform in [0, 1) from the run's generator (speculative sampling's acceptance test). */
  uniform(): number {
    return this.random.next();
  }
}

/**
 * A seeded sampler for a sampling setting: temperature, top-k, top-p in that order, then a
 * draw. `skippedDraws`: draws made before (a fork continues after the tokens it replays, one
 * draw each), so the generator stands where the original run's stood.
 */
export function createRandomSampler(sampling: Extract<Sampling, { kind: 'sample' }>, vocabSize: number, skippedDraws = 0): RandomSampler {
  const processors = [new TemperatureScaling(sampling.temperature), new TopKFilter(sampling.topK, vocabSize), new TopPFilter(sampling.topP, vocabSize)];
  const random = new SeededRandom(sampling.seed);
  for (let i = 0; i < skippedDraws; i++) random.next();
  return new RandomSampler(processors, random, vocabSize);
}

/** The sampler for one generation's settings (a fresh generator per run: same seed, same output). */
export function createSampler(sampling: Sampling, vocabSize: number, skippedDraws = 0): TokenSampler {
  return sampling.kind === 'greedy' ? new GreedySampler() : createRandomSampler(sampling, vocabSize, skippedDraws);
}
