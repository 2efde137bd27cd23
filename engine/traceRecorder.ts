// Builds the trace document of one generation from its event stream (docs/engine.md,
// "Traces"). Browser-safe: the renderer can record the events it receives the same way.
import {
  TRACE_FORMAT,
  TRACE_VERSION,
  traceSchema,
  type EngineErrorInfo,
  type EngineEvent,
  type GenerationResult,
  type MacroStep,
  type StartedEvent,
  type Trace,
} from './api.js';
import { EngineError } from './errors.js';

export class TraceRecorder {
  private started: StartedEvent | null = null;
  private readonly steps: MacroStep[] = [];
  private result: GenerationResult | null = null;
  private error: EngineErrorInfo | null = null;

  constructor(private readonly model: { name: string; description: string }) {}

  record(event: EngineEvent): void {
    switch (event.type) {
      case 'started':
        this.started = event;
        break;
      case 'macro':
        this.steps.push(event.step);
        break;
      case 'finished':
        this.result = event.result;
        break;
      case 'failed':
        this.error = event.error;
        break;
      case 'base':
      case 'micro':
      case 'state':
        break;
    }
  }

  /** The document so far; null before the run has started. */
  trace(): Trace | null {
    if (this.started === null) return null;
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      createdAt: new Date().toISOString(),
      model: this.model,
      started: this.started,
      steps: [...this.steps],
      result: this.result,
      error: this.error,
    };
  }
}

/** Parses a trace file's contents; a file that is not a trace gives `trace_invalid` naming the first bad field. */
export function parseTrace(json: string): Trace {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineError('trace_invalid', `not a trace: invalid JSON (${reason})`, { cause });
  }
  const parsed = traceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new EngineError('trace_invalid', `not a valid ${TRACE_FORMAT} v${TRACE_VERSION} document: ${field || '(top level)'}: ${issue.message}`, field === '' ? {} : { field });
  }
  return parsed.data;
}
