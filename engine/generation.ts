// One generation, exactly as HAMBURGER.md and docs/model-package.md describe it:
// prefill the prompt unmerged (one KV entry per token); then each macro step composes the
// previous group into one embedding and appends one KV entry at the position of the group's
// last token; micro step 0 comes from the base forward's logits and stop logit, micro steps
// 1.. from the micro decoder; a step ends at eos, the token limit, max_steps or the stop head.
// Audit (a `hamburger` run's toggle): after each macro step the baseline checks the step's
// tokens in one forward; the macro event carries its verdicts and the tokens do not change.
// Verify: HAMburger's group is a draft that the baseline checks in one forward; it keeps the
// longest agreeing prefix (sampling: the rejection rule) and adds its own next token.
// HAMburger's cache then gets the kept drafts as one composed entry and the baseline's token
// as a separate one, each at the position of its last token, so its view matches the output.
import type {
  Alternative,
  EngineEvent,
  FeatureSummary,
  FinishReason,
  GenerationResult,
  KvEntry,
  MacroStep,
  MemoryFigures,
  MicroStep,
  RunSettings,
  StepVerification,
  StopReason,
  Totals,
} from './api.js';
import type { BaselineVerifier } from './baselineVerifier.js';
import type { DecoderSet } from './decoderSet.js';
import { RunCancelled, type StepGate } from './stepGate.js';
import { sigmoid, summarizeLogits, tokenProbability, type LogitsSummary } from './sampling/distribution.js';
import type { SpeculativeSampler } from './sampling/speculativeSampler.js';
import type { TokenSampler } from './sampling/tokenSampler.js';
import { stopHeadSaysStop } from './stopRule.js';
import type { SessionClock } from './timedSession.js';
import type { StreamingTokenDecoder } from './textDecoder.js';
import type { TextTokenizer } from './tokenizer.js';
import { agreeingPrefix, tokenVerdict } from './tokenVerdict.js';
import { VerificationTally } from './verificationTally.js';

export const TOP_ALTERNATIVES = 5;
const FEATURE_HEAD_VALUES = 8;

/** How the baseline takes part in a run: checking each step (audit) or verifying drafts (verify). */
export type RunVerification =
  | { kind: 'audit'; verifier: BaselineVerifier }
  | { kind: 'verify'; verifier: BaselineVerifier; speculation: SpeculativeSampler };

export interface GenerationInput {
  runId: string;
  modelName: string;
  settings: RunSettings;
  prompt: { text: string; rendered: string; tokenIds: number[] };
  /** Ids that end the run when chosen (end of sequence; Llama 3 has three). */
  stopIds: ReadonlySet<number>;
  decoders: DecoderSet;
  tokenizer: TextTokenizer;
  /** Chooses each token (verify: each draft; the speculation of `verification`). */
  sampler: TokenSampler;
  verification: RunVerification | null;
  gate: StepGate;
  startPaused: boolean;
  clock: SessionClock;
  /** The engine's KV memory now (the caches are the engine's, not the run's). */
  kvBytes: () => { used: number; reserved: number };
  emit: (event: EngineEvent) => void;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A KV entry the next macro step's base forward appends. */
interface FeedEntry {
  tokenIds: number[];
  text: string;
}

/** The tokens one macro step produced, and what the baseline said about them. */
interface StepTokens {
  micros: MicroStep[];
  tokens: number[];
  reason: StopReason;
  microMs: number;
  verification: StepVerification | undefined;
  /** Verify: the entries HAMburger's cache gets next; null: the step's tokens as one group. */
  feedback: FeedEntry[] | null;
}

interface FedStep {
  appended: KvEntry[];
  embedMs: number;
  baseMs: number;
}

export class Generation {
  private readonly output: number[] = [];
  private readonly textDecoder: StreamingTokenDecoder;
  private readonly tally: VerificationTally | null;
  private readonly tokenEmbedding: Float32Array;
  private readonly feedEmbeddings: Float32Array;
  private text = '';
  private macroSteps = 0;
  /** KV entries written after the prompt's, and entries waiting for the next step's forward. */
  private generatedEntries = 0;
  private pendingEntries = 0;
  /** Generated tokens inside the decoder's KV entries so far (a fed entry's position is its last token's index). */
  private fedTokens = 0;
  private startMs = 0;
  private prefillMs = 0;
  private sessionAtStart = 0;

