// Data behind the charts, computed from a run's shown steps. Pure and cheap (one pass each),
// so the charts can recompute them every frame of a live run.
import type { MacroStep } from '../../../engine/api';

export interface StepPoint {
  step: number;
  tokens: number;
}

export interface TokenPoint {
  /** Index of the generated token (0-based over the run). */
  token: number;
  step: number;
  prob: number;
  entropy: number;
  stopProb: number | null;
  /** True for the last token of its macro step. */
  groupEnd: boolean;
}

export interface ThroughputPoint {
  /** Active time since the run started (engine clock). */
  ms: number;
  /** Tokens per second since the start (the engine's running figure). */
  average: number;
  /** Tokens per second over the last few steps. */
  recent: number;
}

export interface KvPoint {
  tokens: number;
  /** Generated KV entries, counting the pending group as one (as the engine's totals do). */
  entries: number;
}

/** Steps in the window behind `recent` throughput. */
export const RECENT_WINDOW_STEPS = 8;

export function tokensPerStep(steps: readonly MacroStep[], shown: number): StepPoint[] {
  const out: StepPoint[] = [];
  for (let s = 0; s < shown && s < steps.length; s++) out.push({ step: s, tokens: steps[s]!.tokenIds.length });
  return out;
}

export function tokenPoints(steps: readonly MacroStep[], shown: number): TokenPoint[] {
  const out: TokenPoint[] = [];
  for (let s = 0; s < shown && s < steps.length; s++) {
    const micro = steps[s]!.micro;
    micro.forEach((m, i) => {
      out.push({ token: out.length, step: s, prob: m.prob, entropy: m.entropy, stopProb: m.stopProb, groupEnd: i === micro.length - 1 });
    });
  }
  return out;
}

export function throughput(steps: readonly MacroStep[], shown: number): ThroughputPoint[] {
  const out: ThroughputPoint[] = [];
  const n = Math.min(shown, steps.length);
  for (let s = 0; s < n; s++) {
    const totals = steps[s]!.totals;
    const from = Math.max(0, s - RECENT_WINDOW_STEPS);
    const before = s - RECENT_WINDOW_STEPS >= 0 ? steps[from]!.totals : { tokens: 0, elapsedMs: 0 };
    const windowMs = totals.elapsedMs - before.elapsedMs;
    const windowTokens = totals.tokens - before.tokens;
    out.push({ ms: totals.elapsedMs, average: totals.tokensPerSecond, recent: windowMs > 0 ? (windowTokens * 1000) / windowMs : 0 });
  }
  return out;
}

export function kvGrowth(steps: readonly MacroStep[], shown: number): KvPoint[] {
  const out: KvPoint[] = [{ tokens: 0, entries: 0 }];
  for (let s = 0; s < shown && s < steps.length; s++) {
    out.push({ tokens: steps[s]!.totals.tokens, entries: steps[s]!.totals.macroSteps });
  }
  return out;
}

/**
 * Thins a series to at most `maxPoints` by averaging consecutive runs of points, so a chart
 * of 2,000 tokens draws about one point per pixel column. `keys` are averaged; the rest of
 * each point comes from the bucket's last point.
 */
export function downsample<T extends object>(points: readonly T[], maxPoints: number, keys: readonly (keyof T)[]): T[] {
  if (points.length <= maxPoints || maxPoints < 1) return [...points];
  const size = points.length / maxPoints;
  const out: T[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const start = Math.floor(b * size);
    const end = Math.max(start + 1, Math.floor((b + 1) * size));
    const bucket = points.slice(start, end);
    const merged = { ...bucket[bucket.length - 1]! };
    for (const key of keys) {
      let sum = 0;
      let count = 0;
      for (const point of bucket) {
        const value = point[key];
        if (typeof value === 'number') {
          sum += value;
          count += 1;
        }
      }
      (merged as Record<keyof T, unknown>)[key] = count > 0 ? sum / count : merged[key];
    }
    out.push(merged);
  }
  return out;
}
