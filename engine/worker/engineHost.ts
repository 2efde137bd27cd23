// Host side: runs the engine in a worker thread (session.run blocks its thread, so never on
// a main or UI thread) and exposes it as typed async methods plus an event stream.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AnalyseRequestInput, ControlAction, EncodedPromptInfo, EngineEvent, GenerateRequestInput, LoadProgress, ModelInfo, Trace } from '../api.js';
import { EngineError } from '../errors.js';
import { workerMessageSchema, type HostRequest, type ReplyValues } from './protocol.js';

export interface EngineHostOptions {
  /** The worker entry; defaults to engineWorker.ts beside this file (a bundled app passes its built .js). */
  workerUrl?: URL;
}

export interface HostLoadOptions {
  /** onnxruntime intra-op threads; undefined = the engine's default. */
  threads?: number;
  /** Most bytes the engine's KV caches may grow to; undefined = the engine's default. */
  kvBudgetBytes?: number;
  /** Positions runs may use; undefined = the package's max_position as far as memory allows. */
  context?: number;
  /** Generations that may run at once, sharing the model; undefined = one. */
  runs?: number;
  /** Open the baseline's graphs (and the heads) when a run first needs them, not at load. */
  openOnDemand?: boolean;
  onProgress?: (progress: LoadProgress) => void;
  /**
   * A load still running after this long is given up: the worker is stopped (whatever it
   * was doing, a read that never returns included) and the call fails with `load_timeout`.
   */
  timeoutMs?: number;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: EngineError) => void };
type RequestBody = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;

/** tsx's ES-module register API (require.resolve would give its CommonJS build). */
function tsxEsmApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = manifest.exports['./esm/api']?.import.default;
  if (entry === undefined) throw new Error('tsx has no ./esm/api export');
  return pathToFileURL(path.join(path.dirname(manifestPath), entry)).href;
}

/**
 * The module a worker starts from. A .ts entry (development, tests, the CLI) is wrapped in
 * a small ES module that registers tsx's loader in the worker first: Node 20 does not apply
 * `--import` loader hooks to a worker's own entry point.
 */
function workerModule(entry: URL): URL {
  if (!entry.pathname.endsWith('.ts')) return entry;
  const tsxApi = tsxEsmApiUrl();
  const code = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class EngineHost {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly progressListeners = new Map<number, (progress: LoadProgress) => void>();
  private nextId = 1;
  private exited: EngineError | null = null;

  constructor(options: EngineHostOptions = {}) {
    const entry = options.workerUrl ?? new URL('./engineWorker.ts', import.meta.url);
    this.worker = new Worker(workerModule(entry));
    this.worker.on('message', (raw: unknown) => this.receive(raw));
    this.worker.on('error', (error) => this.fail(new EngineError('internal', `engine worker crashed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => this.fail(new EngineError('internal', `engine worker exited (code ${code})`)));
  }

  /** Subscribes to every engine event; returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** False once the worker has crashed, exited or been stopped: every call then fails. */
  get alive(): boolean {
    return this.exited === null;
  }

  load(directory: string, options: HostLoadOptions = {}): Promise<ModelInfo> {
    const { timeoutMs, onProgress, ...engineOptions } = options;
    const loading = this.call<'load'>({ kind: 'load', directory, ...engineOptions }, onProgress);
    if (timeoutMs === undefined) return loading;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new EngineError('load_timeout', `loading ${directory} took longer than ${timeoutMs} ms; the load was stopped`, {
          limit: `<= ${timeoutMs} ms per load`,
        });
        this.stop(error);
        reject(error);
      }, timeoutMs);
    });
    return Promise.race([loading, deadline]).finally(() => clearTimeout(timer));
  }

  /**
   * `runId` names the run (its events carry it, the first before this call answers); default
   * the engine's own name. `onProgress` hears the opening of graphs the run needs that the
   * load left closed (`openOnDemand`).
   */
  generate(request: GenerateRequestInput, runId?: string, onProgress?: (progress: LoadProgress) => void): Promise<{ runId: string }> {
    return this.call<'generate'>(runId === undefined ? { kind: 'generate', request } : { kind: 'generate', request, runId }, onProgress);
  }

  /** An analysis (HamburgerEngine.analyse): a run like `generate`'s, named and reported the same way. */
  analyse(request: AnalyseRequestInput, runId?: string): Promise<{ runId: string }> {
    return this.call<'analyse'>(runId === undefined ? { kind: 'analyse', request } : { kind: 'analyse', request, runId });
  }

  control(action: ControlAction, runId?: string): Promise<null> {
    return this.call<'control'>(runId === undefined ? { kind: 'control', action } : { kind: 'control', action, runId });
  }

  trace(runId: string): Promise<Trace | null> {
    return this.call<'trace'>({ kind: 'trace', runId });
  }

  encode(prompt: string, chatTemplate = true): Promise<EncodedPromptInfo> {
    return this.call<'encode'>({ kind: 'encode', prompt, chatTemplate });
  }

  /** Stops the loads running now (they answer `load_cancelled`); the model loaded before stays. */
  cancelLoad(): Promise<null> {
    return this.call<'cancelLoad'>({ kind: 'cancelLoad' });
  }

  /** Frees the model and stops the worker. */
  async close(): Promise<void> {
    if (this.exited === null) {
      await this.call<'dispose'>({ kind: 'dispose' }).catch(() => null);
      await this.worker.terminate();
    }
  }

  private call<K extends keyof ReplyValues>(body: RequestBody & { kind: K }, onProgress?: (progress: LoadProgress) => void): Promise<ReplyValues[K]> {
    if (this.exited !== null) return Promise.reject(this.exited);
    const id = this.nextId++;
    if (onProgress !== undefined) this.progressListeners.set(id, onProgress);
    return new Promise<ReplyValues[K]>((resolve, reject) => {
      try {
        this.worker.postMessage({ ...body, id });
      } catch (cause) {
        // Structured clone refused the payload (a function, a cycle it cannot copy, too deep):
        // nothing was sent, so nothing will answer.
        const reason = cause instanceof Error ? cause.message : String(cause);
        this.progressListeners.delete(id);
        reject(new EngineError('invalid_request', `the request could not be sent to the engine: ${reason}`, { cause }));
        return;
      }
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private receive(raw: unknown): void {
    const parsed = workerMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.kind === 'event') {
      for (const listener of this.listeners) listener(message.event);
      return;
    }
    if (message.kind === 'loadProgress') {
      this.progressListeners.get(message.id)?.(message.progress);
      return;
    }
    const pending = this.pending.get(message.id);
    this.progressListeners.delete(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else {
      const e = message.error;
      const details: { field?: string; limit?: string } = {};
      if (e.field !== undefined) details.field = e.field;
      if (e.limit !== undefined) details.limit = e.limit;
      pending.reject(new EngineError(e.code, e.message, details));
    }
  }

  /** Stops the worker now; every pending and later call fails with `reason`. */
  private stop(reason: EngineError): void {
    this.fail(reason);
    void this.worker.terminate();
  }

  private fail(error: EngineError): void {
    if (this.exited !== null) return;
    this.exited = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.progressListeners.clear();
  }
}
