// An analysis as a group strategy of the decode loop (decodeLoop.ts): every micro step's token
// is the given text's next one instead of the model's choice. A group ends where decoding would
// end it (eos, the end of the text as the token limit, max_steps, the stop head at the run's
// confidence) or, failing those, right after a token the model would not have chosen (its
// greedy choice differs: `diverged`). The group then goes back as ONE entry, exactly as in
// decoding, so each token is scored from the state HAMburger itself would be in.
import type { StopReason } from './api.js';
import type { DecodeLoop, GroupStrategy } from './decodeLoop.js';
import type { TokenSampler } from './sampling/tokenSampler.js';

/** Chooses the one token it holds, whatever the logits say. */
class ForcedToken implements TokenSampler {
  constructor(private readonly tokenId: number) {}

  choose(): number {
    return this.tokenId;
  }
}

export class ForcedTextGroups implements GroupStrategy {
  /** `textIds`: the text's tokens, at least one; the run's maxNewTokens is their count. */
  constructor(private readonly textIds: readonly number[]) {}

  begin(): void {}

  async group(loop: DecodeLoop, step: number): Promise<number[][]> {
    const tokens: number[] = [];
    for (;;) {
      const produced = loop.output.length;
      const forced = this.textIds[produced]!;
      const choice = await loop.microStep(step, tokens, produced, new ForcedToken(forced));
      const greedy = choice.summary.top[0]!.tokenId;
      const reason: StopReason | null = choice.stopReason ?? (greedy === forced ? null : 'diverged');
      choice.stopReason = reason;
      tokens.push(forced);
      await loop.emit(choice, reason);
      if (reason !== null) return [tokens];
    }
  }
}
