// One forward of the base model on its KV cache: the prefill (the prompt, one entry per
// token) or one macro step (one entry for the previous group). HAMburger's base graph
// composes its last element from a `group` input, so a macro step is a single graph call;
// the baseline's base takes plain embeddings. Outputs land in preallocated buffers: the
// last position's features, logits and stop logit, and the new KV rows.
import * as ort from 'onnxruntime-node';
import { KvCache } from './kvCache.js';
import type { TimedSession } from './timedSession.js';

export interface BaseShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  featureCount: number;
  maxPosition: number;
}

export class BaseForward {
  readonly cache: KvCache;
  readonly logits: Float32Array;
  /** Features of the last position: F rows of hidden_size. */
  readonly lastFeatures: Float32Array;
  private readonly stopLogitBuffer: Float32Array;
  private readonly positions: BigInt64Array;
  private readonly stepFeatures: Float32Array;
  private readonly logitsTensor: ort.Tensor;
  private readonly stopTensor: ort.Tensor;
  private readonly stepFeaturesTensor: ort.Tensor;

  private readonly emptyInputs: ort.Tensor;

  constructor(
    private readonly session: TimedSession,
    private readonly shape: BaseShape,
    /** HAMburger's base: a stop head, and a `group` input it composes into one element. */
    readonly hamburger: boolean,
  ) {
    const { layers, kvHeads, headDim, hiddenSize, vocabSize, featureCount, maxPosition } = shape;
    this.cache = new KvCache(layers, maxPosition, kvHeads, headDim);
    this.logits = new Float32Array(vocabSize);
    this.stopLogitBuffer = new Float32Array(1);
    this.positions = new BigInt64Array(maxPosition);
    this.stepFeatures = new Float32Array(featureCount * hiddenSize);
    this.lastFeatures = new Float32Array(featureCount * hiddenSize);
    this.logitsTensor = new ort.Tensor('float32', this.logits, [1, vocabSize]);
    this.stopTensor = new ort.Tensor('float32', this.stopLogitBuffer, [1, 1]);
    this.stepFeaturesTensor = new ort.Tensor('float32', this.stepFeatures, [1, 1, featureCount, hiddenSize]);
    this.emptyInputs = new ort.Tensor('float32', new Float32Array(0), [1, 0, hiddenSize]);
  }

  get stopLogit(): number | null {
    return this.hamburger ? this.stopLogitBuffer[0]! : null;
  }

  reset(): void {
    this.cache.reset();
  }

  /** The prompt's n embeddings (n x hidden_size floats) at positions 0 .. n-1. */
  runPrompt(embeddings: Float32Array, n: number): Promise<void> {
    const d = this.shape.hiddenSize;
    if (!this.hamburger) return this.run(this.plain(embeddings, n), null, n, 0);
    // The last prompt token enters as a one-token group, which composes to its own embedding.
    const leading = new ort.Tensor('float32', embeddings.subarray(0, (n - 1) * d), [1, n - 1, d]);
    return this.run(leading, this.groupTensor(embeddings.subarray((n - 1) * d, n * d), 1), n, 0);
  }

  /** One entry at `position` for a group of k tokens (k x hidden_size embeddings). */
  runGroup(embeddings: Float32Array, k: number, position: number): Promise<void> {
    if (!this.hamburger) {
      if (k !== 1) throw new Error(`a plain base takes one token per step, not ${k}`);
      return this.run(this.plain(embeddings, 1), null, 1, position);
    }
    return this.run(this.emptyInputs, this.groupTensor(embeddings, k), 1, position);
  }

  private plain(embeddings: Float32Array, n: number): ort.Tensor {
    const d = this.shape.hiddenSize;
    return new ort.Tensor('float32', embeddings.subarray(0, n * d), [1, n, d]);
  }

  private groupTensor(embeddings: Float32Array, k: number): ort.Tensor {
    const d = this.shape.hiddenSize;
    return new ort.Tensor('float32', embeddings.subarray(0, k * d), [k, d]);
  }

  /** `count` new elements (count - 1 from `inputs` plus the composed group, or all from `inputs`). */
  private async run(inputs: ort.Tensor, group: ort.Tensor | null, count: number, firstPosition: number): Promise<void> {
    const { hiddenSize: d, featureCount: f } = this.shape;
    const positions = this.positions.subarray(0, count);
    for (let i = 0; i < count; i++) positions[i] = BigInt(firstPosition + i);
    const feeds: Record<string, ort.Tensor> = { inputs_embeds: inputs, position_ids: new ort.Tensor('int64', positions, [1, count]) };
    if (group !== null) feeds['group'] = group;
    this.cache.addPastFeeds(feeds);
    const fetches: Record<string, ort.Tensor | null> = {
      features: count === 1 ? this.stepFeaturesTensor : null,
      logits: this.logitsTensor,
    };
    if (this.hamburger) fetches['stop_logit'] = this.stopTensor;
    this.cache.addNewRowFetches(fetches as Record<string, ort.Tensor>, count);
    const out = await this.session.run(feeds, fetches);
    this.cache.commit(out, count);
    const features = out['features']?.data as Float32Array;
    this.lastFeatures.set(features.subarray((count - 1) * f * d, count * f * d));
    copyUnlessSame(out['logits']?.data as Float32Array, this.logits);
    if (this.hamburger) copyUnlessSame(out['stop_logit']?.data as Float32Array, this.stopLogitBuffer);
  }
}

function copyUnlessSame(source: Float32Array, target: Float32Array): void {
  if (source !== target) target.set(source);
}