  constructor(private readonly input: GenerationInput) {
    this.textDecoder = input.tokenizer.streamingDecoder();
    const v = input.verification;
    this.tally = v === null ? null : new VerificationTally(v.kind, v.verifier.kind);
    const d = input.decoders.architecture.hidden_size;
    this.tokenEmbedding = new Float32Array(d);
    this.feedEmbeddings = new Float32Array(input.settings.maxTokensPerStep * d);
  }

  /** Runs to the end; emits started, micro, macro and finished (or failed) events. */
  async run(): Promise<GenerationResult> {
    const { input } = this;
    this.startMs = performance.now();
    this.sessionAtStart = input.clock.totalMs;
    input.emit({
      type: 'started',
      runId: input.runId,
      model: input.modelName,
      settings: input.settings,
      prompt: { ...input.prompt, tokens: input.prompt.tokenIds.map((id) => input.tokenizer.tokenText(id)) },
      paused: input.startPaused,
    });
    let finish: FinishReason;
    try {
      finish = await this.decode();
    } catch (error) {
      if (!(error instanceof RunCancelled)) throw error;
      finish = 'cancelled';
    }
    this.text += this.textDecoder.flush();
    const result = this.result(finish);
    input.emit({ type: 'finished', runId: input.runId, result });
    return result;
  }

  private async decode(): Promise<FinishReason> {
    const { decoders, settings, prompt, gate, verification } = this.input;
    const n = prompt.tokenIds.length;
    // An entry fed back at position p needs p <= context - 1, and p = n - 1 + tokens so far.
    const tokenLimit = Math.min(settings.maxNewTokens, decoders.context - n);
    decoders.base.reset();
    verification?.verifier.reset(prompt.tokenIds);
    let feedback: FeedEntry[] = [];

    for (let stepIndex = 0; ; stepIndex++) {
      await gate.enter();
      const stepStart = performance.now();
      const waitedAtStart = gate.waitedMs;
      const sessionAtStepStart = this.input.clock.totalMs;
      const fed = stepIndex === 0 ? await this.prefill() : await this.feed(feedback);
      if (stepIndex === 0) this.prefillMs = fed.baseMs;
      gate.throwIfCancelled();
      const features = this.summarizeFeatures(decoders.base.lastFeatures, decoders.architecture.hidden_size);
      const last = fed.appended[fed.appended.length - 1]!;
      this.input.emit({ type: 'base', runId: this.input.runId, base: { step: stepIndex, kvEntry: last.index, positionId: last.positionId, features } });

      const produced = verification?.kind === 'verify' ? await this.verifiedGroup(stepIndex, tokenLimit, verification) : await this.group(stepIndex, tokenLimit);
      const stepText = this.textDecoder.push(produced.tokens);
      this.text += stepText;
      this.macroSteps += 1;
      feedback = produced.feedback ?? [{ tokenIds: produced.tokens, text: stepText }];
      this.pendingEntries = feedback.length;
      if (produced.verification !== undefined) this.tally?.add(produced.verification);
      const totalMs = performance.now() - stepStart - (gate.waitedMs - waitedAtStart);
      const step: MacroStep = {
        index: stepIndex,
        appended: fed.appended,
        kvEntry: last.index,
        positionId: last.positionId,
        features,
        micro: produced.micros,
        tokenIds: produced.tokens,
        text: stepText,
        stopReason: produced.reason,
        ...(produced.verification === undefined ? {} : { verification: produced.verification }),
        timings: { embedMs: fed.embedMs, baseMs: fed.baseMs, microMs: produced.microMs, totalMs, sessionMs: this.input.clock.totalMs - sessionAtStepStart },
        totals: this.totals(n, stepIndex + 1),
      };
      this.input.emit({ type: 'macro', runId: this.input.runId, step });
      const finish = this.finishReason(tokenLimit);
      if (finish !== null) return finish;
    }
  }

