// Input first: live views update at a steady rate, but never in the frame that shows a key or
// a button the user just pressed, and some hold back for a moment longer (up to a limit), so
// that frame is not also the one that lays out new tokens (docs/app.md, "Smoothness").

export interface UpdatePolicy {
  /** Updates at most this often. */
  minIntervalMs: number;
  /** After input, wait this long for it to be shown first... */
  graceMs: number;
  /** ...but never leave the view older than this, */
  maxDelayMs: number;
}

/**
 * ...unless the input is younger than this, whatever the policy: its frame (at most one frame
 * interval away) is not painted yet. A view past its limit is held at most another limit's
 * worth, so a held key's auto-repeat cannot starve it.
 */
export const INPUT_FRAME_MS = 20;

/**
 * Engine events folded into the store (and the views rendered): 20 per second at most, with
 * no grace beyond the input's frame. A grace of 120 ms held the folds back for as long as keys
 * came, so each fold carried 250 ms of tokens, and its frame was the one the next key waited
 * on; small folds kept out of the input's frame leave keys less to wait for.
 */
export const FOLD_POLICY: UpdatePolicy = { minIntervalMs: 50, graceMs: 0, maxDelayMs: 250 };
/** The d3 charts: 10 per second at most, held back while keys come (up to half a second). */
export const CHART_POLICY: UpdatePolicy = { minIntervalMs: 100, graceMs: 120, maxDelayMs: 500 };

/** 0 when an update is due at `now`, else how long to wait before asking again. */
export function msUntilUpdate(now: number, lastUpdate: number, lastInput: number, policy: UpdatePolicy): number {
  const sinceUpdate = now - lastUpdate;
  if (sinceUpdate < policy.minIntervalMs) return policy.minIntervalMs - sinceUpdate;
  const sinceInput = now - lastInput;
  const [holdMs, untilMs] = sinceUpdate < policy.maxDelayMs ? [Math.max(policy.graceMs, INPUT_FRAME_MS), policy.maxDelayMs] : [INPUT_FRAME_MS, 2 * policy.maxDelayMs];
  const holdLeft = holdMs - sinceInput;
  if (holdLeft <= 0) return 0;
  return Math.max(0, Math.min(holdLeft, untilMs - sinceUpdate));
}
