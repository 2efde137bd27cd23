// One generation: the driver around the decode loop (decodeLoop.ts). The loop computes and
// reports each moment; the driver owns the rest: the step gate (a run waits before every
// micro step, and a cancel ends it after any graph call), the timings, and the events and
// result that describe the run.
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
import { DecodeLoop, type Choice, type Moment } from './decodeLoop.js';
import type { DecoderSet } from './decoderSet.js';
import type { RunHistory } from './history.js';
import type { ReplayCall } from './runContext.js';
import { RunCancelled, type StepGate } from './stepGate.js';
import type { TokenSampler } from './sampling/tokenSampler.js';
import type { SessionClock } from './timedSession.js';
import type { StreamingTokenDecoder } from './textDecoder.js';
import type { TextTokenizer } from './tokenizer.js';
import { ForcedTextGroups } from './forcedText.js';
import { textAnalysisOf } from './textAnalysis.js';
import { VerificationTally } from './verificationTally.js';
import { groupStrategy, type RunVerification } from './verificationStrategy.js';

const FEATURE_HEAD_VALUES = 8;

export interface GenerationInput {
  runId: string;
  modelName: string;
  settings: RunSettings;
  prompt: { text: string; rendered: string; tokenIds: number[] };
  /** A fork's or a later turn's context: what it started after, and step 0's calls over prompt.tokenIds. */
  context?: { history: RunHistory; calls: readonly ReplayCall[] };
  /** Ids that end the run when chosen (end of sequence; Llama 3 has three). */
  stopIds: ReadonlySet<number>;
  decoders: DecoderSet;
  tokenizer: TextTokenizer;
  /** Chooses each token (verify: each draft; the speculation of `verification`). */
  sampler: TokenSampler;
  verification: RunVerification | null;
  /** An analysis: the text every token is forced to (null: a generation). */
  forcedText: readonly number[] | null;
  gate: StepGate;
  startPaused: boolean;
  clock: SessionClock;
  /** The KV memory of this run's own caches now. */
  kvBytes: () => { used: number; reserved: number };
  emit: (event: EngineEvent) => void;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** What the driver gathers about the open macro step until its `macro` event. */
interface OpenStep {
  startMs: number;
  waitedAtStart: number;
  sessionAtStart: number;
  embedMs: number;
  baseMs: number;
  microMs: number;
  appended: KvEntry[];
  features: FeatureSummary[];
  micros: MicroStep[];
  verification: StepVerification | undefined;
}

export class Generation {
  private readonly loop: DecodeLoop;
  private readonly textDecoder: StreamingTokenDecoder;
  private readonly tally: VerificationTally | null;
  /** Each decoded token's micro-step time (verify: the baseline's token takes the check's). */
  private readonly msOf = new Map<Choice, number>();
  private step: OpenStep | null = null;
  /** Text of each entry the next macro step appends. */
  private feedbackTexts: string[] = [];
  private text = '';
  private macroSteps = 0;
  private startMs = 0;
  /** When the driver last let the loop go on, and the gate's waiting time then. */
  private mark = 0;
  private waitedAtMark = 0;
  private prefillMs = 0;
  /** Time to first token: active time from macro step 0's start to the run's first emitted token. */
  private firstTokenMs: number | null = null;
  private sessionAtStart = 0;
  /** An analysis: every token's micro step, for the text's figures. */
  private readonly scored: MicroStep[] | null;

