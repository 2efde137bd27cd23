// The engine: one loaded model package, its generations controlled while they run. By
// default one generation at a time; a load may allow several (the app's race lanes), which
// share the sessions and take turns step by step (engine/turnScheduler.ts), each with its
// own KV caches. Usable from any thread; session.run blocks the thread it runs on, so hosts
// run it in a worker (engine/worker/).
import {
  type ControlAction,
  type EngineEvent,
  type GenerationResult,
  type LoadProgress,
  type Mode,
  type ModelInfo,
  type RunSettings,
  type Verifier,
  controlActionSchema,
} from './api.js';
import { createRunDecoders, isOpen, openPart, partsFor, prepareDecoding, type OnDemandPart, type RunNeeds, type SharedDecoding } from './decoderSet.js';
import { planAnalysis } from './analysisRequest.js';
import { EngineError, toErrorInfo } from './errors.js';
import { Generation } from './generation.js';
import { stopIdsOf } from './manifest.js';
import { loadModelPackage, releaseModelPackage, throwIfCancelled, type LoadOptions, type ModelPackage } from './modelPackage.js';
import { checkPromptLength, validateRequest, type ValidRequest } from './requestValidation.js';
import { createSpeculativeSampler } from './sampling/speculativeSampler.js';
import { ForcedFirstToken } from './sampling/forcedFirstToken.js';
import { createSampler, type TokenSampler } from './sampling/tokenSampler.js';
import { runContext, type RunContext } from './runContext.js';
import type { KvCache } from './kvCache.js';
import { StepGate } from './stepGate.js';
import { SessionClock } from './timedSession.js';
import { TurnScheduler, type Turn } from './turnScheduler.js';
import type { RunVerification } from './verificationStrategy.js';

export interface RunHandle {
  runId: string;
  /** Resolves with the result (also for a cancelled run); rejects with an EngineError if the run failed. */
  done: Promise<GenerationResult>;
}

export interface EncodedPrompt {
  rendered: string;
  tokenIds: number[];
}

/** A checked request, its prompt as the model sees it, and the text an analysis forces (null: a generation). */
interface RunPlan extends ValidRequest {
  /** A generation's: with a fork's or a conversation's context before its prompt (runContext.ts). */
  prompt: EncodedPrompt & Partial<Pick<RunContext, 'calls' | 'history' | 'replayedTokens'>>;
  forcedText: number[] | null;
}

interface ActiveRun {
  runId: string;
  gate: StepGate;
  caches: KvCache[];
  settled: Promise<unknown> | null;
}

export interface GenerateOptions {
  /** The run's id (a host that routes events by id names it before any event); default a fresh one. */
  runId?: string;
}

export class HamburgerEngine {
  private readonly active = new Map<string, ActiveRun>();
  /** Null when one generation runs at a time: nothing to share. */
  private readonly turns: TurnScheduler | null;
  /** Parts of the package being opened now (a load with `openOnDemand`), shared by the runs that wait for them. */
  private readonly opening = new Map<OnDemandPart, Promise<void>>();
  private runCount = 0;
  private disposed = false;

  private constructor(
    private readonly pkg: ModelPackage,
    private readonly shared: SharedDecoding,
    private readonly maxRuns: number,
    readonly info: ModelInfo,
  ) {
    this.turns = maxRuns > 1 ? new TurnScheduler() : null;
  }

