// A fork's forced next token: the run's first choice is the token asked for, whatever the
// model says. The wrapped sampler still chooses (and a seeded one draws) as it would have,
// so the choices after it come from the same generator state as without the forcing.
import type { TokenSampler } from './tokenSampler.js';

export class ForcedFirstToken implements TokenSampler {
  private forced: number | null;

  constructor(
    private readonly sampler: TokenSampler,
    token: number,
  ) {
    this.forced = token;
  }

  choose(logits: Float32Array, argmaxId: number): number {
    const chosen = this.sampler.choose(logits, argmaxId);
    if (this.forced === null) return chosen;
    const token = this.forced;
    this.forced = null;
    return token;
  }
}