  constructor(private readonly input: GenerationInput) {
    this.textDecoder = input.tokenizer.streamingDecoder();
    const v = input.verification;
    this.tally = v === null ? null : new VerificationTally(v.kind, v.verifier.kind);
    const { decoders, prompt, stopIds, settings, sampler } = input;
    const groups = input.forcedText === null ? groupStrategy(sampler, v, this.textOf) : new ForcedTextGroups(input.forcedText);
    this.scored = input.forcedText === null ? null : [];
    const calls = input.context === undefined ? {} : { calls: input.context.calls };
    this.loop = new DecodeLoop({ decoders, promptIds: prompt.tokenIds, ...calls, stopIds, settings }, groups, (moment) => this.report(moment));
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
      ...(input.context === undefined ? {} : { history: input.context.history }),
    });
    let finish: FinishReason;
    try {
      finish = await this.loop.decode();
    } catch (error) {
      if (!(error instanceof RunCancelled)) throw error;
      finish = 'cancelled';
    }
    this.text += this.textDecoder.flush();
    const result = this.result(finish);
    input.emit({ type: 'finished', runId: input.runId, result });
    return result;
  }

  /** Each moment with the time the loop took to reach it since the driver last let it go on, waits at the gate aside. */
  private report(moment: Moment): Promise<void> | undefined {
    const { gate } = this.input;
    const wait = this.handle(moment, performance.now() - this.mark - (gate.waitedMs - this.waitedAtMark));
    this.mark = performance.now();
    this.waitedAtMark = gate.waitedMs;
    return wait;
  }

  /** Gate, time and report one moment; after every graph call (base, micro, the baseline's check) a cancel ends the run. */
  private handle(moment: Moment, ms: number): Promise<void> | undefined {
    const { gate, clock, emit, runId } = this.input;
    switch (moment.kind) {
      case 'stepStart': {
        // The step's time leaves out the wait at its gate, as every wait.
        const start = { startMs: performance.now(), waitedAtStart: gate.waitedMs, sessionAtStart: clock.totalMs };
        this.step = { ...start, embedMs: 0, baseMs: 0, microMs: 0, appended: [], features: [], micros: [], verification: undefined };
        return gate.enter();
      }
      case 'embedded':
        this.openStep.embedMs = ms;
        return;
      case 'appended': {
        const step = this.openStep;
        step.baseMs = ms;
        if (moment.step === 0) this.prefillMs = ms;
        gate.throwIfCancelled();
        const { tokenizer } = this.input;
        // Step 0's group entries are an earlier run's (a fork's prefix, an earlier answer).
        const texts = moment.step === 0 ? moment.entries.map((e) => (e.kind === 'prompt' ? tokenizer.tokenText(e.tokenIds[0]!) : tokenizer.decode(e.tokenIds))) : this.feedbackTexts;
        step.appended = moment.entries.map((entry, i) => ({ ...entry, text: texts[i]! }));
        step.features = this.summarizeFeatures(moment.features);
        const last = step.appended[step.appended.length - 1]!;
        emit({ type: 'base', runId, base: { step: moment.step, kvEntry: last.index, positionId: last.positionId, features: step.features } });
        return;
      }
      case 'decoded':
        // Micro steps after the first ran a graph (the micro decoder); micro step 0 reads the base forward's.
        if (moment.choice.index > 0) {
          gate.throwIfCancelled();
          this.openStep.microMs += ms;
        }
        this.msOf.set(moment.choice, ms);
        return;
      case 'checked':
        gate.throwIfCancelled();
        this.openStep.verification = { ...moment.verdict, baselineMs: ms };
        if (moment.own !== null) this.msOf.set(moment.own, ms);
        return;
      case 'emitted': {
        // The gate sits before every micro step: the next one waits here unless this token ended the step.
        const micro = this.describe(moment.choice, moment.stopReason);
        const open = this.openStep;
        this.firstTokenMs ??= performance.now() - open.startMs - (gate.waitedMs - open.waitedAtStart);
        open.micros.push(micro);
        this.scored?.push(micro);
        emit({ type: 'micro', runId, micro });
        const stepEnds = moment.stopReason !== null;
        gate.leave(stepEnds);
        return stepEnds ? undefined : gate.enter();
      }
      case 'stepEnd':
        this.closeStep(moment.step, moment.feedback);
        return;
    }
  }

  private get openStep(): OpenStep {
    if (this.step === null) throw new Error('a moment outside a macro step');
    return this.step;
  }

  private closeStep(index: number, feedback: number[][]): void {
    const { gate, clock, tokenizer, verification, emit, runId } = this.input;
    const open = this.openStep;
    const tokenIds = open.micros.map((m) => m.tokenId);
    const stepText = this.textDecoder.push(tokenIds);
    this.text += stepText;
    this.macroSteps += 1;
    // A group's entry reads as the step's text; verify's entries each decode on their own.
    this.feedbackTexts = verification?.kind === 'verify' ? feedback.map((ids) => tokenizer.decode(ids)) : [stepText];
    if (open.verification !== undefined) this.tally?.add(open.verification);
    const last = open.appended[open.appended.length - 1]!;
    const totalMs = performance.now() - open.startMs - (gate.waitedMs - open.waitedAtStart);
    const step: MacroStep = {
      index,
      appended: open.appended,
      kvEntry: last.index,
      positionId: last.positionId,
      features: open.features,
      micro: open.micros,
      tokenIds,
      text: stepText,
      stopReason: open.micros[open.micros.length - 1]!.stopReason!,
      ...(open.verification === undefined ? {} : { verification: open.verification }),
      timings: { embedMs: open.embedMs, baseMs: open.baseMs, microMs: open.microMs, totalMs, sessionMs: clock.totalMs - open.sessionAtStart },
      totals: this.totals(index + 1),
    };
    this.msOf.clear();
    this.step = null;
    emit({ type: 'macro', runId, step });
  }

  /** A token as its micro event shows it: the distribution it was chosen from. */
  private describe(choice: Choice, stopReason: StopReason | null): MicroStep {
    const { summary } = choice;
    return {
      step: choice.step,
      index: choice.index,
      tokenId: choice.tokenId,
      text: this.textOf(choice.tokenId),
      prob: choice.prob,
      entropy: summary.entropy,
      top: summary.top.map((t): Alternative => ({ tokenId: t.tokenId, text: this.textOf(t.tokenId), prob: t.prob })),
      stopProb: choice.stopProb,
      stopReason,
      ms: this.msOf.get(choice)!,
    };
  }

  private readonly textOf = (tokenId: number): string => this.input.tokenizer.tokenText(tokenId);

  /** Norm and first values of each feature row [F, D] the micro decoder starts from. */
  private summarizeFeatures(features: Float32Array): FeatureSummary[] {
    const { feature_layers, hidden_size: d } = this.input.decoders.architecture;
    return feature_layers.map((layer, f) => {
      const row = features.subarray(f * d, (f + 1) * d);
      let sq = 0;
      for (let i = 0; i < row.length; i++) sq += row[i]! * row[i]!;
      return { layer, norm: Math.sqrt(sq), head: Array.from(row.subarray(0, FEATURE_HEAD_VALUES), (v) => round(v, 5)) };
    });
  }

  private activeMs(): number {
    return performance.now() - this.startMs - this.input.gate.waitedMs;
  }

  private totals(macroSteps: number): Totals {
    const { output, generatedEntries, pendingEntries, promptEntries } = this.loop;
    const tokens = output.length;
    const elapsedMs = this.activeMs();
    const totals: Totals = {
      tokens,
      macroSteps,
      promptEntries,
      generatedEntries,
      kvEntries: promptEntries + generatedEntries,
      tokensPerEntry: tokens / (generatedEntries + pendingEntries),
      tokensPerStep: tokens / macroSteps,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
    };
    if (this.firstTokenMs !== null) totals.firstTokenMs = this.firstTokenMs;
    if (this.tally !== null) totals.verification = this.tally.totals(tokens);
    totals.memory = this.memory();
    return totals;
  }

  private memory(): MemoryFigures {
    const kv = this.input.kvBytes();
    const contextUsed = this.input.prompt.tokenIds.length + this.loop.output.length;
    return { kvUsedBytes: kv.used, kvReservedBytes: kv.reserved, contextUsed, contextLimit: this.input.decoders.context };
  }

  private result(finishReason: FinishReason): GenerationResult {
    const { output, generatedEntries, pendingEntries } = this.loop;
    const elapsedMs = this.activeMs();
    const sessionMs = this.input.clock.totalMs - this.sessionAtStart;
    const tokens = output.length;
    const result: GenerationResult = {
      runId: this.input.runId,
      finishReason,
      text: this.text,
      tokenIds: [...output],
      tokens,
      macroSteps: this.macroSteps,
      tokensPerStep: this.macroSteps > 0 ? tokens / this.macroSteps : 0,
      kvEntries: { prompt: this.loop.promptEntries, generated: generatedEntries + pendingEntries },
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
      elapsedMs,
      prefillMs: this.prefillMs,
      sessionMs,
      engineOverhead: elapsedMs > 0 ? Math.max(0, 1 - sessionMs / elapsedMs) : 0,
    };
    if (this.firstTokenMs !== null) result.firstTokenMs = this.firstTokenMs;
    if (this.tally !== null) result.verification = this.tally.totals(tokens);
    if (finishReason === 'eos') result.stopTokenId = output.at(-1)!;
    if (this.scored !== null) result.analysis = textAnalysisOf(this.scored);
    result.memory = this.memory();
    return result;
  }
}
