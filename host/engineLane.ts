// One lane of the app: an engine in its own worker thread, loaded lazily with the session's
// current model. Lanes run at once (the race), so each needs its own engine and thread.
//
// Loads run one at a time per lane, and one already queued for the same folder is shared,
// so a burst of calls cannot stack up models in one worker. A failed load leaves the
// worker's previous model in place and is remembered: calls for that folder answer the same
// error instead of loading again, until the session asks for a load (`forgetFailures`).
// Each run belongs to the client (a window) that started it: only it may control the run.
import type { ControlAction, EncodedPromptInfo, EngineEvent, GenerateRequestInput, LoadProgress, ModelInfo } from '../engine/api.js';
import { EngineError } from '../engine/errors.js';
import { EngineHost } from '../engine/worker/engineHost.js';

export interface EngineLaneOptions {
  /** Shown in errors ("lane race-0"). */
  name: string;
  /** The engine worker's entry; undefined = the engine host's default (its TypeScript sources). */
  workerUrl: URL | undefined;
  /** onnxruntime threads for this lane's sessions; undefined = the engine's default. */
  threads: number | undefined;
  /** A load still running after this long is stopped (`load_timeout`). */
  loadTimeoutMs: number;
  /** Most bytes this lane's KV caches may take. */
  kvBudgetBytes: number;
  onEvent: (event: EngineEvent) => void;
  onLoadProgress: (progress: LoadProgress) => void;
}

/** What a lane loads: a package folder, and the context asked for (undefined: the package's default). */
export interface ModelSpec {
  directory: string;
  context: number | undefined;
}

function specKey(spec: ModelSpec): string {
  return `${spec.directory}\u0000${spec.context ?? ''}`;
}

function sameSpec(a: ModelSpec | undefined, b: ModelSpec): boolean {
  return a !== undefined && specKey(a) === specKey(b);
}

interface LaneRun {
  /** The client that started it. */
  owner: string;
  /** Null until the engine's reply names it. */
  runId: string | null;
}

export class EngineLane {
  private host: EngineHost | null = null;
  /** What the worker holds now. */
  private loaded: { spec: ModelSpec; info: ModelInfo } | null = null;
  /** The last load queued, while it runs or waits. */
  private queued: { spec: ModelSpec; promise: Promise<ModelInfo> } | null = null;
  private queueTail: Promise<unknown> = Promise.resolve();
  private readonly failures = new Map<string, EngineError>();
  private run: LaneRun | null = null;

  constructor(private readonly options: EngineLaneOptions) {}

  /** True between a generate and its finished/failed event. */
  get busy(): boolean {
    return this.run !== null;
  }

  /** Loads `spec` unless it is what this lane already runs. */
  ensureModel(spec: ModelSpec): Promise<ModelInfo> {
    if (this.queued !== null && sameSpec(this.queued.spec, spec)) return this.queued.promise;
    if (this.queued === null && sameSpec(this.loaded?.spec, spec) && this.host?.alive === true) return Promise.resolve(this.loaded!.info);
    const failure = this.failures.get(specKey(spec));
    if (failure !== undefined) return Promise.reject(failure);
    const promise = this.queueTail.then(() => this.load(spec));
    const entry = { spec, promise };
    this.queued = entry;
    this.queueTail = promise.catch(() => undefined);
    void this.queueTail.then(() => {
      if (this.queued === entry) this.queued = null;
    });
    return promise;
  }

  /** Stops the load running now, if any (it fails with `load_cancelled`; the lane keeps its model). */
  async cancelLoad(): Promise<void> {
    if (this.queued !== null && this.host?.alive === true) await this.host.cancelLoad();
  }

  /** Lets the next call try folders whose load failed before (the user asked for a load). */
  forgetFailures(): void {
    this.failures.clear();
  }

  async encode(model: ModelSpec, prompt: string, chatTemplate: boolean): Promise<EncodedPromptInfo> {
    await this.ensureModel(model);
    return this.liveHost().encode(prompt, chatTemplate);
  }

  /** `request` goes to the engine unchecked: the engine validates it and names the field at fault. */
  async generate(model: ModelSpec, request: unknown, owner: string): Promise<{ runId: string }> {
    await this.ensureModel(model);
    if (this.run !== null) {
      throw new EngineError('busy', `${this.options.name} is running a generation; cancel it or wait for it to finish`, {
        limit: 'one generation at a time per lane',
      });
    }
    // Set before the call: the run's first events, even its last, can arrive before the reply.
    const run: LaneRun = { owner, runId: null };
    this.run = run;
    try {
      const started = await this.liveHost().generate(request as GenerateRequestInput);
      run.runId = started.runId;
      return started;
    } catch (error) {
      if (this.run === run) this.run = null;
      throw error;
    }
  }

  control(action: ControlAction, client: string): Promise<null> {
    const run = this.run;
    if (run === null || this.host === null) return Promise.reject(new EngineError('no_run', `no generation is running in ${this.options.name}`));
    if (run.owner !== client) {
      return Promise.reject(
        new EngineError('not_owner', `the generation in ${this.options.name} was started by another window; only that window can pause, step or cancel it`),
      );
    }
    return this.host.control(action, run.runId ?? undefined);
  }

  /** Cancels this client's running generation, if any; never throws. */
  async releaseClient(client: string): Promise<void> {
    if (this.run?.owner === client) await this.control('cancel', client).catch(() => null);
  }

  async close(): Promise<void> {
    const host = this.host;
    this.host = null;
    this.loaded = null;
    this.run = null;
    await host?.close();
  }

  private async load(spec: ModelSpec): Promise<ModelInfo> {
    if (sameSpec(this.loaded?.spec, spec) && this.host?.alive === true) return this.loaded!.info;
    try {
      const { threads, loadTimeoutMs: timeoutMs, kvBudgetBytes, onLoadProgress: onProgress } = this.options;
      const info = await this.liveHost().load(spec.directory, { threads, timeoutMs, kvBudgetBytes, context: spec.context, onProgress });
      this.loaded = { spec, info };
      return info;
    } catch (error) {
      const failure = error instanceof EngineError ? error : new EngineError('internal', String(error));
      // A load stopped by its time limit or by the user is not the folder's fault: try again when asked.
      if (failure.code !== 'load_timeout' && failure.code !== 'load_cancelled') this.failures.set(specKey(spec), failure);
      throw failure;
    }
  }

  /** The lane's worker, started afresh when the last one died (its model and run went with it). */
  private liveHost(): EngineHost {
    if (this.host === null || !this.host.alive) {
      this.loaded = null;
      this.run = null;
      const host = new EngineHost(this.options.workerUrl === undefined ? {} : { workerUrl: this.options.workerUrl });
      host.onEvent((event) => {
        if ((event.type === 'finished' || event.type === 'failed') && this.host === host) this.run = null;
        this.options.onEvent(event);
      });
      this.host = host;
    }
    return this.host;
  }
}
