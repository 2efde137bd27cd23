// Runs one generation on a real engine and keeps every event it emitted.
import type { EngineEvent, GenerateRequestInput, GenerationResult, MacroStep, MicroStep } from '../../engine/api.js';
import type { HamburgerEngine } from '../../engine/engine.js';

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