  /** Macro step 0's input: the prompt, one entry per token at positions 0..n-1. */
  private async prefill(): Promise<FedStep> {
    const { decoders, prompt, tokenizer } = this.input;
    const ids = prompt.tokenIds;
    const start = performance.now();
    const embeddings = new Float32Array(ids.length * decoders.architecture.hidden_size);
    await decoders.embedder.embedInto(ids, embeddings);
    const embedMs = performance.now() - start;
    const positions = ids.map((_, i) => i);
    await decoders.base.runEntries(embeddings, positions.map(() => 1), positions);
    const appended = ids.map((id, i) => ({ index: i, positionId: i, kind: 'prompt' as const, tokenIds: [id], text: tokenizer.tokenText(id) }));
    return { appended, embedMs, baseMs: performance.now() - start - embedMs };
  }

  /** A later macro step's input: the previous step's entries, each at the index of its last token. */
  private async feed(entries: readonly FeedEntry[]): Promise<FedStep> {
    const { decoders, prompt } = this.input;
    const n = prompt.tokenIds.length;
    const start = performance.now();
    await decoders.embedder.embedInto(
      entries.flatMap((e) => e.tokenIds),
      this.feedEmbeddings,
    );
    const embedMs = performance.now() - start;
    const positions: number[] = [];
    for (const entry of entries) {
      this.fedTokens += entry.tokenIds.length;
      positions.push(n - 1 + this.fedTokens);
    }
    await decoders.base.runEntries(this.feedEmbeddings, entries.map((e) => e.tokenIds.length), positions);
    const appended = entries.map((e, i) => ({
      index: n + this.generatedEntries + i,
      positionId: positions[i]!,
      kind: 'group' as const,
      tokenIds: e.tokenIds,
      text: e.text,
    }));
    this.generatedEntries += entries.length;
    this.pendingEntries = 0;
    return { appended, embedMs, baseMs: performance.now() - start - embedMs };
  }

  /** `hamburger` and `baseline` modes: micro steps until the step ends, each emitted as it comes; then the audit, if on. */
  private async group(stepIndex: number, tokenLimit: number): Promise<StepTokens> {
    const { gate, sampler, verification } = this.input;
    const producedBefore = this.output.length;
    const micros: MicroStep[] = [];
    const tokens: number[] = [];
    let microMs = 0;
    let reason: StopReason | null = null;
    for (let index = 0; reason === null; index++) {
      if (index > 0) await gate.enter();
      const micro = await this.propose(stepIndex, index, tokens, producedBefore, tokenLimit, sampler);
      tokens.push(micro.tokenId);
      this.output.push(micro.tokenId);
      reason = micro.stopReason;
      if (index > 0) microMs += micro.ms;
      micros.push(micro);
      this.input.emit({ type: 'micro', runId: this.input.runId, micro });
      gate.leave(reason !== null);
    }
    const audit = verification?.kind === 'audit' ? await this.audit(micros, reason, verification.verifier) : undefined;
    return { micros, tokens, reason, microMs, verification: audit, feedback: null };
  }

