// Where KV entries sit (../shared/docs/HAMBURGER.md): an entry of k tokens at the position of
// its last token, so positions count tokens however they are merged. Kept in one place for
// the context's replayed calls (decodeLoop.ts's prefill).

/** Positions of consecutive entries of `sizes` tokens after `tokensBefore` tokens. */
export function entryPositions(tokensBefore: number, sizes: readonly number[]): number[] {
  let tokens = tokensBefore;
  return sizes.map((size) => {
    tokens += size;
    return tokens - 1;
  });
}
