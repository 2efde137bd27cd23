// The micro-step decoder of one macro step. Its sequence is [feature_1 .. feature_F,
// emb(t0), emb(t1), ...] at positions 0, 1, 2, ... with its own KV cache that lives for
// one macro step: micro-step 1 feeds the features and emb(t0), each later one emb(t_{i-1}).
// Its shape's context is F + max_steps, the longest such sequence.
import * as ort from 'onnxruntime-node';
import type { DecoderShape } from './decoderShape.js';
import { KvCache } from './kvCache.js';
import type { TimedSession } from './timedSession.js';

export class MicroStepDecoder {
  readonly logits: Float32Array;
  private readonly stopLogitBuffer: Float32Array;
  readonly cache: KvCache;
  private readonly firstInputs: Float32Array;
  private readonly positions: BigInt64Array;
  private readonly logitsTensor: ort.Tensor;
  private readonly stopTensor: ort.Tensor;

  constructor(
    private readonly session: TimedSession,
    private readonly shape: DecoderShape,
  ) {
    const { layers, kvHeads, headDim, hiddenSize, vocabSize, featureCount, context, initialRows } = shape;
    this.cache = new KvCache(layers, context, kvHeads, headDim, initialRows);
    this.firstInputs = new Float32Array((featureCount + 1) * hiddenSize);
    this.positions = BigInt64Array.from({ length: context }, (_, i) => BigInt(i));
    this.logits = new Float32Array(vocabSize);
    this.stopLogitBuffer = new Float32Array(1);
    this.logitsTensor = new ort.Tensor('float32', this.logits, [1, vocabSize]);
    this.stopTensor = new ort.Tensor('float32', this.stopLogitBuffer, [1, 1]);
  }

  get stopLogit(): number {
    return this.stopLogitBuffer[0]!;
  }

  /** Starts a macro step from the base forward's last-position features (F x hidden_size). */
  begin(features: Float32Array): void {
    const { featureCount, hiddenSize } = this.shape;
    this.cache.reset();
    this.firstInputs.set(features.subarray(0, featureCount * hiddenSize));
  }

  /** One micro step: feeds the previous token's embedding; logits and stop logit of the next token. */
  async next(previousTokenEmbedding: Float32Array): Promise<void> {
    const { hiddenSize: d, featureCount } = this.shape;
    const first = this.cache.length === 0;
    let inputs: Float32Array;
    if (first) {
      this.firstInputs.set(previousTokenEmbedding.subarray(0, d), featureCount * d);
      inputs = this.firstInputs;
    } else {
      inputs = previousTokenEmbedding.subarray(0, d);
    }
    const m = inputs.length / d;
    const start = this.cache.length;
    const feeds: Record<string, ort.Tensor> = {
      hiddens: new ort.Tensor('float32', inputs, [1, m, d]),
      position_ids: new ort.Tensor('int64', this.positions.subarray(start, start + m), [1, m]),
    };
    this.cache.addPastFeeds(feeds);
    const fetches: Record<string, ort.Tensor> = { logits: this.logitsTensor, stop_logit: this.stopTensor };
    this.cache.addNewRowFetches(fetches, m);
    const out = await this.session.run(feeds, fetches);
    this.cache.commit(out, m);
    const logits = out['logits']?.data as Float32Array;
    if (logits !== this.logits) this.logits.set(logits);
    const stop = out['stop_logit']?.data as Float32Array;
    if (stop !== this.stopLogitBuffer) this.stopLogitBuffer.set(stop);
  }
}