  /** The baseline's verdicts on a finished step, from one forward over its tokens; changes nothing in the run. */
  private async audit(micros: readonly MicroStep[], reason: StopReason, verifier: BaselineVerifier): Promise<StepVerification> {
    const start = performance.now();
    const tokens = micros.map((m) => m.tokenId);
    const rows = await verifier.check(tokens, false);
    this.input.gate.throwIfCancelled();
    const producedBefore = this.output.length - tokens.length;
    const verdicts = tokens.map((token, i) => {
      const row = rowOf(rows, i, verifier.vocabSize);
      // The baseline judged under the same rule the run's tokens were chosen under.
      this.suppressEarlyEos(row, producedBefore + i);
      return tokenVerdict(token, micros[i]!.prob, row, summarizeLogits(row, 1), this.textOf);
    });
    const acceptedPrefix = agreeingPrefix(verdicts);
    for (let i = 0; i < acceptedPrefix; i++) verdicts[i]!.accepted = true;
    verifier.settle(tokens.length - 1, [tokens[tokens.length - 1]!]);
    return {
      kind: 'audit',
      verdicts,
      acceptedPrefix,
      outcome: acceptedPrefix === verdicts.length ? 'bonus' : 'correction',
      draftStopReason: reason,
      baselineMs: performance.now() - start,
    };
  }

  /**
   * `verify` mode: HAMburger drafts a group (nothing emitted yet), the baseline checks it in
   * one forward, the kept drafts and the baseline's own token are emitted, one micro event
   * each, with the gate before each after the first (stepping shows them one at a time).
   */
  private async verifiedGroup(stepIndex: number, tokenLimit: number, verification: Extract<RunVerification, { kind: 'verify' }>): Promise<StepTokens> {
    const { gate, stopIds } = this.input;
    const { verifier, speculation } = verification;
    const producedBefore = this.output.length;
    speculation.beginDrafts();
    const drafts: MicroStep[] = [];
    const draftTokens: number[] = [];
    let microMs = 0;
    let draftStopReason: StopReason | null = null;
    for (let index = 0; draftStopReason === null; index++) {
      const draft = await this.propose(stepIndex, index, draftTokens, producedBefore, tokenLimit, speculation);
      draftTokens.push(draft.tokenId);
      drafts.push(draft);
      draftStopReason = draft.stopReason;
      if (index > 0) microMs += draft.ms;
    }

    const checkStart = performance.now();
    const rows = await verifier.check(draftTokens, true);
    gate.throwIfCancelled();
    const row = (i: number): Float32Array => rowOf(rows, i, verifier.vocabSize);
    for (let i = 0; i <= draftTokens.length; i++) this.suppressEarlyEos(row(i), producedBefore + i);
    const summaries = Array.from({ length: draftTokens.length + 1 }, (_, i) => summarizeLogits(row(i), TOP_ALTERNATIVES));
    const verdicts = draftTokens.map((token, i) => tokenVerdict(token, drafts[i]!.prob, row(i), summaries[i]!, this.textOf));
    let kept = 0;
    while (kept < draftTokens.length && speculation.accepts(kept, draftTokens[kept]!, row(kept), summaries[kept]!.top[0]!.tokenId)) {
      verdicts[kept]!.accepted = true;
      kept += 1;
    }
    const micros: MicroStep[] = drafts.slice(0, kept).map((m) => ({ ...m, stopReason: null }));
    // Drafting stops at eos and at the token budget, so a fully kept group can end the run.
    const ended = kept === draftTokens.length && (draftStopReason === 'eos' || draftStopReason === 'limit');
    if (!ended) {
      const summary = summaries[kept]!;
      const token = speculation.replacement(row(kept), summary.top[0]!.tokenId, kept < draftTokens.length ? kept : null);
      // The baseline's own token, described by the baseline's distribution at its place.
      micros.push(this.microStep(stepIndex, kept, token, row(kept), summary, null, null, 0));
      verifier.settle(kept, [token]);
    }
    const baselineMs = performance.now() - checkStart;
    const lastMicro = micros[micros.length - 1]!;
    if (!ended) lastMicro.ms = baselineMs;
    const tokens = micros.map((m) => m.tokenId);
    const reason: StopReason = stopIds.has(lastMicro.tokenId) ? 'eos' : producedBefore + tokens.length >= tokenLimit ? 'limit' : draftStopReason;
    lastMicro.stopReason = reason;

    for (const [i, micro] of micros.entries()) {
      if (i > 0) await gate.enter();
      this.output.push(micro.tokenId);
      this.input.emit({ type: 'micro', runId: this.input.runId, micro });
      gate.leave(i === micros.length - 1);
    }
    // The kept drafts as one entry, the baseline's token as another ("separate last").
    const feedback: FeedEntry[] = [];
    if (kept > 0) feedback.push(this.entry(tokens.slice(0, kept)));
    if (!ended) feedback.push(this.entry([tokens[kept]!]));
    return {
      micros,
      tokens,
      reason,
      microMs,
      verification: {
        kind: 'verify',
        verdicts,
        acceptedPrefix: kept,
        outcome: ended ? 'ended' : kept < draftTokens.length ? 'correction' : 'bonus',
        draftStopReason,
        baselineMs,
      },
      feedback,
    };
  }

