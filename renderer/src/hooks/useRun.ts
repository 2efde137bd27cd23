// A lane's run record, or a part of it picked by `select` (the component then re-renders
// only when that part changes, not on every event of the run).
import { useDeferredValue } from 'react';
import type { LaneId } from '../../../host/protocol';
import type { RunRecord } from '../model/runRecord';
import { useRunStore } from '../stores/runStore';

export function useRun(lane: LaneId): RunRecord | undefined;
export function useRun<T>(lane: LaneId, select: (record: RunRecord) => T): T | undefined;
export function useRun<T>(lane: LaneId, select?: (record: RunRecord) => T): RunRecord | T | undefined {
  return useRunStore((state) => {
    const record = state.runs[lane];
    return record === undefined || select === undefined ? record : select(record);
  });
}

/**
 * A lane's run record for a view that costs the most to update (the token stream): while the
 * run is running, a deferred value, so React renders the view after the frame that folded
 * the events in, as a transition in slices that a key press interrupts; otherwise (paused,
 * finished, a replay) the record itself, at once.
 */
export function useRunDeferredWhileRunning(lane: LaneId): RunRecord | undefined {
  const record = useRun(lane);
  const deferred = useDeferredValue(record);
  return record?.phase === 'running' ? deferred : record;
}
