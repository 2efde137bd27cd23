// One lane of the app: an engine in its own worker thread, loaded lazily with the session's
// current model. Lanes run at once (the race), so each needs its own engine and thread.
import type { ControlAction, EncodedPromptInfo, EngineEvent, GenerateRequestInput, ModelInfo } from '../engine/api.js';
import { EngineError } from '../engine/errors.js';
import { EngineHost } from '../engine/worker/engineHost.js';

/** An engine host that died answers every later call with this kind of error; the lane then starts a fresh one. */
const DEAD_WORKER = /engine worker (crashed|exited)/;

export interface EngineLaneOptions {
  /** The engine worker's entry; undefined = the engine host's default (its TypeScript sources). */
  workerUrl: URL | undefined;
  /** onnxruntime threads for this lane's sessions; undefined = the engine's default. */
  threads: number | undefined;
  onEvent: (event: EngineEvent) => void;
}

export class EngineLane {
  private host: EngineHost | null = null;
  private loadedDirectory: string | null = null;
  private loading: Promise<ModelInfo> | null = null;
  private running = false;

  constructor(private readonly options: EngineLaneOptions) {}

  /** True between a generate and its finished/failed event. */
  get busy(): boolean {
    return this.running;
  }

  /** Loads `directory` unless it is what this lane already runs. */
  async ensureModel(directory: string): Promise<ModelInfo> {
    if (this.loading !== null && this.loadedDirectory === directory) return this.loading;
    const host = this.liveHost();
    this.loadedDirectory = directory;
    const loading = this.guard(host.load(directory, this.options.threads));
    this.loading = loading;
    try {
      return await loading;
    } catch (error) {
      // A failed load leaves the lane's previous model in place in the worker, but the
      // session decides what is current; forget this directory so the next call retries.
      if (this.loading === loading) {
        this.loading = null;
        this.loadedDirectory = null;
      }
      throw error;
    }
  }

  async encode(directory: string, prompt: string, chatTemplate: boolean): Promise<EncodedPromptInfo> {
    await this.ensureModel(directory);
    return this.guard(this.liveHost().encode(prompt, chatTemplate));
  }

  /** `request` goes to the engine unchecked: the engine validates it and names the field at fault. */
  async generate(directory: string, request: unknown): Promise<{ runId: string }> {
    await this.ensureModel(directory);
    // Set before the call: the run's first events can arrive before the reply does.
    this.running = true;
    try {
      return await this.guard(this.liveHost().generate(request as GenerateRequestInput));
    } catch (error) {
      this.running = false;
      throw error;
    }
  }

  control(action: ControlAction): Promise<null> {
    if (this.host === null) return Promise.reject(new EngineError('no_run', 'no generation is running in this lane'));
    return this.guard(this.host.control(action));
  }

  /** Cancels a running generation, if any; never throws. */
  async cancelQuietly(): Promise<void> {
    if (this.running) await this.control('cancel').catch(() => null);
  }

  async close(): Promise<void> {
    const host = this.host;
    this.host = null;
    this.loading = null;
    this.loadedDirectory = null;
    await host?.close();
  }

  private liveHost(): EngineHost {
    if (this.host === null) {
      const host = new EngineHost(this.options.workerUrl === undefined ? {} : { workerUrl: this.options.workerUrl });
      host.onEvent((event) => {
        if (event.type === 'finished' || event.type === 'failed') this.running = false;
        this.options.onEvent(event);
      });
      this.host = host;
    }
    return this.host;
  }

  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof EngineError && error.code === 'internal' && DEAD_WORKER.test(error.message)) {
        this.host = null;
        this.loading = null;
        this.loadedDirectory = null;
        this.running = false;
      }
      throw error;
    }
  }
}
