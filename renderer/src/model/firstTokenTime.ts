// Time to first token as the run status and the race tallies show it; the engine measures it
// (docs/engine.md, "Time to first token") and every step's totals and the result carry it.

/** "12.3 ms" (seconds from 1 s on); "–" before step 0 closes and in traces older than the figure. */
export function firstTokenText(figures: { firstTokenMs?: number | undefined } | null): string {
  const ms = figures?.firstTokenMs;
  if (ms === undefined) return '–';
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
