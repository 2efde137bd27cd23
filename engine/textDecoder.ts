// Token ids -> text, one group at a time. Byte-level tokens can split a UTF-8 character;
// a streaming decoder holds the partial bytes back until the character completes, so
// concatenating the pieces of a run gives exactly the decoded text of all its tokens.
// Special tokens are left out of the text; like the reference decoder, they end any
// partial character before them.
export class StreamingTokenDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    private readonly tokenBytes: readonly Uint8Array[],
    private readonly isSpecial: (id: number) => boolean,
  ) {}

  push(tokenIds: readonly number[]): string {
    let text = '';
    for (const id of tokenIds) {
      if (this.isSpecial(id)) {
        text += this.decoder.decode();
        continue;
      }
      const bytes = this.tokenBytes[id];
      if (bytes !== undefined) text += this.decoder.decode(bytes, { stream: true });
    }
    return text;
  }

  /** Whatever partial character is left at the end of a run, as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}
