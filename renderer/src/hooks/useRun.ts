// A lane's run record, or a part of it picked by `select` (the component then re-renders
// only when that part changes, not on every event of the run).
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
