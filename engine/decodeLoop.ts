// The HAMburger decode loop (../shared/docs/HAMBURGER.md), the algorithm alone.
// Shapes: n prompt tokens, k tokens in a group, D = hidden_size, F = feature layers,
// V = vocab_size.
//
//   prefill      macro step 0: the prompt's embeddings [n, D] through `base`, one KV entry
//                per token at positions 0..n-1 (a fork or a later turn: the context's
//                recorded calls replayed, each entry at its last token's position: runContext.ts)
//   macro step   s > 0: the previous group's embeddings [k, D] through `base`, which composes
//                them into ONE KV entry at the position of the group's last token (or one
//                higher: the run's position convention, positionConvention.ts)
//   micro step   token 0 from `base`'s heads; token i > 0 from `micro` over [F feature rows of
//                base's last position, emb(t0)], then emb(t_{i-1}) alone, on a cache of its own
//   stop rule    a group ends at eos, the token limit, max_steps, then the stop head
//   finish       the run ends after eos, or at the token limit (max new tokens or the context)
//
// The loop reports a Moment for each thing that happens to the driver (generation.ts), which
// gates, times and describes them. Which tokens a macro step
// emits is a GroupStrategy: here each micro step's token as it comes; audit and verify have
// the baseline check them (verificationStrategy.ts).
import type { FinishReason, KvEntry, RunSettings, StepVerification, StopReason } from './api.js';
import type { DecoderSet } from './decoderSet.js';
import { contextEntryPosition, conventionOf, fedEntryPosition } from './positionConvention.js';
import type { ReplayCall } from './runContext.js';
import { sigmoid, summarizeLogits, tokenProbability, type LogitsSummary } from './sampling/distribution.js';
import type { TokenSampler } from './sampling/tokenSampler.js';
import { stopHeadSaysStop } from './stopRule.js';

export const TOP_ALTERNATIVES = 5;

/** A chosen token and the distribution it was chosen from. */
export interface Choice {
  step: number;
  /** 0: from the base forward's heads; i > 0: from the micro decoder's i-th call. */
  index: number;
  tokenId: number;
  /** Under the model's untempered distribution. */
  prob: number;
  summary: LogitsSummary;
  /** null: no stop head (baseline graphs; the baseline's own token in verify). */
  stopProb: number | null;
  stopReason: StopReason | null;
}

/** A KV entry the base forward wrote; its text is the driver's business. */
export type AppendedEntry = Omit<KvEntry, 'text'>;

/** What the baseline said about a step's tokens (the time it took is the driver's). */
export type CheckVerdict = Omit<StepVerification, 'baselineMs'>;

export type Moment =
  /** A macro step begins: its base forward and micro step 0 come next. */
  | { kind: 'stepStart'; step: number }
  /** The step's input embeddings are looked up. */
  | { kind: 'embedded' }
  /** The base forward appended `entries`; `features` [F, D] of the last start the micro decoder. */
  | { kind: 'appended'; step: number; entries: AppendedEntry[]; features: Float32Array }
  /** A micro step chose a token (verify: a draft, not emitted yet). */
  | { kind: 'decoded'; choice: Choice }
  /** The baseline checked the step (verify: `own` is its token after the kept drafts). */
  | { kind: 'checked'; verdict: CheckVerdict; own: Choice | null }
  /** A token is output; a stop reason ends the step. */
  | { kind: 'emitted'; choice: Choice; stopReason: StopReason | null }
  /** The step is over; `feedback` are the entries (token ids) the next step appends. */
  | { kind: 'stepEnd'; step: number; feedback: number[][] };

/**
 * The driver's side of a moment. It may throw (a cancelled run), and where a run may wait, at
 * `stepStart` and `emitted` (the step gate sits before every micro step), it returns a promise
 * the loop awaits.
 */
export type Report = (moment: Moment) => Promise<void> | undefined;

/** Which tokens a macro step emits, and the KV entries the next macro step appends for them. */
export interface GroupStrategy {
  /** A new run with this prompt. */
  begin(promptIds: readonly number[]): void;
  group(loop: DecodeLoop, step: number): Promise<number[][]>;
}

export interface DecodeInput {
  decoders: DecoderSet;
  promptIds: readonly number[];
  /** Step 0's base-forward calls over promptIds (a fork's or conversation's context: runContext.ts); default the prompt unmerged in one call. */
  calls?: readonly ReplayCall[];
  /** Ids that end the run when chosen (end of sequence; Llama 3 has three). */
  stopIds: ReadonlySet<number>;
  settings: Pick<RunSettings, 'maxNewTokens' | 'minNewTokens' | 'maxTokensPerStep' | 'confidence' | 'forcedGroupSizes' | 'positionConvention'>;
}

