// The engine: one loaded model package, one generation at a time, controlled while it runs.
// Usable from any thread; session.run blocks the thread it runs on, so hosts run it in a
// worker (engine/worker/).
import {
  type ControlAction,
  type EngineEvent,
  type GenerationResult,
  type ModelInfo,
  type RunSettings,
  type Verifier,
  controlActionSchema,
} from './api.js';
import { createDecoderSets, type DecoderSets } from './decoderSet.js';
import { EngineError, toErrorInfo } from './errors.js';
import { Generation, type RunVerification } from './generation.js';
import { stopIdsOf } from './manifest.js';
import { loadModelPackage, releaseModelPackage, throwIfCancelled, type LoadOptions, type ModelPackage } from './modelPackage.js';
import { checkPromptLength, validateRequest } from './requestValidation.js';
import { createSpeculativeSampler } from './sampling/speculativeSampler.js';
import { createSampler, type TokenSampler } from './sampling/tokenSampler.js';
import { StepGate } from './stepGate.js';

export interface RunHandle {
  runId: string;
  /** Resolves with the result (also for a cancelled run); rejects with an EngineError if the run failed. */
  done: Promise<GenerationResult>;
}

export interface EncodedPrompt {
  rendered: string;
  tokenIds: number[];
}

interface ActiveRun {
  runId: string;
  gate: StepGate;
  settled: Promise<unknown> | null;
}

export class HamburgerEngine {
  private active: ActiveRun | null = null;
  private runCount = 0;
  private disposed = false;

  private constructor(
    private readonly pkg: ModelPackage,
    private readonly decoders: DecoderSets,
    readonly info: ModelInfo,
  ) {}

