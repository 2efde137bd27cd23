// An ONNX Runtime session whose run() time is added to a shared clock, so the engine can
// report time inside session.run apart from its own (engine_overhead).
import * as ort from 'onnxruntime-node';
import { EngineError } from './errors.js';

export class SessionClock {
  totalMs = 0;
  calls = 0;
}

export class TimedSession {
  constructor(
    readonly name: string,
    readonly session: ort.InferenceSession,
    private readonly clock: SessionClock,
  ) {}

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
