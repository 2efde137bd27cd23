// `eval --confidences 0.5,0.7,...`: HAMburger at several confidence levels against one
// baseline run per example, in the report format of training/hamburger/evaluate.py (keys
// suffixed `@<level>` as Python prints the float), so that the two can be compared key by
// key and scripts/confidenceCurve.ts can plot either.
import type { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';
import { isExactMatch, type HeldoutExample } from './heldoutSet.js';

export interface SweepReport {
  confidences: number[];
  max_new_tokens: number;
  families: Record<string, string | number>[];
  overall: Record<string, string | number>;
}

/** A level as Python's str(float) writes it: 1.0, 0.9, 0.95. */
export function levelKey(c: number): string {
  return Number.isInteger(c) ? c.toFixed(1) : String(c);
}

/** "0.5,0.9,1" -> [0.5, 0.9, 1]; each level in [0, 1], at least one, no repeats. */
export function parseConfidences(raw: string): number[] {
  const parts = raw.split(',').map((part) => part.trim());
  const levels = parts.map(Number);
  const valid = parts.every((part, i) => part !== '' && levels[i]! >= 0 && levels[i]! <= 1);
  if (!valid || new Set(levels).size !== levels.length) {
    throw new EngineError('invalid_request', `--confidences must be distinct numbers in [0, 1] separated by commas, got "${raw}"`, { field: 'confidences' });
  }
  return levels;
}

interface Counts {
  n: number;
  baselineCorrect: number;
  correct: number[];
  tokens: number[];
  steps: number[];
}

function summary(family: string, c: Counts, confidences: number[]): Record<string, string | number> {
  const row: Record<string, string | number> = { family, n: c.n, baseline_accuracy: c.baselineCorrect / c.n };
  confidences.forEach((level, i) => {
    const key = levelKey(level);
    row[`hamburger_accuracy@${key}`] = c.correct[i]! / c.n;
    row[`tokens_per_step@${key}`] = c.tokens[i]! / c.steps[i]!;
    row[`kv_per_token@${key}`] = c.steps[i]! / c.tokens[i]!;
  });
  return row;
}

export async function confidenceSweep(
  engine: HamburgerEngine,
  examples: readonly HeldoutExample[],
  confidences: number[],
  maxNewTokens: number,
  budgetOf: (example: HeldoutExample) => number,
  progress: (done: number) => void,
): Promise<SweepReport> {
  const empty = (): Counts => ({ n: 0, baselineCorrect: 0, correct: confidences.map(() => 0), tokens: confidences.map(() => 0), steps: confidences.map(() => 0) });
  const families = new Map<string, Counts>();
  for (const [i, example] of examples.entries()) {
    const counts = families.get(example.family) ?? empty();
    families.set(example.family, counts);
    const budget = budgetOf(example);
    const base = await engine.generate({ prompt: example.prompt, mode: 'baseline', maxNewTokens: budget }, () => undefined).done;
    counts.n += 1;
    counts.baselineCorrect += isExactMatch(base.text, example.response) ? 1 : 0;
    for (const [j, confidence] of confidences.entries()) {
      const ham = await engine.generate({ prompt: example.prompt, mode: 'hamburger', maxNewTokens: budget, confidence }, () => undefined).done;
      counts.correct[j]! += isExactMatch(ham.text, example.response) ? 1 : 0;
      counts.tokens[j]! += ham.tokens;
      counts.steps[j]! += ham.macroSteps;
    }
    progress(i + 1);
  }
  const total = empty();
  for (const c of families.values()) {
    total.n += c.n;
    total.baselineCorrect += c.baselineCorrect;
    confidences.forEach((_, j) => {
      total.correct[j]! += c.correct[j]!;
      total.tokens[j]! += c.tokens[j]!;
      total.steps[j]! += c.steps[j]!;
    });
  }
  return {
    confidences,
    max_new_tokens: maxNewTokens,
    families: [...families.entries()].map(([family, c]) => summary(family, c, confidences)),
    overall: summary('overall', total, confidences),
  };
}
