// Two evaluation reports of the same held-out examples (`eval --confidences ... --examples
// --json`), e.g. a candidate package against the shipped one: per family, B's accuracy minus
// A's at one confidence level, with the paired 95% interval, for HAMburger and for the
// baseline. Two variants of one model disagree on few examples, so pairing them judges
// differences that two separate accuracies cannot.
// Usage: npm run compare -- A.json B.json [--level 0.9]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { levelKey } from '../engine/cli/confidenceSweep.js';
import { formatDifference, pairedDifference, type AccuracyDifference } from '../engine/cli/pairedDifference.js';

const outcomeSchema = z.object({ id: z.string(), family: z.string(), baseline: z.boolean(), hamburger: z.record(z.string(), z.boolean()) });
const reportSchema = z.object({ confidences: z.array(z.number()), examples: z.array(outcomeSchema).min(1) });
type Report = z.infer<typeof reportSchema>;
type Outcome = z.infer<typeof outcomeSchema>;

export function parseReport(name: string, json: unknown): Report {
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${name} is not a report with per-example outcomes (write it with eval --confidences ... --examples --json): ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

/** B minus A over pairs of outcomes of one example. */
function difference(pairs: readonly [boolean, boolean][]): AccuracyDifference {
  const count = (a: boolean, b: boolean): number => pairs.filter(([x, y]) => x === a && y === b).length;
  return pairedDifference({ both: count(true, true), firstOnly: count(false, true), secondOnly: count(true, false), neither: count(false, false) });
}

const percent = (pairs: readonly [boolean, boolean][], side: 0 | 1): string =>
  `${((100 * pairs.filter((p) => p[side]).length) / pairs.length).toFixed(1)}%`;

export function compareReports(a: Report, b: Report, level: number): string {
  const key = levelKey(level);
  for (const [name, report] of [['A', a], ['B', b]] as const) {
    if (!report.confidences.includes(level)) throw new Error(`report ${name} has no confidence level ${key}; it has ${report.confidences.map(levelKey).join(', ')}`);
  }
  const byId = new Map(a.examples.map((e) => [e.id, e]));
  const missing = b.examples.filter((e) => !byId.has(e.id)).length;
  if (missing > 0 || a.examples.length !== b.examples.length) {
    throw new Error(`the reports cover different examples (A ${a.examples.length}, B ${b.examples.length}, ${missing} of B's not in A): evaluate both on one held-out file and --limit`);
  }
  const families = new Map<string, [Outcome, Outcome][]>();
  for (const eb of b.examples) {
    const pairs = families.get(eb.family) ?? [];
    families.set(eb.family, pairs);
    pairs.push([byId.get(eb.id)!, eb]);
  }
  const rows = [...families.entries(), ['overall', [...families.values()].flat()] as const];
  const lines = [
    `B minus A on the same examples at confidence ${key}, in points, with a 95% interval (Newcombe, paired):`,
    '',
    `| family | n | HAMburger A | HAMburger B | B - A | baseline A | baseline B | B - A |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [family, pairs] of rows) {
    const ham = pairs.map(([ea, eb]): [boolean, boolean] => [ea.hamburger[key]!, eb.hamburger[key]!]);
    const base = pairs.map(([ea, eb]): [boolean, boolean] => [ea.baseline, eb.baseline]);
    lines.push(
      `| ${family} | ${pairs.length} | ${percent(ham, 0)} | ${percent(ham, 1)} | ${formatDifference(difference(ham))} | ` +
        `${percent(base, 0)} | ${percent(base, 1)} | ${formatDifference(difference(base))} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { level: { type: 'string', default: '0.9' } }, allowPositionals: true });
  if (positionals.length !== 2) throw new Error('usage: npm run compare -- A.json B.json [--level 0.9]');
  const level = Number(values.level);
  if (!(level >= 0 && level <= 1)) throw new Error(`--level must be a confidence level in [0, 1], got "${values.level}"`);
  const read = async (file: string): Promise<Report> => {
    const text = await readFile(file, 'utf8');
    try {
      return parseReport(file, JSON.parse(text));
    } catch (error) {
      if (error instanceof SyntaxError) throw new Error(`${file} is not JSON (${error.message})`);
      throw error;
    }
  };
  const [a, b] = await Promise.all(positionals.map(read));
  console.log(compareReports(a!, b!, level));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
