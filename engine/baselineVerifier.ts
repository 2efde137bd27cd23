// The baseline as the checker of HAMburger's tokens (audit and verify). It keeps its own KV
// cache of the emitted tokens, all but the pending ones: the prompt before the first check,
// afterwards the last emitted token, which no forward has fed yet. A check is one forward
// over [pending..., checked tokens...] on that cache (the base graph's T > 1 path), then the
// LM head over the rows whose next-token logits predict each checked token, since the base
// graph gives logits for its last position only. After a check the caller settles how many
// checked tokens stay in the cache (verify: the kept drafts) and what is pending next.
import * as ort from 'onnxruntime-node';
import type { Verifier } from './api.js';
import { KvCache } from './kvCache.js';
import type { Architecture } from './manifest.js';
import type { TimedSession } from './timedSession.js';
import type { TokenEmbedder } from './tokenEmbedder.js';

export interface VerifierGraphs {
  kind: Verifier;
  architecture: Architecture;
  embedder: TokenEmbedder;
  base: TimedSession;
  heads: TimedSession;
  /** HAMburger's base (a package without baseline graphs): its last element enters as a one-token group, which composes to the token's own embedding. */
  composesGroup: boolean;
}

export class BaselineVerifier {
  readonly kind: Verifier;
  readonly cache: KvCache;
  private readonly positions: BigInt64Array;
  private readonly rowHidden: Float32Array;
  private readonly rowLogits: Float32Array;
  private pending: number[] = [];
  /** Cache rows before the last check, and how many tokens it fed after the pending ones. */
  private lastCheck: { rowsBefore: number; pendingCount: number; checkedFed: number } | null = null;

  constructor(
    private readonly graphs: VerifierGraphs,
    /** Most tokens one check covers (HAMburger's max_steps). */
    private readonly maxChecked: number,
    /** Positions a run may use (the cache's limit), and the rows its cache starts with. */
    { context, initialRows }: { context: number; initialRows: number | undefined },
  ) {
    const a = graphs.architecture;
    this.kind = graphs.kind;
    this.cache = new KvCache(a.num_layers, context, a.num_kv_heads, a.head_dim, initialRows);
    this.positions = new BigInt64Array(context);
    this.rowHidden = new Float32Array((maxChecked + 1) * a.hidden_size);
    this.rowLogits = new Float32Array((maxChecked + 1) * a.vocab_size);
  }

  get vocabSize(): number {
    return this.graphs.architecture.vocab_size;
  }

  /** A new run: nothing cached, the prompt pending. */
  reset(promptIds: readonly number[]): void {
    this.cache.reset();
    this.pending = [...promptIds];
    this.lastCheck = null;
  }

  /**
   * One forward over [pending..., tokens...] (withNext) or [pending..., all tokens but the
   * last] (without): the baseline's logits at the place of each of the k tokens, plus with
   * `withNext` at the place after them: k (+ 1) rows of vocab_size floats, valid until the
   * next check.
   */
  async check(tokens: readonly number[], withNext: boolean): Promise<Float32Array> {
    if (tokens.length < 1 || tokens.length > this.maxChecked) {
      throw new RangeError(`a check covers 1..${this.maxChecked} tokens, got ${tokens.length}`);
    }
    const { hidden_size: d, vocab_size: v, feature_layers } = this.graphs.architecture;
    const checkedFed = withNext ? tokens.length : tokens.length - 1;
    const fed = [...this.pending, ...tokens.slice(0, checkedFed)];
    const t = fed.length;
    const rowsBefore = this.cache.length;
    const embeddings = new Float32Array(t * d);
    await this.graphs.embedder.embedInto(fed, embeddings);
    const positions = this.positions.subarray(0, t);
    for (let i = 0; i < t; i++) positions[i] = BigInt(rowsBefore + i);
    const feeds: Record<string, ort.Tensor> = { position_ids: new ort.Tensor('int64', positions, [1, t]) };
    if (this.graphs.composesGroup) {
      feeds['inputs_embeds'] = new ort.Tensor('float32', embeddings.subarray(0, (t - 1) * d), [1, t - 1, d]);
      feeds['group'] = new ort.Tensor('float32', embeddings.subarray((t - 1) * d), [1, d]);
    } else {
      feeds['inputs_embeds'] = new ort.Tensor('float32', embeddings, [1, t, d]);
    }
    this.cache.addPastFeeds(feeds);
    const fetches: Record<string, ort.Tensor | null> = { features: null };
    this.cache.addNewRowFetches(fetches as Record<string, ort.Tensor>, t);
    const out = await this.graphs.base.run(feeds, fetches);
    this.cache.commit(out, t);
    this.lastCheck = { rowsBefore, pendingCount: this.pending.length, checkedFed };

    // Row r of the fed sequence predicts fed[r + 1]: the first checked token's row is the last pending one.
    const first = this.pending.length - 1;
    const rows = t - first;
    const f = feature_layers.length;
    const features = out['features']?.data as Float32Array;
    for (let r = 0; r < rows; r++) {
      const at = ((first + r) * f + f - 1) * d; // the final normed hidden
      this.rowHidden.set(features.subarray(at, at + d), r * d);
    }
    const logits = this.rowLogits.subarray(0, rows * v);
    const headsOut = await this.graphs.heads.run(
      { hidden: new ort.Tensor('float32', this.rowHidden.subarray(0, rows * d), [rows, d]) },
      { logits: new ort.Tensor('float32', logits, [rows, v]) },
    );
    const returned = headsOut['logits']?.data as Float32Array;
    if (returned !== logits) logits.set(returned);
    return logits;
  }

  /**
   * After a check: the pending tokens and the first `kept` checked tokens stay in the cache
   * (the rest were rejected drafts); `next` becomes pending for the next check.
   */
  settle(kept: number, next: readonly number[]): void {
    const last = this.lastCheck;
    if (last === null) throw new Error('settle without a check');
    if (kept < 0 || kept > last.checkedFed) throw new RangeError(`can keep 0..${last.checkedFed} checked tokens, not ${kept}`);
    if (next.length === 0) throw new RangeError('the next check needs at least one pending token');
    this.cache.truncate(last.rowsBefore + last.pendingCount + kept);
    this.pending = [...next];
    this.lastCheck = null;
  }
}