  /** One micro step of HAMburger: index 0 from the base forward's heads, later ones from the micro decoder. */
  private async propose(
    stepIndex: number,
    index: number,
    group: readonly number[],
    producedBefore: number,
    tokenLimit: number,
    sampler: TokenSampler,
  ): Promise<MicroStep> {
    const { decoders, gate } = this.input;
    const start = performance.now();
    let logits = decoders.base.logits;
    let stopLogit = decoders.base.stopLogit;
    if (index > 0) {
      const micro = decoders.micro;
      if (micro === null) throw new Error('micro step requested without a micro decoder');
      if (index === 1) micro.begin(decoders.base.lastFeatures);
      await decoders.embedder.embedInto([group[index - 1]!], this.tokenEmbedding);
      await micro.next(this.tokenEmbedding);
      gate.throwIfCancelled();
      logits = micro.logits;
      stopLogit = micro.stopLogit;
    }
    this.suppressEarlyEos(logits, producedBefore + index);
    const summary = summarizeLogits(logits, TOP_ALTERNATIVES);
    const token = sampler.choose(logits, summary.top[0]!.tokenId);
    const stopProb = stopLogit === null ? null : sigmoid(stopLogit);
    const stopReason = this.stopReason(stepIndex, token, index + 1, producedBefore + index + 1, tokenLimit, stopProb);
    return this.microStep(stepIndex, index, token, logits, summary, stopProb, stopReason, performance.now() - start);
  }

  /** minNewTokens: no stop id is a choice for the token after `produced` generated ones (logits edited in place). */
  private suppressEarlyEos(logits: Float32Array, produced: number): void {
    if (produced >= (this.input.settings.minNewTokens ?? 0)) return;
    for (const id of this.input.stopIds) logits[id] = -Infinity;
  }

  /** A chosen token described by the distribution it was chosen from. */
  private microStep(
    stepIndex: number,
    index: number,
    token: number,
    logits: Float32Array,
    summary: LogitsSummary,
    stopProb: number | null,
    stopReason: StopReason | null,
    ms: number,
  ): MicroStep {
    return {
      step: stepIndex,
      index,
      tokenId: token,
      text: this.textOf(token),
      prob: tokenProbability(logits, summary, token),
      entropy: summary.entropy,
      top: this.alternatives(summary),
      stopProb,
      stopReason,
      ms,
    };
  }

  private entry(tokenIds: number[]): FeedEntry {
    return { tokenIds, text: this.input.tokenizer.decode(tokenIds) };
  }

  private readonly textOf = (tokenId: number): string => this.input.tokenizer.tokenText(tokenId);

  private alternatives(summary: LogitsSummary): Alternative[] {
    return summary.top.map((t) => ({ tokenId: t.tokenId, text: this.textOf(t.tokenId), prob: t.prob }));
  }

