// An ONNX Runtime session as one run calls it: its run() time is added to the run's clock,
// so the engine can report time inside session.run apart from its own (engine_overhead).
// The session itself is the loaded package's, shared by every run.
import * as ort from 'onnxruntime-node';
import { EngineError } from './errors.js';

export class SessionClock {
  totalMs = 0;
  calls = 0;
}

/** A graph as the package loaded it. */
export interface LoadedGraph {
  readonly name: string;
  readonly session: ort.InferenceSession;
}

export class TimedSession {
  readonly name: string;
  readonly session: ort.InferenceSession;

  constructor(
    graph: LoadedGraph,
    private readonly clock: SessionClock,
  ) {
    this.name = graph.name;
    this.session = graph.session;
  }

  async run(feeds: ort.InferenceSession.FeedsType, fetches?: ort.InferenceSession.FetchesType): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now();
    try {
      return fetches === undefined ? await this.session.run(feeds) : await this.session.run(feeds, fetches);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('inference_failed', `the ${this.name} graph failed: ${reason}`, { cause });
    } finally {
      this.clock.totalMs += performance.now() - start;
      this.clock.calls += 1;
    }
  }
}