  static async load(directory: string, options: LoadOptions = {}): Promise<HamburgerEngine> {
    const start = performance.now();
    const pkg = await loadModelPackage(directory, options);
    let decoders: DecoderSets;
    try {
      throwIfCancelled(options.signal, pkg.directory);
      decoders = await createDecoderSets(pkg, options);
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
      defaults: { confidence: m.defaults.confidence, maxNewTokens: Math.min(m.defaults.max_new_tokens, decoders.hamburger.context - 1) },
      limits: { context: decoders.hamburger.context, maxPromptTokens: decoders.hamburger.context - 1, maxNewTokens: decoders.hamburger.context - 1 },
      baseline: pkg.baseline === null ? 'hamburger-single-token' : 'baseline-graphs',
      embeddings: decoders.hamburger.embedder.source,
      loadMs: 0,
      weightsBytes: pkg.weightsBytes,
      weights: m.weights,
      threads: pkg.threads,
      provenance: m.provenance ?? null,
    };
    const engine = new HamburgerEngine(pkg, decoders, info);
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

  /**
   * One short run per mode through every graph: ONNX Runtime initialises lazily on first
   * calls, which would otherwise make the first generation's timings (and tokens/s) wrong.
   */
  private async warmUp(): Promise<void> {
    const tokens = this.info.architecture.maxSteps + 1;
    for (const mode of ['hamburger', 'baseline', 'verify'] as const) {
      await this.generate({ prompt: 'warm up', chatTemplate: false, mode, confidence: 0, maxNewTokens: tokens }, () => undefined).done;
    }
  }

  get busy(): boolean {
    return this.active !== null;
  }

  get runId(): string | null {
    return this.active?.runId ?? null;
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
   * Starts a generation. Bad input, or a generation already running, throws an EngineError
   * here and changes nothing. Events arrive through `onEvent`, starting with `started`.
   */
  generate(input: unknown, onEvent: (event: EngineEvent) => void): RunHandle {
    if (this.disposed) throw new EngineError('no_model', 'the engine was disposed');
    if (this.active !== null) {
      throw new EngineError('busy', `a generation (${this.active.runId}) is running; cancel it or wait for it to finish`, {
        limit: 'one generation at a time per engine',
      });
    }
    const manifest = this.pkg.manifest;
    const context = this.decoders.hamburger.context;
    const { request, confidence, maxNewTokens } = validateRequest(input, manifest, context);
    const prompt = this.encodePrompt(request.prompt, request.chatTemplate);
    checkPromptLength(prompt.tokenIds.length, context);

    const decoders = request.mode === 'baseline' ? this.decoders.baseline : this.decoders.hamburger;
    const verifier = this.decoders.verifier;
    const vocabSize = decoders.architecture.vocab_size;
    let sampler: TokenSampler;
    let verification: RunVerification | null = null;
    if (request.mode === 'verify') {
      const speculation = createSpeculativeSampler(request.sampling, vocabSize, decoders.maxTokensPerStep);
      sampler = speculation;
      verification = { kind: 'verify', verifier, speculation };
    } else {
      sampler = createSampler(request.sampling, vocabSize);
      if (request.audit) verification = { kind: 'audit', verifier };
    }
    const settings: RunSettings = {
      mode: request.mode,
      decoder: decoders.kind,
      label: runLabel(decoders.kind, verification === null ? null : { kind: verification.kind, verifier: verifier.kind }),
      confidence,
      maxNewTokens,
      minNewTokens: request.minNewTokens,
      // A verify step emits the kept drafts plus the baseline's own token.
      maxTokensPerStep: request.mode === 'verify' ? decoders.maxTokensPerStep + 1 : decoders.maxTokensPerStep,
      sampling: request.sampling,
      chatTemplate: request.chatTemplate,
      audit: request.audit,
      ...(verification === null ? {} : { verifier: verifier.kind }),
      ...(request.forcedGroupSizes === undefined ? {} : { forcedGroupSizes: request.forcedGroupSizes }),
    };
    this.runCount += 1;
    const runId = `run-${Date.now().toString(36)}-${this.runCount}`;
    // The engine is free again before `finished` / `failed` reach the listener, so that a
    // listener may start the next generation from that event.
    const emit = (event: EngineEvent): void => {
      if ((event.type === 'finished' || event.type === 'failed') && this.active?.runId === runId) this.active = null;
      onEvent(event);
    };
    const gate = new StepGate(request.startPaused, (state) => emit({ type: 'state', runId, state }));
    const active: ActiveRun = { runId, gate, settled: null };
    this.active = active;
    // Rows another mode's last run left in its caches are not this run's: its memory figures count its own.
    for (const cache of this.decoders.caches) cache.reset();
    const generation = new Generation({
      runId,
      modelName: manifest.name,
      settings,
      prompt: { text: request.prompt, rendered: prompt.rendered, tokenIds: prompt.tokenIds },
      stopIds: new Set(stopIdsOf(manifest)),
      decoders,
      tokenizer: this.pkg.tokenizer,
      sampler,
      verification,
      gate,
      startPaused: request.startPaused,
      clock: this.pkg.clock,
      kvBytes: () => this.kvBytes(),
      emit,
    });
    const done = generation
      .run()
      .catch((error: unknown) => {
        const info = toErrorInfo(error);
        emit({ type: 'failed', runId, error: info });
        throw error instanceof EngineError ? error : new EngineError(info.code, info.message, { cause: error });
      })
      .finally(() => {
        if (this.active?.runId === runId) this.active = null;
      });
    // The caller may never await `done`; a failure is already reported as a `failed` event.
    active.settled = done.catch(() => undefined);
    return { runId, done };
  }

  /** Bytes of KV rows written and held, over every cache of this engine. */
  kvBytes(): { used: number; reserved: number } {
    let used = 0;
    let reserved = 0;
    for (const cache of this.decoders.caches) {
      used += cache.usedBytes;
      reserved += cache.reservedBytes;
    }
    return { used, reserved };
  }

  /** Pause, resume, step or cancel the running generation. */
  control(action: unknown, runId?: string): void {
    const parsed = controlActionSchema.safeParse(action);
    if (!parsed.success) throw new EngineError('invalid_request', parsed.error.issues[0]?.message ?? 'bad control action', { field: 'action' });
    const active = this.active;
    if (active === null || (runId !== undefined && runId !== active.runId)) {
      throw new EngineError('no_run', runId === undefined ? 'no generation is running' : `generation ${runId} is not running`);
    }
    active.gate.control(parsed.data satisfies ControlAction);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const active = this.active;
    if (active !== null) {
      active.gate.control('cancel');
      await active.settled;
    }
    await releaseModelPackage(this.pkg);
  }
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
