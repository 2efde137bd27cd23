// Perplexity against speed, per macro step: how sure the model was of what it emitted (rolling
// perplexity over the last tokens), how many tokens the step emitted, and how fast. Pure, one
// pass over the shown steps, so the view can recompute it on every chart refresh.
import type { MacroStep } from '../../../engine/api';

/** The rolling window's size in emitted tokens unless the user picks another. */
export const DEFAULT_WINDOW_TOKENS = 32;
export const MIN_WINDOW_TOKENS = 1;
export const MAX_WINDOW_TOKENS = 4096;

export interface PerplexitySpeedPoint {
  step: number;
  /** Tokens the step emitted (its group; verify: kept drafts plus the baseline's token). */
  groupSize: number;
  /** exp(mean -ln p) over the last `window` emitted tokens up to this step's last (fewer at the start). */
  perplexity: number;
  /** Emitted tokens the window held (the window's size once the run has that many). */
  windowTokens: number;
  /** groupSize over the step's active time (the engine clock's elapsedMs since the step before; step 0 includes the prompt's forward). Null when no time passed. */
  tokensPerSecond: number | null;
  /** Mean entropy (nats) of the distributions the step's tokens were chosen from. */
  meanEntropy: number;
  /** Mean -ln p (nats) of the step's tokens. */
  meanSurprisal: number;
}

/** -ln p of an emitted token; a probability that underflowed to 0 counts as the smallest double. */
export function surprisal(prob: number): number {
  return -Math.log(Math.max(prob, Number.MIN_VALUE));
}

export function perplexitySpeedSeries(steps: readonly MacroStep[], shown: number, window: number): PerplexitySpeedPoint[] {
  const out: PerplexitySpeedPoint[] = [];
  // Prefix sums of surprisal over the emitted tokens: any window's mean in O(1).
  const prefix: number[] = [0];
  const n = Math.min(shown, steps.length);
  let previousMs = 0;
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    let entropy = 0;
    let stepSurprisal = 0;
    for (const micro of step.micro) {
      const bits = surprisal(micro.prob);
      stepSurprisal += bits;
      entropy += micro.entropy;
      prefix.push(prefix[prefix.length - 1]! + bits);
    }
    const emitted = prefix.length - 1;
    const size = step.micro.length;
    const held = Math.min(window, emitted);
    const windowSum = prefix[emitted]! - prefix[emitted - held]!;
    const ms = step.totals.elapsedMs - previousMs;
    previousMs = step.totals.elapsedMs;
    out.push({
      step: s,
      groupSize: size,
      perplexity: held > 0 ? Math.exp(windowSum / held) : 1,
      windowTokens: held,
      tokensPerSecond: ms > 0 ? (size * 1000) / ms : null,
      meanEntropy: size > 0 ? entropy / size : 0,
      meanSurprisal: size > 0 ? stepSurprisal / size : 0,
    });
  }
  return out;
}
