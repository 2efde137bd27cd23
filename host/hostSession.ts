// The app's engines as one service, shared by both app hosts (the Electron main process and
// the browser-mode server): validates every call from a UI, runs it on the named lane, and
// fans the lanes' events out as LaneEvents. Transport-free: hosts only carry messages.
import path from 'node:path';
import {
  LANE_IDS,
  hostCallSchema,
  type HostReplies,
  type LaneEvent,
  type LaneId,
  type ModelInfo,
} from '../engine/api.js';
import { EngineError } from '../engine/errors.js';
import { EngineLane } from './engineLane.js';

export interface HostSessionOptions {
  defaultModelDirectory: string;
  /** The engine worker's entry (a bundled app's); undefined = the engine's TypeScript sources. */
  workerUrl?: URL;
  /** onnxruntime threads per race lane: race lanes run at once and share the cores. */
  raceThreads?: number;
}

type Listener<T> = (value: T) => void;

export class HostSession {
  private readonly lanes = new Map<LaneId, EngineLane>();
  private readonly eventListeners = new Set<Listener<LaneEvent>>();
  private readonly modelListeners = new Set<Listener<ModelInfo | null>>();
  private model: ModelInfo | null = null;
  private modelDirectory: string;

  constructor(private readonly options: HostSessionOptions) {
    this.modelDirectory = options.defaultModelDirectory;
    for (const lane of LANE_IDS) {
      this.lanes.set(
        lane,
        new EngineLane({
          workerUrl: options.workerUrl,
          threads: lane === 'playground' ? undefined : (options.raceThreads ?? 1),
          onEvent: (event) => this.emit({ lane, event }),
        }),
      );
    }
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

  /**
   * Runs one call from a UI. `raw` is untrusted: anything that is not a HostCall rejects with
   * an `invalid_request` EngineError naming the field; engine failures reject with theirs.
   */
  async call(raw: unknown): Promise<HostReplies[keyof HostReplies]> {
    const parsed = hostCallSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.');
      throw new EngineError('invalid_request', `bad call: ${field === '' ? '' : `${field}: `}${issue.message}`, field === '' ? {} : { field });
    }
    const call = parsed.data;
    switch (call.method) {
      case 'currentModel':
        return this.model;
      case 'loadModel':
        return this.loadModel(call.directory);
      case 'encode':
        return this.lane('playground').encode(await this.directoryInUse(), call.prompt, call.chatTemplate);
      case 'prepare': {
        const directory = await this.directoryInUse();
        await Promise.all(call.lanes.map((lane) => this.lane(lane).ensureModel(directory)));
        return null;
      }
      case 'generate':
        return this.lane(call.lane).generate(await this.directoryInUse(), call.request);
      case 'control':
        return this.lane(call.lane).control(call.action);
    }
  }

  /** Cancels whatever runs in these lanes (a UI went away); never throws. */
  async cancel(lanes: Iterable<LaneId>): Promise<void> {
    await Promise.all([...lanes].map((lane) => this.lane(lane).cancelQuietly()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.close()));
  }

  /**
   * Loads a package (null: the shipped one) on the playground lane first, which checks it;
   * the other lanes follow when next used. A failed load leaves the current model in place.
   */
  async loadModel(requested: string | null): Promise<ModelInfo> {
    const directory = requested === null ? this.options.defaultModelDirectory : path.resolve(requested);
    const info = await this.lane('playground').ensureModel(directory);
    this.modelDirectory = directory;
    this.model = info;
    for (const listener of this.modelListeners) listener(info);
    return info;
  }

  /** The current model's folder, loading the shipped one first if nothing is loaded yet. */
  private async directoryInUse(): Promise<string> {
    if (this.model === null) await this.loadModel(this.modelDirectory);
    return this.modelDirectory;
  }

  private lane(id: LaneId): EngineLane {
    return this.lanes.get(id)!;
  }

  private emit(event: LaneEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }
}