  /** Precedence as the reference decoder: eos, then the token limit, then max_steps, then the stop head (or a forced schedule). */
  private stopReason(stepIndex: number, token: number, groupSize: number, produced: number, tokenLimit: number, stopProb: number | null): StopReason | null {
    if (this.input.stopIds.has(token)) return 'eos';
    if (produced >= tokenLimit) return 'limit';
    if (groupSize >= this.input.decoders.maxTokensPerStep) return 'max_steps';
    const forced = this.input.settings.forcedGroupSizes;
    if (forced !== undefined) return groupSize >= forced[stepIndex % forced.length]! ? 'forced' : null;
    if (stopProb !== null && stopHeadSaysStop(stopProb, this.input.settings.confidence)) return 'stop_head';
    return null;
  }

  /** The run ends after end of sequence, or when the token limit (max new tokens, or the context) is reached. */
  private finishReason(tokenLimit: number): FinishReason | null {
    const last = this.output.at(-1);
    if (last !== undefined && this.input.stopIds.has(last)) return 'eos';
    if (this.output.length >= tokenLimit) return this.output.length >= this.input.settings.maxNewTokens ? 'max_new_tokens' : 'context_full';
    return null;
  }

  private summarizeFeatures(features: Float32Array, d: number): FeatureSummary[] {
    return this.input.decoders.architecture.feature_layers.map((layer, f) => {
      const row = features.subarray(f * d, (f + 1) * d);
      let sq = 0;
      for (let i = 0; i < row.length; i++) sq += row[i]! * row[i]!;
      return { layer, norm: Math.sqrt(sq), head: Array.from(row.subarray(0, FEATURE_HEAD_VALUES), (v) => round(v, 5)) };
    });
  }

  private activeMs(): number {
    return performance.now() - this.startMs - this.input.gate.waitedMs;
  }

  private totals(promptEntries: number, macroSteps: number): Totals {
    const tokens = this.output.length;
    const elapsedMs = this.activeMs();
    const totals: Totals = {
      tokens,
      macroSteps,
      promptEntries,
      generatedEntries: this.generatedEntries,
      kvEntries: promptEntries + this.generatedEntries,
      tokensPerEntry: tokens / (this.generatedEntries + this.pendingEntries),
      tokensPerStep: tokens / macroSteps,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
    };
    if (this.tally !== null) totals.verification = this.tally.totals(tokens);
    totals.memory = this.memory();
    return totals;
  }

  private memory(): MemoryFigures {
    const kv = this.input.kvBytes();
    const contextUsed = this.input.prompt.tokenIds.length + this.output.length;
    return { kvUsedBytes: kv.used, kvReservedBytes: kv.reserved, contextUsed, contextLimit: this.input.decoders.context };
  }

  private result(finishReason: FinishReason): GenerationResult {
    const elapsedMs = this.activeMs();
    const sessionMs = this.input.clock.totalMs - this.sessionAtStart;
    const tokens = this.output.length;
    const result: GenerationResult = {
      runId: this.input.runId,
      finishReason,
      text: this.text,
      tokenIds: [...this.output],
      tokens,
      macroSteps: this.macroSteps,
      tokensPerStep: this.macroSteps > 0 ? tokens / this.macroSteps : 0,
      kvEntries: { prompt: this.input.prompt.tokenIds.length, generated: this.generatedEntries + this.pendingEntries },
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
      elapsedMs,
      prefillMs: this.prefillMs,
      sessionMs,
      engineOverhead: elapsedMs > 0 ? Math.max(0, 1 - sessionMs / elapsedMs) : 0,
    };
    if (this.tally !== null) result.verification = this.tally.totals(tokens);
    if (finishReason === 'eos') result.stopTokenId = this.output.at(-1)!;
    result.memory = this.memory();
    return result;
  }
}

/** Row i of k rows of `width` floats. */
function rowOf(rows: Float32Array, i: number, width: number): Float32Array {
  return rows.subarray(i * width, (i + 1) * width);
}
