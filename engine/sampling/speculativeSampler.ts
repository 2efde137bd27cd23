// How verify mode chooses HAMburger's drafts and which of them the baseline keeps: standard
// speculative decoding. Greedy: a draft is kept when it is the baseline's argmax, and the
// baseline's argmax comes after the kept ones, so the output is greedy baseline decoding.
// Sampled: a draft x drawn from q (HAMburger's distribution after the run's temperature,
// top-k and top-p) is kept with probability min(1, p(x) / q(x)), p being the baseline's under
// the same processors; after a rejection the next token is drawn from max(0, p - q)
// normalised, after a fully kept group from p, so the output is distributed as sampling the
// baseline alone. Every draw comes from the run's seeded generator in a fixed order: a seed
// reproduces the run.
import type { Sampling } from '../api.js';
import { createRandomSampler, type RandomSampler, type TokenSampler } from './tokenSampler.js';

export interface SpeculativeSampler extends TokenSampler {
  /** Starts a new group: each `choose` after it proposes the next draft. */
  beginDrafts(): void;
  /** Whether the baseline keeps draft `index`, given its logits at that place and their argmax. */
  accepts(index: number, draft: number, target: Float32Array, targetArgmax: number): boolean;
  /** The baseline's own token at the first place not kept: after rejected draft `rejected`, or (null) after the whole group. */
  replacement(target: Float32Array, targetArgmax: number, rejected: number | null): number;
}

export class GreedySpeculation implements SpeculativeSampler {
  beginDrafts(): void {}

  choose(_logits: Float32Array, argmaxId: number): number {
    return argmaxId;
  }

  accepts(_index: number, draft: number, _target: Float32Array, targetArgmax: number): boolean {
    return draft === targetArgmax;
  }

  replacement(_target: Float32Array, targetArgmax: number): number {
    return targetArgmax;
  }
}

export class RejectionSampling implements SpeculativeSampler {
  /** Per draft of the group: the weights it was drawn from, and their sum. */
  private readonly draftWeights: Float64Array[];
  private readonly draftSums: Float64Array;
  private readonly targetWeights: Float64Array;
  private readonly residual: Float64Array;
  private drafted = 0;

  constructor(
    private readonly sampler: RandomSampler,
    private readonly vocabSize: number,
    private readonly maxDrafts: number,
  ) {
    this.draftWeights = Array.from({ length: maxDrafts }, () => new Float64Array(vocabSize));
    this.draftSums = new Float64Array(maxDrafts);
    this.targetWeights = new Float64Array(vocabSize);
    this.residual = new Float64Array(vocabSize);
  }

  beginDrafts(): void {
    this.drafted = 0;
  }

  choose(logits: Float32Array): number {
    const slot = this.drafted;
    if (slot >= this.maxDrafts) throw new RangeError(`more than ${this.maxDrafts} drafts in one group`);
    this.drafted += 1;
    const weights = this.draftWeights[slot]!;
    const sum = this.sampler.weights(logits, weights);
    this.draftSums[slot] = sum;
    return this.sampler.draw(weights, sum);
  }

  accepts(index: number, draft: number, target: Float32Array): boolean {
    this.checkDrafted(index);
    const targetSum = this.sampler.weights(target, this.targetWeights);
    const p = this.targetWeights[draft]! / targetSum;
    // q(draft) > 0: the draft was drawn from q.
    const q = this.draftWeights[index]![draft]! / this.draftSums[index]!;
    return this.sampler.uniform() < p / q;
  }

  replacement(target: Float32Array, _targetArgmax: number, rejected: number | null): number {
    const targetSum = this.sampler.weights(target, this.targetWeights);
    if (rejected === null) return this.sampler.draw(this.targetWeights, targetSum);
    this.checkDrafted(rejected);
    const q = this.draftWeights[rejected]!;
    const qSum = this.draftSums[rejected]!;
    let sum = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      const r = Math.max(0, this.targetWeights[i]! / targetSum - q[i]! / qSum);
      this.residual[i] = r;
      sum += r;
    }
    // p = q to rounding leaves no residual mass: p itself is then the right distribution.
    return sum > 0 ? this.sampler.draw(this.residual, sum) : this.sampler.draw(this.targetWeights, targetSum);
  }

  private checkDrafted(index: number): void {
    if (index >= this.drafted) throw new RangeError(`draft ${index} was not proposed in this group (${this.drafted} were)`);
  }
}

/** The rule for one verify run's sampling settings (a fresh generator per run). */
export function createSpeculativeSampler(sampling: Sampling, vocabSize: number, maxDrafts: number): SpeculativeSampler {
  if (sampling.kind === 'greedy') return new GreedySpeculation();
  return new RejectionSampling(createRandomSampler(sampling, vocabSize), vocabSize, maxDrafts);
}