  static async load(directory: string, options: LoadOptions = {}): Promise<HamburgerEngine> {
    const start = performance.now();
    const pkg = await loadModelPackage(directory, options);
    const maxRuns = options.runs ?? 1;
    let shared: SharedDecoding;
    try {
      throwIfCancelled(options.signal, pkg.directory);
      shared = await prepareDecoding(pkg, options);
    } catch (error) {
      await releaseModelPackage(pkg);
      throw error;
    }
    const m = pkg.manifest;
    const a = m.architecture;
    const info: ModelInfo = {
      name: m.name,
      description: m.description,
      directory: pkg.directory,
      architecture: {
        hiddenSize: a.hidden_size,
        numLayers: a.num_layers,
        numKvHeads: a.num_kv_heads,
        headDim: a.head_dim,
        vocabSize: a.vocab_size,
        maxPosition: a.max_position,
        microLayers: a.micro_layers,
        maxSteps: a.max_steps,
        featureLayers: [...a.feature_layers],
      },
      defaults: { confidence: m.defaults.confidence, maxNewTokens: Math.min(m.defaults.max_new_tokens, shared.context - 1) },
      limits: { context: shared.context, maxPromptTokens: shared.context - 1, maxNewTokens: shared.context - 1 },
      baseline: pkg.baseline === null ? 'hamburger-single-token' : 'baseline-graphs',
      embeddings: shared.tables.hamburger === null ? 'embed-graph' : 'js-table',
      loadMs: 0,
      weightsBytes: pkg.weightsBytes,
      weights: m.weights,
      threads: pkg.threads,
      provenance: m.provenance ?? null,
    };
    const engine = new HamburgerEngine(pkg, shared, maxRuns, info);
    try {
      throwIfCancelled(options.signal, pkg.directory);
      await engine.warmUp();
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    info.loadMs = performance.now() - start;
    return engine;
  }

  /** Every mode whose graphs are open, warmed (the others are when they open). */
  private async warmUp(): Promise<void> {
    const open = (['hamburger', 'baseline', 'verify'] as const).filter((mode) =>
      partsFor(this.pkg, needsOf({ mode, audit: false })).every((part) => isOpen(this.shared, part)),
    );
    await this.warm(open);
  }

  /**
   * One short run per mode: ONNX Runtime initialises lazily on first calls, which would
   * otherwise make the first generation's timings (and tokens/s) wrong. Warm-up runs are
   * nobody's: not counted among the engine's runs, and they take no turn of their own.
   */
  private async warm(modes: readonly Mode[]): Promise<void> {
    const tokens = this.info.architecture.maxSteps + 1;
    for (const mode of modes) {
      const request = { prompt: 'warm up', chatTemplate: false, mode, confidence: 0, maxNewTokens: tokens };
      await this.launch(request, () => undefined, `warm-up-${mode}`, null, false).done;
    }
  }

  /**
   * Opens what runs of this request need that the load left closed (`openOnDemand`: the
   * baseline's graphs, or the heads), and warms it; resolves at once when all is open. Bad
   * input throws as `generate` would. While it opens it holds a turn of its own, so the runs
   * under way wait instead of sharing the cores with it, and their timings stay their own.
   */
  async prepare(input: unknown, onProgress?: (progress: LoadProgress) => void): Promise<void> {
    const { request } = validateRequest(input, this.pkg.manifest, this.shared.context);
    for (const part of partsFor(this.pkg, needsOf(request))) {
      if (isOpen(this.shared, part)) continue;
      let opening = this.opening.get(part);
      if (opening === undefined) {
        opening = this.openAndWarm(part, onProgress).finally(() => this.opening.delete(part));
        this.opening.set(part, opening);
      }
      await opening;
    }
  }

  /** Told before the part opens (its first file, its bytes) and once it is open, before it warms up. */
  private async openAndWarm(part: OnDemandPart, onProgress?: (progress: LoadProgress) => void): Promise<void> {
    const turn = this.turns?.join() ?? null;
    await turn?.take();
    try {
      const { files, bytes } = (part === 'baseline' ? this.pkg.partFiles.baseline : null) ?? this.pkg.partFiles.heads;
      const directory = this.pkg.directory;
      onProgress?.({ directory, file: files[0]!, graphsDone: 0, graphsTotal: files.length, bytesDone: 0, bytesTotal: bytes });
      await openPart(this.shared, part);
      onProgress?.({ directory, file: null, graphsDone: files.length, graphsTotal: files.length, bytesDone: bytes, bytesTotal: bytes });
      await this.warm(part === 'baseline' ? ['baseline', 'verify'] : ['verify']);
    } finally {
      turn?.give(false);
    }
  }

  /** True while as many generations run as the load allows. */
  get busy(): boolean {
    return this.active.size >= this.maxRuns;
  }

  /** The prompt as the model sees it: through the chat template (default) or raw, then tokenized. */
  encodePrompt(prompt: string, chatTemplate = true): EncodedPrompt {
    const rendered = chatTemplate ? this.pkg.chatTemplate.renderUserPrompt(prompt) : prompt;
    return { rendered, tokenIds: this.pkg.tokenizer.encode(rendered) };
  }

  decode(tokenIds: readonly number[]): string {
    return this.pkg.tokenizer.decode(tokenIds);
  }

  /** One token's text on its own (special tokens as their content). */
  tokenText(tokenId: number): string {
    return this.pkg.tokenizer.tokenText(tokenId);
  }

  isSpecialToken(tokenId: number): boolean {
    return this.pkg.tokenizer.isSpecial(tokenId);
  }

  /**
   * Starts a generation. Bad input, or as many generations running as the load allows,
   * throws an EngineError here and changes nothing. Events arrive through `onEvent`,
   * starting with `started`.
   */
  generate(input: unknown, onEvent: (event: EngineEvent) => void, options: GenerateOptions = {}): RunHandle {
    const runId = this.claimRun(options);
    return this.launch(input, onEvent, runId, this.turns?.join() ?? null, true);
  }

  /**
   * Starts an analysis: a HAMburger run over a given text, each token forced to the text's
   * (docs/engine.md, "Analysing a text"). Events and handle as `generate`'s; the result
   * carries `analysis`. Bad input throws an EngineError here and changes nothing.
   */
  analyse(input: unknown, onEvent: (event: EngineEvent) => void, options: GenerateOptions = {}): RunHandle {
    if (this.disposed) throw new EngineError('no_model', 'the engine was disposed');
    const plan = planAnalysis(input, this.pkg, this.shared.context);
    const runId = this.claimRun(options);
    return this.start({ ...plan, forcedText: plan.textIds }, onEvent, runId, this.turns?.join() ?? null, true);
  }

  /** A new run's id; throws while as many generations run as the load allows. */
  private claimRun(options: GenerateOptions): string {
    if (this.busy) {
      const running = [...this.active.keys()].join(', ');
      throw new EngineError('busy', `${this.maxRuns === 1 ? 'a generation is' : `${this.maxRuns} generations are`} running (${running}); cancel one or wait for it to finish`, {
        limit: this.maxRuns === 1 ? 'one generation at a time per engine' : `${this.maxRuns} generations at a time per engine`,
      });
    }
    if (options.runId !== undefined && this.active.has(options.runId)) {
      throw new EngineError('invalid_request', `a generation named ${options.runId} is running`, { field: 'runId' });
    }
    this.runCount += 1;
    return options.runId ?? `run-${Date.now().toString(36)}-${this.runCount}`;
  }

  /** A run, counted among the engine's (`counted`) or not (a warm-up). */
  private launch(input: unknown, onEvent: (event: EngineEvent) => void, runId: string, turn: Turn | null, counted: boolean): RunHandle {
    if (this.disposed) throw new EngineError('no_model', 'the engine was disposed');
    const valid = validateRequest(input, this.pkg.manifest, this.shared.context);
    const { request } = valid;
    const { tokenizer, chatTemplate, manifest } = this.pkg;
    const arch = manifest.architecture;
    // The prompt, and a fork's or a conversation's earlier tokens before it (runContext.ts).
    const stopIds = new Set(stopIdsOf(manifest));
    const prompt = runContext(request, { tokenizer, chatTemplate, stopIds, vocabSize: arch.vocab_size, maxGroup: arch.max_steps, composesGroups: request.mode !== 'baseline' });
    checkPromptLength(prompt.tokenIds.length, this.shared.context);
    return this.start({ ...valid, prompt, forcedText: null }, onEvent, runId, turn, counted);
  }

  /** A checked request's run. */
  private start(plan: RunPlan, onEvent: (event: EngineEvent) => void, runId: string, turn: Turn | null, counted: boolean): RunHandle {
    const manifest = this.pkg.manifest;
    const { request, confidence, maxNewTokens, prompt, forcedText } = plan;
    const need = needsOf(request);
    const closed = partsFor(this.pkg, need).filter((part) => !isOpen(this.shared, part));
    if (closed.length > 0) {
      throw new EngineError('not_prepared', `a ${request.mode} run needs the ${closed.join(' and ')} graphs, which are not open yet: prepare the request first`);
    }
    const clock = new SessionClock();
    const parts = createRunDecoders(this.shared, need, clock);
    const decoders = parts.decoders;
    const vocabSize = decoders.architecture.vocab_size;
    let sampler: TokenSampler;
    let verification: RunVerification | null = null;
    const verifier = parts.verifier;
    if (request.mode === 'verify' && verifier !== null) {
      const speculation = createSpeculativeSampler(request.sampling, vocabSize, decoders.maxTokensPerStep);
      sampler = speculation;
      verification = { kind: 'verify', verifier, speculation };
    } else {
      sampler = createSampler(request.sampling, vocabSize, prompt.replayedTokens ?? 0);
      if (request.fork?.token !== undefined) sampler = new ForcedFirstToken(sampler, request.fork.token);
      if (request.audit && verifier !== null) verification = { kind: 'audit', verifier };
    }
    const settings: RunSettings = {
      mode: request.mode,
      decoder: decoders.kind,
      label: forcedText !== null ? 'HAMburger scoring a given text (analysis)' : runLabel(decoders.kind, verification === null ? null : { kind: verification.kind, verifier: verification.verifier.kind }),
      confidence,
      maxNewTokens,
      minNewTokens: request.minNewTokens,
      // A verify step emits the kept drafts plus the baseline's own token.
      maxTokensPerStep: request.mode === 'verify' ? decoders.maxTokensPerStep + 1 : decoders.maxTokensPerStep,
      sampling: request.sampling,
      chatTemplate: request.chatTemplate,
      audit: request.audit,
      ...(verification === null ? {} : { verifier: verification.verifier.kind }),
      ...(request.forcedGroupSizes === undefined ? {} : { forcedGroupSizes: request.forcedGroupSizes }),
      // Only HAMburger's groups have a convention: a baseline decoder puts each token at its own index.
      positionConvention: decoders.kind === 'hamburger' ? request.positionConvention : 'last_token',
      ...(forcedText === null ? {} : { analysis: true }),
    };
    const end = (): void => {
      turn?.give();
      if (this.active.get(runId) === active) this.active.delete(runId);
    };
    // The engine is free again before `finished` / `failed` reach the listener, so that a
    // listener may start the next generation from that event.
    const emit = (event: EngineEvent): void => {
      if (event.type === 'finished' || event.type === 'failed') end();
      onEvent(event);
    };
    const gate = new StepGate(request.startPaused, (state) => emit({ type: 'state', runId, state }), turn);
    const active: ActiveRun = { runId, gate, caches: parts.caches, settled: null };
    if (counted) this.active.set(runId, active);
    const generation = new Generation({
      runId,
      modelName: manifest.name,
      settings,
      prompt: { text: request.prompt, rendered: prompt.rendered, tokenIds: prompt.tokenIds },
      ...(prompt.history === undefined || prompt.calls === undefined ? {} : { context: { history: prompt.history, calls: prompt.calls } }),
      stopIds: new Set(stopIdsOf(manifest)),
      decoders,
      tokenizer: this.pkg.tokenizer,
      sampler,
      verification,
      forcedText,
      gate,
      startPaused: request.startPaused,
      clock,
      kvBytes: () => bytesOf(parts.caches),
      emit,
    });
    const done = generation
      .run()
      .catch((error: unknown) => {
        const info = toErrorInfo(error);
        emit({ type: 'failed', runId, error: info });
        throw error instanceof EngineError ? error : new EngineError(info.code, info.message, { cause: error });
      })
      .finally(end);
    // The caller may never await `done`; a failure is already reported as a `failed` event.
    active.settled = done.catch(() => undefined);
    return { runId, done };
  }

  /** Bytes of KV rows written and held, over the caches of every generation running now. */
  kvBytes(): { used: number; reserved: number } {
    return bytesOf([...this.active.values()].flatMap((run) => run.caches));
  }

  /** Pause, resume, step or cancel a running generation (`runId` may be left out while only one runs). */
  control(action: unknown, runId?: string): void {
    const parsed = controlActionSchema.safeParse(action);
    if (!parsed.success) throw new EngineError('invalid_request', parsed.error.issues[0]?.message ?? 'bad control action', { field: 'action' });
    const active = runId === undefined ? (this.active.size === 1 ? [...this.active.values()][0] : undefined) : this.active.get(runId);
    if (active === undefined) {
      if (runId !== undefined) throw new EngineError('no_run', `generation ${runId} is not running`);
      throw new EngineError('no_run', this.active.size === 0 ? 'no generation is running' : `${this.active.size} generations are running; name the one to control`, { field: 'runId' });
    }
    active.gate.control(parsed.data satisfies ControlAction);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const running = [...this.active.values()];
    for (const run of running) run.gate.control('cancel');
    await Promise.all(running.map((run) => run.settled));
    await releaseModelPackage(this.pkg);
  }
}

function bytesOf(caches: readonly KvCache[]): { used: number; reserved: number } {
  let used = 0;
  let reserved = 0;
  for (const cache of caches) {
    used += cache.usedBytes;
    reserved += cache.reservedBytes;
  }
  return { used, reserved };
}

/** What a run's settings call it: the decoder, and the baseline's part in audited and verify runs. */
function runLabel(kind: RunSettings['decoder'], checked: { kind: RunVerification['kind']; verifier: Verifier } | null): string {
  if (checked === null) return labelFor(kind);
  return checked.kind === 'verify' ? `HAMburger drafts, verified by ${labelFor(checked.verifier)}` : `HAMburger, audited by ${labelFor(checked.verifier)}`;
}

export function labelFor(kind: RunSettings['decoder']): string {
  switch (kind) {
    case 'hamburger':
      return 'HAMburger';
    case 'baseline-graphs':
      return 'baseline (next-token SFT graphs)';
    case 'hamburger-single-token':
      return 'baseline (HAMburger graphs forced to one token per step; no baseline in this package)';
  }
}

function needsOf(request: { mode: Mode; audit: boolean }): RunNeeds {
  return { decoder: request.mode === 'baseline' ? 'baseline' : 'hamburger', verifier: request.mode === 'verify' || request.audit };
}
