// One generation as the UI holds it: live from a lane's events, or opened from a trace file.
import type { BaseForward, EngineErrorInfo, GenerationResult, MacroStep, MicroStep, StartedEvent } from '../../../engine/api';
import type { LaneId } from '../../../host/protocol';

export type RunPhase = 'running' | 'paused' | 'finished' | 'failed' | 'interrupted';

export interface RunRecord {
  lane: LaneId;
  source: 'live' | 'file';
  /** Name of the trace file a replay came from. */
  fileName: string | null;
  started: StartedEvent;
  steps: MacroStep[];
  /** Micro steps of the macro step being decoded, before its macro event closes it. */
  openMicros: MicroStep[];
  /** That step's base forward (features into the micro decoder), once reported. */
  openBase: BaseForward | null;
  phase: RunPhase;
  result: GenerationResult | null;
  error: EngineErrorInfo | null;
  /** Steps on screen (pace control and scrubber); at most steps.length. */
  shown: number;
}

export function isActive(record: RunRecord | undefined): boolean {
  return record !== undefined && record.source === 'live' && (record.phase === 'running' || record.phase === 'paused');
}
