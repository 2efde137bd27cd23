// Forwards of the base model on its KV cache: the prefill (the prompt, one entry per
// token), a macro step (one entry for the previous group), or a verify step's feedback (the
// kept drafts as one entry, the verifier's token as another). HAMburger's base graph
// composes its last element from a `group` input, so a macro step is a single graph call;
// the baseline's base takes plain embeddings. Outputs land in preallocated buffers: the
// last position's features, logits and stop logit, and the new KV rows.
import * as ort from 'onnxruntime-node';
import type { DecoderShape } from './decoderShape.js';
import { KvCache } from './kvCache.js';
import type { TimedSession } from './timedSession.js';

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

  constructor(
    private readonly session: TimedSession,
    private readonly shape: DecoderShape,
    /** HAMburger's base: a stop head, and a `group` input it composes into one element. */
    readonly hamburger: boolean,
  ) {
    const { layers, kvHeads, headDim, hiddenSize, vocabSize, featureCount, context, initialRows } = shape;
    this.cache = new KvCache(layers, context, kvHeads, headDim, initialRows);
    this.logits = new Float32Array(vocabSize);
    this.stopLogitBuffer = new Float32Array(1);
    this.positions = new BigInt64Array(context);
    this.stepFeatures = new Float32Array(featureCount * hiddenSize);
    this.lastFeatures = new Float32Array(featureCount * hiddenSize);
    this.logitsTensor = new ort.Tensor('float32', this.logits, [1, vocabSize]);
    this.stopTensor = new ort.Tensor('float32', this.stopLogitBuffer, [1, 1]);
    this.stepFeaturesTensor = new ort.Tensor('float32', this.stepFeatures, [1, 1, featureCount, hiddenSize]);
  }

  get stopLogit(): number | null {
    return this.hamburger ? this.stopLogitBuffer[0]! : null;
  }

  reset(): void {
    this.cache.reset();
  }

  /**
   * Appends one KV entry per group: `sizes[i]` tokens (their embeddings in order in
   * `embeddings`, hidden_size floats each) at `positions[i]`. A prompt is n one-token
   * entries; a HAMburger macro step one group; a verify step the kept drafts and the
   * verifier's token. HAMburger's base composes only its last element, so single-token
   * entries ride in front of the next group and a call ends after each longer group; a plain
   * base takes one token per entry, all in one call. Logits, stop logit and features are
   * those of the last entry.
   */
  async runEntries(embeddings: Float32Array, sizes: readonly number[], positions: readonly number[]): Promise<void> {
    if (sizes.length === 0 || sizes.length !== positions.length) {
      throw new Error(`runEntries needs one position per entry and at least one entry, got ${sizes.length} sizes and ${positions.length} positions`);
    }
    const d = this.shape.hiddenSize;
    if (!this.hamburger) {
      if (sizes.some((k) => k !== 1)) throw new Error(`a plain base takes one token per entry, got groups of ${sizes.join(', ')}`);
      return this.run(this.plain(embeddings, sizes.length), null, positions);
    }
    let start = 0;
    let offset = 0;
    for (let i = 0; i < sizes.length; i++) {
      if (sizes[i] === 1 && i < sizes.length - 1) continue;
      const singles = i - start;
      const leading = new ort.Tensor('float32', embeddings.subarray(offset * d, (offset + singles) * d), [1, singles, d]);
      const groupStart = offset + singles;
      await this.run(leading, this.groupTensor(embeddings.subarray(groupStart * d), sizes[i]!), positions.slice(start, i + 1));
      offset = groupStart + sizes[i]!;
      start = i + 1;
    }
  }

  private plain(embeddings: Float32Array, n: number): ort.Tensor {
    const d = this.shape.hiddenSize;
    return new ort.Tensor('float32', embeddings.subarray(0, n * d), [1, n, d]);
  }

  private groupTensor(embeddings: Float32Array, k: number): ort.Tensor {
    const d = this.shape.hiddenSize;
    return new ort.Tensor('float32', embeddings.subarray(0, k * d), [k, d]);
  }

  /** One call: `positions.length` new elements (all but the last from `inputs`, the last the composed group; or all from `inputs`). */
  private async run(inputs: ort.Tensor, group: ort.Tensor | null, entryPositions: readonly number[]): Promise<void> {
    const { hiddenSize: d, featureCount: f } = this.shape;
    const count = entryPositions.length;
    const positions = this.positions.subarray(0, count);
    for (let i = 0; i < count; i++) positions[i] = BigInt(entryPositions[i]!);
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
