// A decoder stack's KV cache: per layer one key and one value buffer of [rows, Hkv, hd],
// position-major, so the first P positions are one contiguous view. Graph calls get views
// of the filled rows as past inputs (wrapped, not copied) and views of the next free rows as
// preallocated outputs, which ONNX Runtime fills in place.
//
// Memory follows the run, not the limit: the buffers start small and, when a call needs
// rows beyond them, are reallocated at twice their rows (or the rows the call needs, if
// more; capped at the limit) with the filled rows copied over. A run to P rows copies fewer
// than 2P rows in all, a handful of times; every other step is the same views as with a
// buffer of the limit's size.
import * as ort from 'onnxruntime-node';
import { kvNames } from './graphContract.js';

/** Rows a cache starts with: a chat prompt and its first answers without regrowth. */
export const INITIAL_KV_ROWS = 256;

export class KvCache {
  keys: Float32Array[] = [];
  values: Float32Array[] = [];
  readonly rowSize: number;
  private readonly pastNames: string[];
  private readonly newNames: string[];
  private filled = 0;
  private rows: number;

  constructor(
    readonly layers: number,
    /** Most rows the cache may hold (the context of the load). */
    readonly limit: number,
    readonly kvHeads: number,
    readonly headDim: number,
    initialRows = INITIAL_KV_ROWS,
  ) {
    this.rowSize = kvHeads * headDim;
    this.rows = Math.min(limit, initialRows);
    for (let i = 0; i < layers; i++) {
      this.keys.push(new Float32Array(this.rows * this.rowSize));
      this.values.push(new Float32Array(this.rows * this.rowSize));
    }
    this.pastNames = kvNames('past', layers);
    this.newNames = kvNames('new', layers);
  }

  /** Rows filled so far (P). */
  get length(): number {
    return this.filled;
  }

  /** Rows allocated now. */
  get capacity(): number {
    return this.rows;
  }

  /** Bytes of the rows filled, and of the rows allocated. */
  get usedBytes(): number {
    return this.filled * this.rowSize * 2 * this.layers * Float32Array.BYTES_PER_ELEMENT;
  }

  get reservedBytes(): number {
    return this.rows * this.rowSize * 2 * this.layers * Float32Array.BYTES_PER_ELEMENT;
  }

  reset(): void {
    this.filled = 0;
  }

  /** Forgets the rows past the first `rows` (a verifier's rejected drafts); the next run overwrites them. */
  truncate(rows: number): void {
    if (!Number.isInteger(rows) || rows < 0 || rows > this.filled) {
      throw new RangeError(`cannot truncate a KV cache of ${this.filled} rows to ${rows}`);
    }
    this.filled = rows;
  }

  /** Adds `past_key_i` / `past_value_i` views of the first P rows to `feeds`. */
  addPastFeeds(feeds: Record<string, ort.Tensor>): void {
    const dims = [1, this.filled, this.kvHeads, this.headDim];
    const end = this.filled * this.rowSize;
    for (let i = 0; i < this.layers; i++) {
      feeds[this.pastNames[2 * i]!] = new ort.Tensor('float32', this.keys[i]!.subarray(0, end), dims);
      feeds[this.pastNames[2 * i + 1]!] = new ort.Tensor('float32', this.values[i]!.subarray(0, end), dims);
    }
  }

  /** Adds `new_key_i` / `new_value_i` outputs that are views of rows [P, P + count), growing the buffers first if they end before. */
  addNewRowFetches(fetches: Record<string, ort.Tensor>, count: number): void {
    const needed = this.filled + count;
    if (needed > this.limit) {
      throw new RangeError(`KV cache full: ${this.filled} + ${count} rows > limit ${this.limit}`);
    }
    if (needed > this.rows) this.grow(needed);
    const dims = [1, count, this.kvHeads, this.headDim];
    const start = this.filled * this.rowSize;
    const end = start + count * this.rowSize;
    for (let i = 0; i < this.layers; i++) {
      fetches[this.newNames[2 * i]!] = new ort.Tensor('float32', this.keys[i]!.subarray(start, end), dims);
      fetches[this.newNames[2 * i + 1]!] = new ort.Tensor('float32', this.values[i]!.subarray(start, end), dims);
    }
  }

  /**
   * Counts the rows a run just wrote. onnxruntime-node 1.30 fills the preallocated rows and
   * also returns a copy of them; the copy is written back only when it is not the cache's
   * own memory (a few hundred floats per step), so any runtime that returns its own
   * buffers instead still leaves the cache right.
   */
  commit(outputs: ort.InferenceSession.ReturnType, count: number): void {
    const start = this.filled * this.rowSize;
    for (let i = 0; i < this.layers; i++) {
      copyIfDetached(outputs[this.newNames[2 * i]!], this.keys[i]!, start);
      copyIfDetached(outputs[this.newNames[2 * i + 1]!], this.values[i]!, start);
    }
    this.filled += count;
  }

  private grow(needed: number): void {
    this.rows = Math.min(this.limit, Math.max(needed, this.rows * 2));
    const kept = this.filled * this.rowSize;
    const regrow = (old: Float32Array): Float32Array => {
      const next = new Float32Array(this.rows * this.rowSize);
      next.set(old.subarray(0, kept));
      return next;
    };
    this.keys = this.keys.map(regrow);
    this.values = this.values.map(regrow);
  }
}

function copyIfDetached(output: ort.OnnxValue | undefined, target: Float32Array, offset: number): void {
  if (output === undefined) throw new Error('graph returned no KV rows');
  const data = output.data as Float32Array;
  if (data.buffer !== target.buffer || data.byteOffset !== target.byteOffset + offset * 4) target.set(data, offset);
}
