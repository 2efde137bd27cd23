// `eval --confidences 0.5,0.7,...`: HAMburger at several confidence levels against one
// baseline run per example, in the report format of training/hamburger/evaluate.py (keys
// suffixed `@<level>` as Python prints the float), so that the two can be compared key by
// key and scripts/confidenceCurve.ts can plot either.
import type { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';
import { isExactMatch, type HeldoutExample } from './heldoutSet.js';
import { differenceOfCounts, formatDifference, type AccuracyDifference } from './pairedDifference.js';

/** One held-out example's exact match: the baseline's, and HAMburger's at each level (keyed as levelKey). */
export interface ExampleOutcome {
  id: string;
  family: string;
  baseline: boolean;
  hamburger: Record<string, boolean>;
}

export interface SweepReport {
  confidences: number[];
  max_new_tokens: number;
  families: Record<string, string | number>[];
  overall: Record<string, string | number>;
  /** Per example, when asked for: what a comparison of two reports pairs up. */
  examples?: ExampleOutcome[];
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
  /** Examples HAMburger gets right and the baseline wrong, and the reverse: the discordant pairs. */
  hamburgerOnly: number[];
  baselineOnly: number[];
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
    row[`hamburger_only@${key}`] = c.hamburgerOnly[i]!;
    row[`baseline_only@${key}`] = c.baselineOnly[i]!;
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
  keepExamples = false,
): Promise<SweepReport> {
  const zeros = (): number[] => confidences.map(() => 0);
  const empty = (): Counts => ({ n: 0, baselineCorrect: 0, correct: zeros(), hamburgerOnly: zeros(), baselineOnly: zeros(), tokens: zeros(), steps: zeros() });
  const families = new Map<string, Counts>();
  const outcomes: ExampleOutcome[] = [];
  for (const [i, example] of examples.entries()) {
    const counts = families.get(example.family) ?? empty();
    families.set(example.family, counts);
    const budget = budgetOf(example);
    const base = await engine.generate({ prompt: example.prompt, mode: 'baseline', maxNewTokens: budget }, () => undefined).done;
    counts.n += 1;
    const baseRight = isExactMatch(base.text, example.response);
    counts.baselineCorrect += baseRight ? 1 : 0;
    const outcome: ExampleOutcome = { id: example.id, family: example.family, baseline: baseRight, hamburger: {} };
    for (const [j, confidence] of confidences.entries()) {
      const ham = await engine.generate({ prompt: example.prompt, mode: 'hamburger', maxNewTokens: budget, confidence }, () => undefined).done;
      const right = isExactMatch(ham.text, example.response);
      counts.correct[j]! += right ? 1 : 0;
      counts.hamburgerOnly[j]! += right && !baseRight ? 1 : 0;
      counts.baselineOnly[j]! += baseRight && !right ? 1 : 0;
      outcome.hamburger[levelKey(confidence)] = right;
      counts.tokens[j]! += ham.tokens;
      counts.steps[j]! += ham.macroSteps;
    }
    outcomes.push(outcome);
    progress(i + 1);
  }
  const total = empty();
  for (const c of families.values()) {
    total.n += c.n;
    total.baselineCorrect += c.baselineCorrect;
    confidences.forEach((_, j) => {
      total.correct[j]! += c.correct[j]!;
      total.hamburgerOnly[j]! += c.hamburgerOnly[j]!;
      total.baselineOnly[j]! += c.baselineOnly[j]!;
      total.tokens[j]! += c.tokens[j]!;
      total.steps[j]! += c.steps[j]!;
    });
  }
  return {
    confidences,
    max_new_tokens: maxNewTokens,
    families: [...families.entries()].map(([family, c]) => summary(family, c, confidences)),
    overall: summary('overall', total, confidences),
    ...(keepExamples ? { examples: outcomes } : {}),
  };
}

function numberIn(row: Record<string, unknown>, key: string): number {
  const value = row[key];
  if (typeof value !== 'number') throw new Error(`report row '${String(row.family)}' has no number '${key}' (reports written before the paired counts lack it: evaluate again)`);
  return value;
}

/** A report row's HAMburger-minus-baseline accuracy at one level, with its paired 95% interval. */
function differenceAt(row: Record<string, unknown>, level: number): AccuracyDifference {
  const key = levelKey(level);
  const n = numberIn(row, 'n');
  const correct = Math.round(numberIn(row, `hamburger_accuracy@${key}`) * n);
  return differenceOfCounts(n, correct, numberIn(row, `hamburger_only@${key}`), numberIn(row, `baseline_only@${key}`));
}

/** Markdown: per family, HAMburger's accuracy minus the baseline's at each level, in points. */
export function differenceTable(report: { confidences: number[]; families: Record<string, unknown>[]; overall: Record<string, unknown> }): string {
  const lines = [
    'HAMburger minus baseline on the same examples, in points, with a 95% interval (Newcombe, paired):',
    '',
    `| family | n |${report.confidences.map((c) => ` @${levelKey(c)} |`).join('')}`,
    `|---|---|${report.confidences.map(() => '---|').join('')}`,
  ];
  for (const row of [...report.families, report.overall]) {
    lines.push(`| ${String(row.family)} | ${numberIn(row, 'n')} |${report.confidences.map((c) => ` ${formatDifference(differenceAt(row, c))} |`).join('')}`);
  }
  return lines.join('\n');
}
