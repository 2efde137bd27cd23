// The app's engine as one service, shared by both app hosts (the Electron main process and
// the browser-mode server): validates every call from a UI, runs it on the named lane (every
// lane runs on one shared engine: host/sharedEngine.ts), and fans the lanes' events out as
// LaneEvents. Transport-free: hosts only carry messages.
//
// Every call names its client (one window: a WebSocket, an Electron webContents). A run
// belongs to the client that started it; only that client controls it, and `releaseClient`
// cancels what a client leaves behind when it goes away.
import path from 'node:path';
import type { LoadProgress, ModelInfo } from '../engine/api.js';
import type { HostReplies, LaneEvent } from './protocol.js';
import { EngineError } from '../engine/errors.js';
import { defaultKvBudgetBytes } from '../engine/memoryBudget.js';
import { SharedEngine, type ModelSpec } from './sharedEngine.js';
import { parseHostCall } from './hostCall.js';
import { isInsideRoots } from './modelRoots.js';

/** A model load still running after this long is stopped (a 1B package loads in well under a minute). */
export const DEFAULT_LOAD_TIMEOUT_MS = 5 * 60_000;

export interface HostSessionOptions {
  defaultModelDirectory: string;
  /** The engine worker's entry (a bundled app's); undefined = the engine's TypeScript sources. */
  workerUrl?: URL;
  /** onnxruntime threads of the engine's sessions; undefined = the engine's default. */
  threads?: number;
  /** Default DEFAULT_LOAD_TIMEOUT_MS. */
  loadTimeoutMs?: number;
  /**
   * When set, `loadModel` accepts only folders inside these (after resolving symlinks): the
   * browser mode sets it when other machines may connect, so a remote client cannot make
   * the engine read arbitrary paths.
   */
  modelRoots?: readonly string[];
}

type Listener<T> = (value: T) => void;

export class HostSession {
  private readonly engine: SharedEngine;
  private readonly eventListeners = new Set<Listener<LaneEvent>>();
  private readonly modelListeners = new Set<Listener<ModelInfo | null>>();
  private readonly progressListeners = new Set<Listener<LoadProgress>>();
  private model: ModelInfo | null = null;
  private modelSpec: ModelSpec;

  constructor(private readonly options: HostSessionOptions) {
    this.modelSpec = { directory: options.defaultModelDirectory, context: undefined };
    this.engine = new SharedEngine({
      workerUrl: options.workerUrl,
      threads: options.threads,
      loadTimeoutMs: options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
      kvBudgetBytes: defaultKvBudgetBytes(),
      onEvent: (event) => {
        for (const listener of this.eventListeners) listener(event);
      },
      onLoadProgress: (progress) => {
        for (const listener of this.progressListeners) listener(progress);
      },
    });
  }

  get currentModel(): ModelInfo | null {
    return this.model;
  }

  onEvent(listener: Listener<LaneEvent>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onModel(listener: Listener<ModelInfo | null>): () => void {
    this.modelListeners.add(listener);
    return () => this.modelListeners.delete(listener);
  }

  /** Progress of the model loads. */
  onLoadProgress(listener: Listener<LoadProgress>): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /**
   * Runs one call from a UI. `raw` is untrusted: anything that is not a HostCall rejects with
   * an `invalid_request` EngineError naming the field; engine failures reject with theirs.
   */
  async call(raw: unknown, client: string): Promise<HostReplies[keyof HostReplies]> {
    const call = parseHostCall(raw);
    switch (call.method) {
      case 'currentModel':
        return this.model;
      case 'loadModel':
        return this.loadModel(call.directory, call.context);
      case 'cancelLoad':
        await this.engine.cancelLoad();
        return null;
      case 'encode':
        return this.engine.encode(await this.modelInUse(), call.prompt, call.chatTemplate);
      case 'generate':
        return this.engine.generate(await this.modelInUse(), call.lane, call.request, client);
      case 'control':
        return this.engine.control(call.lane, call.action, client);
      case 'analyse':
        return this.engine.analyse(await this.modelInUse(), call.lane, call.request, client);
    }
  }

  /** Cancels the runs `client` started (it went away: nobody would see their events); never throws. */
  async releaseClient(client: string): Promise<void> {
    await this.engine.releaseClient(client);
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  /**
   * Loads a package (null: the shipped one) with a context (undefined: the package's
   * default) for every lane. A failed load leaves the current model in place.
   */
  async loadModel(requested: string | null, context?: number): Promise<ModelInfo> {
    const directory = requested === null ? this.options.defaultModelDirectory : path.resolve(requested);
    if (requested !== null && this.options.modelRoots !== undefined && !(await isInsideRoots(directory, this.options.modelRoots))) {
      throw new EngineError('model_not_allowed', `${directory} is outside the folders this server may load models from`, {
        field: 'directory',
        limit: `a folder inside ${this.options.modelRoots.join(', ')}`,
      });
    }
    // Asked for by a user: folders that failed before get another try.
    this.engine.forgetFailures();
    return this.load({ directory, context });
  }

  private async load(spec: ModelSpec): Promise<ModelInfo> {
    const info = await this.engine.ensureModel(spec);
    this.modelSpec = spec;
    this.model = info;
    for (const listener of this.modelListeners) listener(info);
    return info;
  }

  /**
   * The current model. Before any model is loaded, the shipped one is loaded once; if that
   * failed, calls answer its error until a user loads a model.
   */
  private async modelInUse(): Promise<ModelSpec> {
    if (this.model === null) {
      try {
        await this.load(this.modelSpec);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new EngineError('no_model', `no model is loaded (${reason}); load a model package`);
      }
    }
    return this.modelSpec;
  }
}
