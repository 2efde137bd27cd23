// A decoder stack's KV cache, preallocated once: per layer one key and one value buffer of
// [capacity, Hkv, hd], position-major, so the first P positions are one contiguous view.
// Graph calls get views of the filled rows as past inputs (wrapped, not copied) and views
// of the next free rows as preallocated outputs, which ONNX Runtime fills in place.
import * as ort from 'onnxruntime-node';
import { kvNames } from './graphContract.js';

export class KvCache {
  readonly keys: Float32Array[] = [];
  readonly values: Float32Array[] = [];
  readonly rowSize: number;
  private readonly pastNames: string[];
  private readonly newNames: string[];
  private filled = 0;

  constructor(
    readonly layers: number,
    readonly capacity: number,
    readonly kvHeads: number,
    readonly headDim: number,
  ) {
    this.rowSize = kvHeads * headDim;
    for (let i = 0; i < layers; i++) {
      this.keys.push(new Float32Array(capacity * this.rowSize));
      this.values.push(new Float32Array(capacity * this.rowSize));
    }
    this.pastNames = kvNames('past', layers);
    this.newNames = kvNames('new', layers);
  }

  /** Rows filled so far (P). */
  get length(): number {
    return this.filled;
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

  /** Adds `new_key_i` / `new_value_i` outputs that are views of rows [P, P + count). */
  addNewRowFetches(fetches: Record<string, ort.Tensor>, count: number): void {
    if (this.filled + count > this.capacity) {
      throw new RangeError(`KV cache full: ${this.filled} + ${count} rows > capacity ${this.capacity}`);
    }
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
}

function copyIfDetached(output: ort.OnnxValue | undefined, target: Float32Array, offset: number): void {
  if (output === undefined) throw new Error('graph returned no KV rows');
  const data = output.data as Float32Array;
  if (data.buffer !== target.buffer || data.byteOffset !== target.byteOffset + offset * 4) target.set(data, offset);
}
