// Run records per lane. Events arrive batched per animation frame (eventBatcher) and are
// folded in with one state update; the pace ticker moves each record's `shown` cursor.
import { create } from 'zustand';
import type { Trace } from '../../../engine/api';
import type { LaneEvent, LaneId } from '../../../host/protocol';
import { isActive, type RunRecord } from '../model/runRecord';
import { applyEvent, recordFromTrace } from '../model/runReducer';

export type Runs = Partial<Record<LaneId, RunRecord>>;

interface RunState {
  runs: Runs;
  applyEvents(events: readonly LaneEvent[]): void;
  openTrace(lane: LaneId, trace: Trace, fileName: string): void;
  setShown(lane: LaneId, shown: number): void;
  /** Live runs that can no longer report (their connection dropped) keep what they have. */
  interruptLive(message: string): void;
  clear(lane: LaneId): void;
}

export const useRunStore = create<RunState>((set) => ({
  runs: {},
  applyEvents: (events) =>
    set((state) => {
      const runs: Runs = { ...state.runs };
      for (const { lane, event } of events) {
        const next = applyEvent(runs[lane], lane, event);
        if (next === undefined) delete runs[lane];
        else runs[lane] = next;
      }
      return { runs };
    }),
  openTrace: (lane, trace, fileName) => set((state) => ({ runs: { ...state.runs, [lane]: recordFromTrace(trace, lane, fileName) } })),
  setShown: (lane, shown) =>
    set((state) => {
      const record = state.runs[lane];
      if (record === undefined) return state;
      const clamped = Math.max(0, Math.min(record.steps.length, Math.round(shown)));
      return clamped === record.shown ? state : { runs: { ...state.runs, [lane]: { ...record, shown: clamped } } };
    }),
  interruptLive: (message) =>
    set((state) => {
      const runs: Runs = { ...state.runs };
      let changed = false;
      for (const [lane, record] of Object.entries(runs) as [LaneId, RunRecord][]) {
        if (isActive(record)) {
          runs[lane] = { ...record, phase: 'interrupted', error: { code: 'internal', message } };
          changed = true;
        }
      }
      return changed ? { runs } : state;
    }),
  clear: (lane) =>
    set((state) => {
      const runs: Runs = { ...state.runs };
      delete runs[lane];
      return { runs };
    }),
}));
