// Folds engine events into run records: a pure function, so the store's one action that
// takes a frame's worth of events stays small and testable.
import type { EngineEvent, Trace } from '../../../engine/api';
import type { RunRecord } from './runRecord';
import type { LaneId } from '../../../host/protocol';

export function applyEvent(record: RunRecord | undefined, lane: LaneId, event: EngineEvent): RunRecord | undefined {
  if (event.type === 'started') {
    return {
      lane,
      source: 'live',
      fileName: null,
      started: event,
      steps: [],
      openMicros: [],
      openBase: null,
      phase: event.paused ? 'paused' : 'running',
      result: null,
      error: null,
      shown: 0,
    };
  }
  // Events of another run (a late one after a restart) are not this record's.
  if (record === undefined || record.source !== 'live' || record.started.runId !== event.runId) return record;
  switch (event.type) {
    case 'base':
      return { ...record, openBase: event.base };
    case 'micro':
      return { ...record, openMicros: [...record.openMicros, event.micro] };
    case 'macro':
      return { ...record, steps: [...record.steps, event.step], openMicros: [], openBase: null };
    case 'state':
      return record.phase === 'running' || record.phase === 'paused' ? { ...record, phase: event.state } : record;
    case 'finished':
      return { ...record, phase: 'finished', result: event.result, openMicros: [], openBase: null };
    case 'failed':
      return { ...record, phase: 'failed', error: event.error, openMicros: [], openBase: null };
  }
}

export function recordFromTrace(trace: Trace, lane: LaneId, fileName: string): RunRecord {
  return {
    lane,
    source: 'file',
    fileName,
    started: trace.started,
    steps: trace.steps,
    openMicros: [],
    openBase: null,
    phase: trace.error !== null ? 'failed' : 'finished',
    result: trace.result,
    error: trace.error,
    shown: 0,
  };
}
