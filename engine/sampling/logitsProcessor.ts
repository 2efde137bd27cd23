/** One transformation of next-token scores, in place, before sampling. */
export interface LogitsProcessor {
  apply(scores: Float64Array): void;
}
