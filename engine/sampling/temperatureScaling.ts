import type { LogitsProcessor } from './logitsProcessor.js';

/** Divides the scores by T: below 1 sharpens the distribution, above 1 flattens it. */
export class TemperatureScaling implements LogitsProcessor {
  constructor(private readonly temperature: number) {
    if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  }

  apply(scores: Float64Array): void {
    if (this.temperature === 1) return;
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / this.temperature;
  }
}
