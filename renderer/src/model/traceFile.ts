// Trace files: what Save writes and Open reads (the engine's trace document, engine/api.ts).
import { TRACE_FILE_MAX_BYTES, TRACE_FORMAT, TRACE_VERSION, traceSchema, type Trace } from '../../../engine/api';
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

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** Reads a file as a trace; one over the size limit is refused before it is read. */
export async function readTraceFile(file: Pick<Blob, 'size' | 'text'>): Promise<TraceParse> {
  if (file.size > TRACE_FILE_MAX_BYTES) {
    return { ok: false, message: `trace file too large: ${mib(file.size)} (the limit is ${mib(TRACE_FILE_MAX_BYTES)}); not opened` };
  }
  return parseTraceText(await file.text());
}

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
