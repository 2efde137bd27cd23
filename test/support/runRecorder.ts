// Runs one generation on a real engine and keeps every event it emitted (or its trace).
import { traceSchema, type EngineEvent, type GenerateRequestInput, type GenerationResult, type MacroStep, type MicroStep, type Trace } from '../../engine/api.js';
import type { HamburgerEngine } from '../../engine/engine.js';
import { TraceRecorder } from '../../engine/traceRecorder.js';

export interface RecordedRun {
  result: GenerationResult;
  events: EngineEvent[];
  steps: MacroStep[];
  micros: MicroStep[];
}

export async function recordRun(engine: HamburgerEngine, request: GenerateRequestInput): Promise<RecordedRun> {
  const events: EngineEvent[] = [];
  const result = await engine.generate(request, (e) => events.push(e)).done;
  return collect(result, events);
}

export function collect(result: GenerationResult, events: EngineEvent[]): RecordedRun {
  const steps = events.flatMap((e) => (e.type === 'macro' ? [e.step] : []));
  const micros = events.flatMap((e) => (e.type === 'micro' ? [e.micro] : []));
  return { result, events, steps, micros };
}

/** The run as a trace that passes every trace check (the schema's consistency rules too). */
export async function recordTrace(engine: HamburgerEngine, request: GenerateRequestInput): Promise<Trace> {
  const recorder = new TraceRecorder({ name: engine.info.name, description: '' });
  await engine.generate(request, (e) => recorder.record(e)).done;
  const trace = recorder.trace()!;
  const parsed = traceSchema.safeParse(trace);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues[0]));
  return trace;
}
