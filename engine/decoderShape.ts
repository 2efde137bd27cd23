// The sizes a decoder stack's graph wrapper preallocates for: its KV cache (layers x rows of
// Hkv x hd) and its inputs and outputs (hidden_size wide, F feature rows, vocab_size logits).
// The base forward and the micro-step decoder take the same shape; only their layers and
// rows differ.
export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  /** F: the feature rows the base forward hands the micro decoder. */
  featureCount: number;
  /** Most rows the KV cache holds: positions a run may use (base), F + max_steps (micro). */
  context: number;
  /** Rows the cache starts with (undefined: the cache's default). */
  initialRows?: number | undefined;
}
