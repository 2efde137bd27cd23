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
    scores.set(logits);
    for (const processor of this.processors) processor.apply(scores);
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
    let sum = 0;
    for (let i = 0; i < scores.length; i++) {
      const e = Math.exp(scores[i]! - max);
      scores[i] = e;
      sum += e;
    }
    let remaining = this.random.next() * sum;
    let last = 0;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! === 0) continue;
      last = i;
      remaining -= scores[i]!;
      if (remaining < 0) return i;
    }
    return last;
  }
}

/** The sampler for one generation's settings (a fresh generator per run: same seed, same output). */
export function createSampler(sampling: Sampling, vocabSize: number): TokenSampler {
  if (sampling.kind === 'greedy') return new GreedySampler();
  const processors: LogitsProcessor[] = [
    new TemperatureScaling(sampling.temperature),
    new TopKFilter(sampling.topK, vocabSize),
    new TopPFilter(sampling.topP, vocabSize),
  ];
  return new RandomSampler(processors, new SeededRandom(sampling.seed), vocabSize);
}
