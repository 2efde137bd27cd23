// A lane's run record, or undefined.
import type { LaneId } from '../../../engine/api';
import type { RunRecord } from '../model/runRecord';
import { useRunStore } from '../stores/runStore';

export function useRun(lane: LaneId): RunRecord | undefined {
  return useRunStore((state) => state.runs[lane]);
}