export class DecodeLoop {
  /** Every token emitted so far. */
  readonly output: number[] = [];
  /** Max new tokens, or fewer when the context ends first. */
  readonly tokenLimit: number;
  /** KV entries step 0 writes (the prompt's; with a fork or earlier turns, the whole context's). */
  readonly promptEntries: number;
  /** KV entries written after the prompt's, and those the next macro step appends. */
  generatedEntries = 0;
  pendingEntries = 0;
  /** Generated tokens inside KV entries so far, which place an entry (positionConvention.ts). */
  private fedTokens = 0;
  private readonly tokenEmbedding: Float32Array; // [1, D]
  private readonly groupEmbeddings: Float32Array; // [tokens a step emits at most, D]

  constructor(
    readonly input: DecodeInput,
    private readonly groups: GroupStrategy,
    readonly report: Report,
  ) {
    const { decoders, promptIds, settings } = input;
    // An entry fed back at position p needs p <= context - 1. The run's last token is never
    // fed, so an entry holds at most tokenLimit - 1 tokens so far: p <= n - 1 + tokenLimit - 1
    // (last_token), one more under tokens_so_far; context - 1 at most under both.
    this.tokenLimit = Math.min(settings.maxNewTokens, decoders.context - promptIds.length);
    this.promptEntries = input.calls?.reduce((sum, call) => sum + call.length, 0) ?? promptIds.length;
    const d = decoders.architecture.hidden_size;
    this.tokenEmbedding = new Float32Array(d);
    this.groupEmbeddings = new Float32Array(settings.maxTokensPerStep * d);
  }

  /** The whole run: macro steps (base forward, then the group's micro steps) until the finish rule ends it. */
  async decode(): Promise<FinishReason> {
    this.input.decoders.base.reset();
    this.groups.begin(this.input.promptIds);
    let feedback: number[][] = [];
    for (let step = 0; ; step++) {
      await this.report({ kind: 'stepStart', step });
      await (step === 0 ? this.prefill() : this.appendGroups(step, feedback));
      feedback = await this.groups.group(this, step);
      this.pendingEntries = feedback.length;
      this.report({ kind: 'stepEnd', step, feedback });
      const finish = this.finishReason();
      if (finish !== null) return finish;
    }
  }

  /**
   * Macro step 0: the prompt, unmerged, one entry per token at positions 0..n-1; a fork's or
   * a conversation's context as the calls that wrote it, each entry where they put it (positionConvention.ts).
   */
  private async prefill(): Promise<void> {
    const { decoders, promptIds: ids } = this.input;
    const calls: readonly ReplayCall[] = this.input.calls ?? [ids.map((id) => ({ tokenIds: [id], kind: 'prompt' as const }))];
    const d = decoders.architecture.hidden_size;
    const embeddings = new Float32Array(ids.length * d); // [n, D]
    await decoders.embedder.embedInto(ids, embeddings);
    this.report({ kind: 'embedded' });
    const convention = conventionOf(this.input.settings);
    const entries: AppendedEntry[] = [];
    let tokens = 0;
    for (const call of calls) {
      const sizes = call.map((entry) => entry.tokenIds.length);
      const positions: number[] = [];
      let last = tokens - 1;
      for (const entry of call) {
        last += entry.tokenIds.length;
        positions.push(entry.positionId ?? contextEntryPosition(convention, entry.kind, last));
      }
      await decoders.base.runEntries(embeddings.subarray(tokens * d), sizes, positions);
      call.forEach((entry, i) => entries.push({ index: entries.length, positionId: positions[i]!, kind: entry.kind, tokenIds: entry.tokenIds }));
      tokens = last + 1;
    }
    if (tokens !== ids.length) throw new Error(`step 0's calls cover ${tokens} of the context's ${ids.length} tokens`);
    this.report({ kind: 'appended', step: 0, entries, features: decoders.base.lastFeatures });
  }

  /**
   * Macro step s > 0 begins: the previous step's entries (its group; verify: the kept drafts
   * and the baseline's token apart), each one KV entry at the position of its last token.
   */
  private async appendGroups(step: number, entries: readonly number[][]): Promise<void> {
    const { decoders, promptIds } = this.input;
    const n = promptIds.length;
    await decoders.embedder.embedInto(entries.flat(), this.groupEmbeddings); // [Σk, D]
    this.report({ kind: 'embedded' });
    const positions: number[] = [];
    const convention = conventionOf(this.input.settings);
    for (const ids of entries) {
      this.fedTokens += ids.length;
      positions.push(fedEntryPosition(convention, n, this.fedTokens));
    }
    // `base` composes each group of k > 1 into one entry; a one-token entry is its plain embedding.
    await decoders.base.runEntries(this.groupEmbeddings, entries.map((ids) => ids.length), positions);
    const appended = entries.map((tokenIds, i) => ({ index: this.promptEntries + this.generatedEntries + i, positionId: positions[i]!, kind: 'group' as const, tokenIds }));
    this.generatedEntries += entries.length;
    this.pendingEntries = 0;
    this.report({ kind: 'appended', step, entries: appended, features: decoders.base.lastFeatures });
  }

