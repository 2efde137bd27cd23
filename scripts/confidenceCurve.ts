// The model card's confidence curve: tokens per macro step and exact-match accuracy against
// the confidence level, from an evaluation report with several levels (the engine's
// `eval --json --confidence 0.5,0.7,...` or the Python `evaluate --json`; same keys).
// Usage: npm run curve -- REPORT.json [--svg OUT.svg]   (prints the markdown table, then
// HAMburger's paired difference from the baseline per family and level)
import { writeFile, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as d3 from 'd3';
import { z } from 'zod';
import { differenceTable, levelKey } from '../engine/cli/confidenceSweep.js';

const rowSchema = z.object({ family: z.string(), n: z.number(), baseline_accuracy: z.number() }).catchall(z.unknown());
const reportSchema = z.object({
  confidences: z.array(z.number()).min(2),
  families: z.array(rowSchema).min(1),
  overall: rowSchema,
});
type Report = z.infer<typeof reportSchema>;
type Row = z.infer<typeof rowSchema>;

function figure(row: Row, key: string): number {
  const value = row[key];
  if (typeof value !== 'number') throw new Error(`report row '${row.family}' has no number '${key}'`);
  return value;
}

export function curveTable(report: Report): string {
  const rows = [...report.families, report.overall];
  const head = `| confidence | ${rows.map((r) => r.family).join(' | ')} |`;
  const lines = [head, `|---${'|---'.repeat(rows.length)}|`];
  const cell = (r: Row, c: number): string =>
    `${figure(r, `tokens_per_step@${levelKey(c)}`).toFixed(2)} / ${(100 * figure(r, `hamburger_accuracy@${levelKey(c)}`)).toFixed(0)}%`;
  for (const c of report.confidences) lines.push(`| ${c} | ${rows.map((r) => cell(r, c)).join(' | ')} |`);
  lines.push(`| baseline | ${rows.map((r) => `1.00 / ${(100 * r.baseline_accuracy).toFixed(0)}%`).join(' | ')} |`);
  return lines.join('\n');
}

const WIDTH = 420;
const HEIGHT = 300;
const MARGIN = { top: 28, right: 16, bottom: 40, left: 48 };

/** One panel: a line per family (overall drawn thick) of `key@c` against c. */
function panel(report: Report, key: string, title: string, yMax: number, yFormat: (v: number) => string, x0: number, colour: (family: string) => string): string {
  const rows = [...report.families, report.overall];
  const x = d3.scaleLinear().domain(d3.extent(report.confidences) as [number, number]).range([MARGIN.left, WIDTH - MARGIN.right]);
  const y = d3.scaleLinear().domain([0, yMax]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const line = d3.line<[number, number]>().x(([c]) => x(c)).y(([, v]) => y(v));
  const paths = rows.map((r) => {
    const overall = r === report.overall;
    const points = report.confidences.map((c): [number, number] => [c, figure(r, `${key}@${levelKey(c)}`)]);
    return `<path d="${line(points)}" fill="none" stroke="${overall ? '#111' : colour(r.family)}" stroke-width="${overall ? 3 : 1.5}"><title>${r.family}</title></path>`;
  });
  const xTicks = report.confidences.map((c) => `<g transform="translate(${x(c)},${HEIGHT - MARGIN.bottom})"><line y2="5" stroke="#555"/><text y="18" text-anchor="middle">${c}</text></g>`);
  const yTicks = y.ticks(5).map((v) => `<g transform="translate(${MARGIN.left},${y(v)})"><line x2="${WIDTH - MARGIN.left - MARGIN.right}" stroke="#ddd"/><text x="-6" dy="0.32em" text-anchor="end">${yFormat(v)}</text></g>`);
  return `<g transform="translate(${x0},0)" font-family="sans-serif" font-size="11">
<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${title}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 6}" text-anchor="middle">confidence level</text>
${paths.join('\n')}
</g>`;
}

export function curveSvg(report: Report): string {
  const tokensMax = Math.max(...[...report.families, report.overall].flatMap((r) => report.confidences.map((c) => figure(r, `tokens_per_step@${levelKey(c)}`))));
  const colour = d3.scaleOrdinal<string, string>(d3.schemeTableau10).domain(report.families.map((r) => r.family));
  const legend = [...report.families.map((r) => [r.family, colour(r.family)] as const), ['overall', '#111'] as const].map(
    ([name, c], i) => `<g transform="translate(${2 * WIDTH + 8},${MARGIN.top + i * 18})"><rect width="12" height="12" fill="${c}"/><text x="16" y="10">${name}</text></g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * WIDTH + 110}" height="${HEIGHT}" viewBox="0 0 ${2 * WIDTH + 110} ${HEIGHT}">
<rect width="100%" height="100%" fill="white"/>
${panel(report, 'tokens_per_step', 'Tokens per macro step', tokensMax, (v) => v.toFixed(1), 0, colour)}
${panel(report, 'hamburger_accuracy', 'Exact-match accuracy', 1, (v) => `${Math.round(100 * v)}%`, WIDTH, colour)}
<g font-family="sans-serif" font-size="11">${legend.join('\n')}</g>
</svg>
`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { svg: { type: 'string' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error('usage: npm run curve -- REPORT.json [--svg OUT.svg]');
  const parsed = reportSchema.safeParse(JSON.parse(await readFile(positionals[0]!, 'utf8')));
  if (!parsed.success) throw new Error(`${positionals[0]} is not an evaluation report with 2+ confidence levels: ${parsed.error.message}`);
  console.log(`${curveTable(parsed.data)}\n\n${differenceTable(parsed.data)}`);
  if (values.svg) await writeFile(values.svg, curveSvg(parsed.data));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
