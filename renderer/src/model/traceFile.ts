// Trace files: what Save writes and Open reads (the engine's trace document, engine/api.ts).
import { TRACE_FORMAT, TRACE_VERSION, traceSchema, type Trace } from '../../../engine/api';
import type { RunRecord } from './runRecord';

export function traceOf(record: RunRecord, modelDescription: string): Trace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    createdAt: new Date().toISOString(),
    model: { name: record.started.model, description: modelDescription },
    started: record.started,
    steps: record.steps,
    result: record.result,
    error: record.error,
  };
}

export type TraceParse = { ok: true; trace: Trace } | { ok: false; message: string };

/** Reads a file's text as a trace; anything else gets a message that says what is wrong. */
export function parseTraceText(text: string): TraceParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not a trace file: the file is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = traceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    return { ok: false, message: `not a ${TRACE_FORMAT} v${TRACE_VERSION} file: ${field}: ${issue.message}` };
  }
  return { ok: true, trace: parsed.data };
}

export function traceFileName(record: RunRecord): string {
  const mode = record.started.settings.mode;
  return `hamburger-trace-${mode}-${record.started.runId}.json`;
}