  /**
   * Micro step `group.length` of a macro step: token 0 from the base forward's heads, later
   * ones from the micro decoder. `produced`: tokens the run emitted before this one.
   */
  async microStep(step: number, group: readonly number[], produced: number, sampler: TokenSampler): Promise<Choice> {
    const { base, micro, embedder } = this.input.decoders;
    const index = group.length;
    let logits = base.logits; // [V]
    let stopLogit = base.stopLogit;
    if (index > 0) {
      if (micro === null) throw new Error('micro step requested without a micro decoder');
      if (index === 1) micro.begin(base.lastFeatures); // [F, D]
      await embedder.embedInto([group[index - 1]!], this.tokenEmbedding);
      // micro's input: [F + 1, D] at micro step 1 (features, emb(t0)), [1, D] after; one KV row each.
      await micro.next(this.tokenEmbedding);
      logits = micro.logits;
      stopLogit = micro.stopLogit;
    }
    this.suppressEarlyEos(logits, produced);
    const summary = summarizeLogits(logits, TOP_ALTERNATIVES);
    const tokenId = sampler.choose(logits, summary.top[0]!.tokenId);
    const stopProb = stopLogit === null ? null : sigmoid(stopLogit);
    const stopReason = this.stopReason(step, tokenId, index + 1, produced + 1, stopProb);
    const choice: Choice = { step, index, tokenId, prob: tokenProbability(logits, summary, tokenId), summary, stopProb, stopReason };
    this.report({ kind: 'decoded', choice });
    return choice;
  }

  /** A token joins the output; `stopReason` non-null ends the step. */
  async emit(choice: Choice, stopReason: StopReason | null): Promise<void> {
    this.output.push(choice.tokenId);
    await this.report({ kind: 'emitted', choice, stopReason });
  }

  /** minNewTokens: no stop id is a choice for the token after `produced` generated ones (logits edited in place). */
  suppressEarlyEos(logits: Float32Array, produced: number): void {
    if (produced >= (this.input.settings.minNewTokens ?? 0)) return;
    for (const id of this.input.stopIds) logits[id] = -Infinity;
  }

  /** Why a group ends after this token, in the reference decoder's order; null: it goes on. */
  private stopReason(step: number, token: number, groupSize: number, produced: number, stopProb: number | null): StopReason | null {
    const { stopIds, decoders, settings } = this.input;
    if (stopIds.has(token)) return 'eos';
    if (produced >= this.tokenLimit) return 'limit';
    if (groupSize >= decoders.maxTokensPerStep) return 'max_steps';
    // A timing simulation replaces the stop head by a recorded schedule of group sizes.
    const forced = settings.forcedGroupSizes;
    if (forced !== undefined) return groupSize >= forced[step % forced.length]! ? 'forced' : null;
    if (stopProb !== null && stopHeadSaysStop(stopProb, settings.confidence)) return 'stop_head';
    return null;
  }

  /** The run ends after end of sequence, or when the token limit (max new tokens, or the context) is reached. */
  private finishReason(): FinishReason | null {
    const last = this.output.at(-1);
    if (last !== undefined && this.input.stopIds.has(last)) return 'eos';
    if (this.output.length < this.tokenLimit) return null;
    return this.output.length >= this.input.settings.maxNewTokens ? 'max_new_tokens' : 'context_full';
  }
}

/** `hamburger` and `baseline` modes: each micro step's token is emitted as it comes; the group is one entry. */
export class PlainGroups implements GroupStrategy {
  constructor(private readonly sampler: TokenSampler) {}

  begin(): void {}

  async group(loop: DecodeLoop, step: number): Promise<number[][]> {
    return [(await this.choices(loop, step)).map((c) => c.tokenId)];
  }

  /** The group's micro steps, each emitted before the next runs. */
  async choices(loop: DecodeLoop, step: number): Promise<Choice[]> {
    const choices: Choice[] = [];
    const tokens: number[] = [];
    for (;;) {
      const choice = await loop.microStep(step, tokens, loop.output.length, this.sampler);
      choices.push(choice);
      tokens.push(choice.tokenId);
      await loop.emit(choice, choice.stopReason);
      if (choice.stopReason !== null) return choices;
    }
  }
}
