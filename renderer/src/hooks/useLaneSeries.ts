// The lines of a chart that compares lanes (the playground's one run, or the race's lanes):
// one series a lane, computed from its run as the charts see it, up to the step shown.
import { useMemo } from 'react';
import type { MacroStep } from '../../../engine/api';
import type { LaneId } from '../../../host/protocol';
import { useChartRuns } from './useChartRuns';

/** A lane a chart draws, under the label its legend gives it. */
export interface ChartLane {
  lane: LaneId;
  label: string;
}

export interface LaneSeries<P> {
  label: string;
  points: P[];
}

/** `seriesOf` is one of chartSeries.ts's functions (a stable reference, so the memo holds). */
export function useLaneSeries<P>(lanes: readonly ChartLane[], seriesOf: (steps: readonly MacroStep[], shown: number) => P[]): LaneSeries<P>[] {
  const runs = useChartRuns();
  return useMemo(
    () =>
      lanes.map(({ lane, label }) => {
        const run = runs[lane];
        return { label, points: run === undefined ? [] : seriesOf(run.steps, run.shown) };
      }),
    [lanes, runs, seriesOf],
  );
}
