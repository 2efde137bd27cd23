// Input first: live views update at a steady rate, but for a moment after the user presses a
// key or a button they hold back (up to a limit), so the frame that shows the user's own input
// is not also the one that lays out a batch of new tokens (docs/app.md, "Smoothness").

export interface UpdatePolicy {
  /** Updates at most this often. */
  minIntervalMs: number;
  /** After input, wait this long for it to be shown first... */
  graceMs: number;
  /** ...but never leave the view older than this. */
  maxDelayMs: number;
}

/** Engine events folded into the store (and the views rendered): 20 per second at most. */
export const FOLD_POLICY: UpdatePolicy = { minIntervalMs: 50, graceMs: 120, maxDelayMs: 250 };
/** The d3 charts, whose redraw costs most: 10 per second at most. */
export const CHART_POLICY: UpdatePolicy = { minIntervalMs: 100, graceMs: 120, maxDelayMs: 500 };

/** 0 when an update is due at `now`, else how long to wait before asking again. */
export function msUntilUpdate(now: number, lastUpdate: number, lastInput: number, policy: UpdatePolicy): number {
  const sinceUpdate = now - lastUpdate;
  if (sinceUpdate < policy.minIntervalMs) return policy.minIntervalMs - sinceUpdate;
  const graceLeft = policy.graceMs - (now - lastInput);
  if (graceLeft <= 0) return 0;
  return Math.max(0, Math.min(graceLeft, policy.maxDelayMs - sinceUpdate));
}
