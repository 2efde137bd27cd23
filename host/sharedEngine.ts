// The app's engine: one worker thread holding one model, on which every lane (the
// playground and the race lanes) runs its generations. The lanes share the model's ONNX
// sessions, so its weights are in memory once, and take turns step by step (the engine's
// turn scheduler: one computes at a time, the one that has computed least goes next), each
// run with KV caches of its own. One run per lane at a time. The baseline's graphs open
// when a run first needs them (a baseline, verify or audited run), so a model used for
// HAMburger runs alone holds one model's weights.
//
// Loads run one at a time, and one already queued for the same folder is shared, so a burst
// of calls cannot stack up models in the worker. A failed load leaves the worker's previous
// model in place and is remembered: calls for that folder answer the same error instead of
// loading again, until the session asks for a load (`forgetFailures`). Each run belongs to
// the client (a window) that started it: only it may control the run.
import type { AnalyseRequestInput, ControlAction, EncodedPromptInfo, GenerateRequestInput, LoadProgress, ModelInfo } from '../engine/api.js';
import type { LaneEvent, LaneId } from './protocol.js';
import { LANE_IDS } from './protocol.js';
import { EngineError } from '../engine/errors.js';
import { EngineHost } from '../engine/worker/engineHost.js';

export interface SharedEngineOptions {
  /** The engine worker's entry; undefined = the engine host's default (its TypeScript sources). */
  workerUrl: URL | undefined;
  /** onnxruntime threads for the sessions; undefined = the engine's default. */
  threads: number | undefined;
  /** A load still running after this long is stopped (`load_timeout`). */
  loadTimeoutMs: number;
  /** Most bytes the KV caches of every lane's run together may take. */
  kvBudgetBytes: number;
  onEvent: (event: LaneEvent) => void;
  /** Model loads, and the opening of graphs a run needs first (the baseline's, on its first use). */
  onLoadProgress: (progress: LoadProgress) => void;
}

/** What the engine loads: a package folder, and the context asked for (undefined: the package's default). */
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
  runId: string;
}

export class SharedEngine {
  private host: EngineHost | null = null;
  /** What the worker holds now. */
  private loaded: { spec: ModelSpec; info: ModelInfo } | null = null;
  /** The last load queued, while it runs or waits. */
  private queued: { spec: ModelSpec; promise: Promise<ModelInfo> } | null = null;
  private queueTail: Promise<unknown> = Promise.resolve();
  private readonly failures = new Map<string, EngineError>();
  private readonly runs = new Map<LaneId, LaneRun>();
  private runCount = 0;

  constructor(private readonly options: SharedEngineOptions) {}

  /** True between a generate on `lane` and its finished/failed event. */
  busy(lane: LaneId): boolean {
    return this.runs.has(lane);
  }

  /** Loads `spec` unless it is what the engine already runs. */
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

  /** Stops the load running now, if any (it fails with `load_cancelled`; the engine keeps its model). */
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
  generate(model: ModelSpec, lane: LaneId, request: unknown, owner: string): Promise<{ runId: string }> {
    return this.startRun(model, lane, owner, (host, runId) => host.generate(request as GenerateRequestInput, runId, this.options.onLoadProgress));
  }

  /** An analysis on `lane`: a run like a generation's (same lane rules and events); the engine validates `request`. */
  analyse(model: ModelSpec, lane: LaneId, request: unknown, owner: string): Promise<{ runId: string }> {
    return this.startRun(model, lane, owner, (host, runId) => host.analyse(request as AnalyseRequestInput, runId));
  }

  private async startRun(model: ModelSpec, lane: LaneId, owner: string, start: (host: EngineHost, runId: string) => Promise<{ runId: string }>): Promise<{ runId: string }> {
    await this.ensureModel(model);
    if (this.runs.has(lane)) {
      throw new EngineError('busy', `lane ${lane} is running a generation; cancel it or wait for it to finish`, {
        limit: 'one generation at a time per lane',
      });
    }
    this.runCount += 1;
    const run: LaneRun = { owner, runId: `${lane}-${Date.now().toString(36)}-${this.runCount}` };
    // Set before the call: the run's first events, even its last, arrive before the reply.
    this.runs.set(lane, run);
    try {
      return await start(this.liveHost(), run.runId);
    } catch (error) {
      if (this.runs.get(lane) === run) this.runs.delete(lane);
      throw error;
    }
  }

  control(lane: LaneId, action: ControlAction, client: string): Promise<null> {
    const run = this.runs.get(lane);
    if (run === undefined || this.host === null) return Promise.reject(new EngineError('no_run', `no generation is running in lane ${lane}`));
    if (run.owner !== client) {
      return Promise.reject(
        new EngineError('not_owner', `the generation in lane ${lane} was started by another window; only that window can pause, step or cancel it`),
      );
    }
    return this.host.control(action, run.runId);
  }

  /** Cancels the runs `client` started, if any; never throws. */
  async releaseClient(client: string): Promise<void> {
    const owned = LANE_IDS.filter((lane) => this.runs.get(lane)?.owner === client);
    await Promise.all(owned.map((lane) => this.control(lane, 'cancel', client).catch(() => null)));
  }

  async close(): Promise<void> {
    const host = this.host;
    this.host = null;
    this.loaded = null;
    this.runs.clear();
    await host?.close();
  }

  private async load(spec: ModelSpec): Promise<ModelInfo> {
    if (sameSpec(this.loaded?.spec, spec) && this.host?.alive === true) return this.loaded!.info;
    try {
      const { threads, loadTimeoutMs: timeoutMs, kvBudgetBytes, onLoadProgress: onProgress } = this.options;
      const info = await this.liveHost().load(spec.directory, { threads, timeoutMs, kvBudgetBytes, context: spec.context, runs: LANE_IDS.length, openOnDemand: true, onProgress });
      this.loaded = { spec, info };
      return info;
    } catch (error) {
      const failure = error instanceof EngineError ? error : new EngineError('internal', String(error));
      // A load stopped by its time limit or by the user is not the folder's fault: try again when asked.
      if (failure.code !== 'load_timeout' && failure.code !== 'load_cancelled') this.failures.set(specKey(spec), failure);
      throw failure;
    }
  }

  private laneOf(runId: string): LaneId | undefined {
    return LANE_IDS.find((lane) => this.runs.get(lane)?.runId === runId);
  }

  /** The engine's worker, started afresh when the last one died (its model and runs went with it). */
  private liveHost(): EngineHost {
    if (this.host === null || !this.host.alive) {
      this.loaded = null;
      this.runs.clear();
      const host = new EngineHost(this.options.workerUrl === undefined ? {} : { workerUrl: this.options.workerUrl });
      host.onEvent((event) => {
        if (this.host !== host) return;
        const lane = this.laneOf(event.runId);
        if (lane === undefined) return;
        if (event.type === 'finished' || event.type === 'failed') this.runs.delete(lane);
        this.options.onEvent({ lane, event });
      });
      this.host = host;
    }
    return this.host;
  }
}
