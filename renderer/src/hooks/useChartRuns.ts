// The run records as the charts see them: refreshed at most every CHART_REFRESH_MS while
// events stream in (the last change always lands). Four SVG charts redrawn on every animation
// frame of a live run cost more than the rest of the page; ten times a second reads as live.
import { useEffect, useState } from 'react';
import { throttle } from '../model/throttle';
import { useRunStore, type Runs } from '../stores/runStore';

export const CHART_REFRESH_MS = 100;

export function useChartRuns(): Runs {
  const [runs, setRuns] = useState(() => useRunStore.getState().runs);
  useEffect(() => {
    const refresh = throttle(() => setRuns(useRunStore.getState().runs), CHART_REFRESH_MS);
    const unsubscribe = useRunStore.subscribe((state, previous) => {
      if (state.runs !== previous.runs) refresh.call();
    });
    // Changes between the first render and this subscription.
    setRuns(useRunStore.getState().runs);
    return () => {
      unsubscribe();
      refresh.cancel();
    };
  }, []);
  return runs;
}
