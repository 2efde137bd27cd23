// The run records as the charts see them: refreshed by CHART_POLICY (at most ten times a
// second, held back for a moment after the user's input) while events stream in; the last
// change always lands. Four SVG charts redrawn on every animation frame of a live run cost
// more than the rest of the page; ten times a second reads as live.
import { startTransition, useEffect, useState } from 'react';
import { lastInputAt } from '../inputActivity';
import { CHART_POLICY, msUntilUpdate } from '../model/inputFirst';
import { useRunStore, type Runs } from '../stores/runStore';

export function useChartRuns(): Runs {
  const [runs, setRuns] = useState(() => useRunStore.getState().runs);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastRefresh = Number.NEGATIVE_INFINITY;
    const refresh = (): void => {
      timer = null;
      const now = performance.now();
      const wait = msUntilUpdate(now, lastRefresh, lastInputAt(), CHART_POLICY);
      if (wait > 0) {
        timer = setTimeout(refresh, wait);
        return;
      }
      lastRefresh = now;
      // As a transition: React renders the charts in slices and lets a key press in between.
      startTransition(() => setRuns(useRunStore.getState().runs));
    };
    const unsubscribe = useRunStore.subscribe((state, previous) => {
      if (state.runs !== previous.runs && timer === null) refresh();
    });
    // Changes between the first render and this subscription.
    setRuns(useRunStore.getState().runs);
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, []);
  return runs;
}
