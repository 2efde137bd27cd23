// One generation, exactly as HAMBURGER.md and docs/model-package.md describe it:
// prefill the prompt unmerged (one KV entry per token); then each macro step composes the
// previous group into one embedding and appends one KV entry at the position of the group's
// last token; micro step 0 comes from the base forward's logits and stop logit, micro steps
// 1.. from the micro decoder; a step ends at eos, the token limit, max_steps or the stop head.
import type {
  EngineEvent,
  FeatureSummary,
  FinishReason,
  GenerationResult,
  KvEntry,
  MacroStep,
  MicroStep,
  RunSettings,
  StopReason,
  Totals,
} from './api.js';
import type { DecoderSet } from './decoderSet.js';
import { RunCancelled, type StepGate } from './stepGate.js';
import { sigmoid, summarizeLogits, tokenProbability } from './sampling/distribution.js';
import type { TokenSampler } from './sampling/tokenSampler.js';
import { stopHeadSaysStop } from './stopRule.js';
import type { SessionClock } from './timedSession.js';
import type { StreamingTokenDecoder } from './textDecoder.js';
import type { TextTokenizer } from './tokenizer.js';

export const TOP_ALTERNATIVES = 5;
const FEATURE_HEAD_VALUES = 8;

export interface GenerationInput {
  runId: string;
  modelName: string;
  settings: RunSettings;
  prompt: { text: string; rendered: string; tokenIds: number[] };
  eosId: number;
  decoders: DecoderSet;
  tokenizer: TextTokenizer;
  sampler: TokenSampler;
  gate: StepGate;
  startPaused: boolean;
  clock: SessionClock;
  emit: (event: EngineEvent) => void;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export class Generation {
  private readonly output: number[] = [];
  private readonly textDecoder: StreamingTokenDecoder;
  private text = '';
  private macroSteps = 0;
  private startMs = 0;
  private prefillMs = 0;
  private sessionAtStart = 0;

  constructor(private readonly input: GenerationInput) {
    this.textDecoder = input.tokenizer.streamingDecoder();
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
    const { decoders, settings, prompt, gate } = this.input;
    const { base, embedder } = decoders;
    const d = decoders.architecture.hidden_size;
    const n = prompt.tokenIds.length;
    // A group fed back at position p needs p <= max_position - 1, and p = n - 1 + tokens so far.
    const tokenLimit = Math.min(settings.maxNewTokens, decoders.architecture.max_position - n);
    base.reset();
    const tokenEmbedding = new Float32Array(d);
    const groupEmbeddings = new Float32Array(decoders.maxTokensPerStep * d);
    let group: number[] = [];
    let groupText = '';
    let position = n - 1;

    for (let stepIndex = 0; ; stepIndex++) {
      await gate.enter();
      const stepStart = performance.now();
      const waitedAtStart = gate.waitedMs;
      const sessionAtStepStart = this.input.clock.totalMs;
      let appended: KvEntry[];
      let embedMs: number;
      const inputStart = performance.now();
      if (stepIndex === 0) {
        const promptEmbeddings = new Float32Array(n * d);
        await embedder.embedInto(prompt.tokenIds, promptEmbeddings);
        embedMs = performance.now() - inputStart;
        await base.runPrompt(promptEmbeddings, n);
        appended = prompt.tokenIds.map((id, i) => ({
          index: i,
          positionId: i,
          kind: 'prompt' as const,
          tokenIds: [id],
          text: this.input.tokenizer.tokenText(id),
        }));
      } else {
        position += group.length;
        await embedder.embedInto(group, groupEmbeddings);
        embedMs = performance.now() - inputStart;
        await base.runGroup(groupEmbeddings, group.length, position);
        appended = [{ index: n + stepIndex - 1, positionId: position, kind: 'group', tokenIds: group, text: groupText }];
      }
      const baseMs = performance.now() - inputStart - embedMs;
      if (stepIndex === 0) this.prefillMs = baseMs;
      gate.throwIfCancelled();
      const features = this.summarizeFeatures(base.lastFeatures, d);

      const micros: MicroStep[] = [];
      const emitted: number[] = [];
      let microMs = 0;
      let logits = base.logits;
      let stopLogit = base.stopLogit;
      let reason: StopReason | null = null;
      for (let microIndex = 0; reason === null; microIndex++) {
        if (microIndex > 0) await gate.enter();
        const microStart = performance.now();
        if (microIndex > 0) {
          const micro = decoders.micro;
          if (micro === null) throw new Error('micro step requested without a micro decoder');
          if (microIndex === 1) micro.begin(base.lastFeatures);
          await embedder.embedInto([emitted[emitted.length - 1]!], tokenEmbedding);
          await micro.next(tokenEmbedding);
          gate.throwIfCancelled();
          logits = micro.logits;
          stopLogit = micro.stopLogit;
        }
        const summary = summarizeLogits(logits, TOP_ALTERNATIVES);
        const token = this.input.sampler.choose(logits, summary.top[0]!.tokenId);
        const stopProb = stopLogit === null ? null : sigmoid(stopLogit);
        emitted.push(token);
        this.output.push(token);
        reason = this.stopReason(token, emitted.length, tokenLimit, stopProb);
        const ms = performance.now() - microStart;
        if (microIndex > 0) microMs += ms;
        const microStep: MicroStep = {
          step: stepIndex,
          index: microIndex,
          tokenId: token,
          text: this.input.tokenizer.tokenText(token),
          prob: tokenProbability(logits, summary, token),
          entropy: summary.entropy,
          top: summary.top.map((t) => ({ tokenId: t.tokenId, text: this.input.tokenizer.tokenText(t.tokenId), prob: t.prob })),
          stopProb,
          stopReason: reason,
          ms,
        };
        micros.push(microStep);
        this.input.emit({ type: 'micro', runId: this.input.runId, micro: microStep });
        gate.leave(reason !== null);
      }

      const stepText = this.textDecoder.push(emitted);
      this.text += stepText;
      this.macroSteps += 1;
      const last = appended[appended.length - 1]!;
      const totalMs = performance.now() - stepStart - (gate.waitedMs - waitedAtStart);
      const step: MacroStep = {
        index: stepIndex,
        appended,
        kvEntry: last.index,
        positionId: last.positionId,
        features,
        micro: micros,
        tokenIds: emitted,
        text: stepText,
        stopReason: reason,
        timings: { embedMs, baseMs, microMs, totalMs, sessionMs: this.input.clock.totalMs - sessionAtStepStart },
        totals: this.totals(n, stepIndex + 1),
      };
      this.input.emit({ type: 'macro', runId: this.input.runId, step });
      if (reason === 'eos') return 'eos';
      if (reason === 'limit') return this.output.length >= settings.maxNewTokens ? 'max_new_tokens' : 'context_full';
      group = emitted;
      groupText = stepText;
    }
  }

  /** Precedence as the reference decoder: eos, then the token limit, then max_steps, then the stop head. */
  private stopReason(token: number, groupSize: number, tokenLimit: number, stopProb: number | null): StopReason | null {
    if (token === this.input.eosId) return 'eos';
    if (this.output.length >= tokenLimit) return 'limit';
    if (groupSize >= this.input.decoders.maxTokensPerStep) return 'max_steps';
    if (stopProb !== null && stopHeadSaysStop(stopProb, this.input.settings.confidence)) return 'stop_head';
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
    return {
      tokens,
      macroSteps,
      promptEntries,
      generatedEntries: macroSteps - 1,
      kvEntries: promptEntries + macroSteps - 1,
      tokensPerEntry: tokens / macroSteps,
      tokensPerStep: tokens / macroSteps,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
    };
  }

  private result(finishReason: FinishReason): GenerationResult {
    const elapsedMs = this.activeMs();
    const sessionMs = this.input.clock.totalMs - this.sessionAtStart;
    const tokens = this.output.length;
    return {
      runId: this.input.runId,
      finishReason,
      text: this.text,
      tokenIds: [...this.output],
      tokens,
      macroSteps: this.macroSteps,
      tokensPerStep: this.macroSteps > 0 ? tokens / this.macroSteps : 0,
      kvEntries: { prompt: this.input.prompt.tokenIds.length, generated: this.macroSteps },
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
      elapsedMs,
      prefillMs: this.prefillMs,
      sessionMs,
      engineOverhead: elapsedMs > 0 ? Math.max(0, 1 - sessionMs / elapsedMs) : 0,
    };
  }
}
