// Token ids -> input embeddings. Small vocabularies: the `embed` graph is run once at load
// for every id and the table is kept in JS (a row copy per token, no graph call), shared by
// every run. Large ones: the `embed` graph is called per lookup, on the run's own clock.
import * as ort from 'onnxruntime-node';
import type { TimedSession } from './timedSession.js';

/** Largest table (vocab_size x hidden_size floats) held in JS: 32 Mi floats = 128 MiB. */
export const EMBEDDING_TABLE_MAX_FLOATS = 32 * 1024 * 1024;

export interface TokenEmbedder {
  readonly source: 'js-table' | 'embed-graph';
  /** Writes the embeddings of `ids` into `out` (ids.length x hidden_size floats). */
  embedInto(ids: readonly number[], out: Float32Array): Promise<void>;
}

class EmbeddingTable implements TokenEmbedder {
  readonly source = 'js-table';

  constructor(
    private readonly table: Float32Array,
    private readonly hiddenSize: number,
  ) {}

  embedInto(ids: readonly number[], out: Float32Array): Promise<void> {
    const d = this.hiddenSize;
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j]!;
      out.set(this.table.subarray(id * d, id * d + d), j * d);
    }
    return Promise.resolve();
  }
}

class EmbedGraphLookup implements TokenEmbedder {
  readonly source = 'embed-graph';

  constructor(
    private readonly session: TimedSession,
    private readonly hiddenSize: number,
  ) {}

  async embedInto(ids: readonly number[], out: Float32Array): Promise<void> {
    const input = new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [ids.length]);
    const target = new ort.Tensor('float32', out.subarray(0, ids.length * this.hiddenSize), [ids.length, this.hiddenSize]);
    const result = await this.session.run({ input_ids: input }, { embeddings: target });
    const data = result['embeddings']?.data as Float32Array | undefined;
    if (data !== undefined && data !== target.data) out.set(data);
  }
}

/** The whole table when it is small enough to hold (made once per load), else null: look rows up in the graph. */
export async function embeddingTable(session: TimedSession, vocabSize: number, hiddenSize: number): Promise<Float32Array | null> {
  if (vocabSize * hiddenSize > EMBEDDING_TABLE_MAX_FLOATS) return null;
  const table = new Float32Array(vocabSize * hiddenSize);
  await new EmbedGraphLookup(session, hiddenSize).embedInto(Array.from({ length: vocabSize }, (_, id) => id), table);
  return table;
}

export function createTokenEmbedder(table: Float32Array | null, session: TimedSession, hiddenSize: number): TokenEmbedder {
  return table === null ? new EmbedGraphLookup(session, hiddenSize) : new EmbeddingTable(table, hiddenSize);
}
