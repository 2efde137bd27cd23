// `eval`: the held-out task split through the engine, baseline and HAMburger greedy, exact
// match per family; computed as training/hamburger/evaluate.py does, so the numbers agree.
// HAMburger runs audited (the baseline's agreement with its tokens), and verify mode runs too:
// its accuracy must equal the baseline's, since its output is the baseline's.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { EngineError } from '../errors.js';
import { confidenceSweep, differenceTable, levelKey, parseConfidences, type SweepReport } from './confidenceSweep.js';
import { answerBudget, EVAL_MAX_NEW_TOKENS, firstPerFamily, isExactMatch, readHeldout, type HeldoutExample } from './heldoutSet.js';
import { differenceOfCounts, formatDifference } from './pairedDifference.js';
import { MODEL_OPTIONS, numberFlag, loadEngine } from './requestOptions.js';
import { round } from './stats.js';

export const EVAL_USAGE = `usage: npm run cli -- eval [--model DIR] [--confidence C | --confidences C1,C2,... [--examples]] [--limit N] [--max-new-tokens N] [--file JSONL] [--threads N] [--context N] [--json]`;

interface FamilyCounts {
  n: number;
  baselineCorrect: number;
  hamburgerCorrect: number;
  /** Examples HAMburger gets right and the baseline wrong, and the reverse: the discordant pairs. */
  hamburgerOnly: number;
  baselineOnly: number;
  tokens: number;
  steps: number;
  verifyCorrect: number;
  /** Examples whose verify output is token for token the baseline's. */
  verifyMatches: number;
  verifyTokens: number;
  verifyDrafts: number;
  verifyKept: number;
  verifyForwards: number;
  auditChecked: number;
  auditAgreed: number;
  auditAccepted: number;
}

function emptyCounts(): FamilyCounts {
  return {
    n: 0, baselineCorrect: 0, hamburgerCorrect: 0, hamburgerOnly: 0, baselineOnly: 0, tokens: 0, steps: 0, verifyCorrect: 0, verifyMatches: 0, verifyTokens: 0,
    verifyDrafts: 0, verifyKept: 0, verifyForwards: 0, auditChecked: 0, auditAgreed: 0, auditAccepted: 0,
  };
}

function summary(family: string, c: FamilyCounts): Record<string, string | number> {
  return {
    family,
    n: c.n,
    baseline_accuracy: c.baselineCorrect / c.n,
    hamburger_accuracy: c.hamburgerCorrect / c.n,
    hamburger_only: c.hamburgerOnly,
    baseline_only: c.baselineOnly,
    tokens_per_step: c.tokens / c.steps,
    kv_per_token: c.steps / c.tokens,
    verify_accuracy: c.verifyCorrect / c.n,
    verify_matches_baseline: c.verifyMatches / c.n,
    verify_acceptance_rate: c.verifyKept / c.verifyDrafts,
    verify_baseline_forwards_per_token: c.verifyForwards / c.verifyTokens,
    audit_agreement_rate: c.auditAgreed / c.auditChecked,
    // audit steps are HAMburger's macro steps
    audit_mean_accepted_prefix: c.auditAccepted / c.steps,
  };
}

function sweepTable(sweep: SweepReport): string {
  const levels = sweep.confidences.map(levelKey);
  const lines = [
    `| family | n | baseline acc |${levels.map((c) => ` acc @${c} | tokens/step @${c} |`).join('')}`,
    `|---|---|---|${levels.map(() => '---|---|').join('')}`,
  ];
  for (const row of [...sweep.families, sweep.overall]) {
    const cells = levels.map((c) => ` ${round(100 * Number(row[`hamburger_accuracy@${c}`]), 1)}% | ${round(Number(row[`tokens_per_step@${c}`]), 2)} |`);
    lines.push(`| ${row.family} | ${row.n} | ${round(100 * Number(row.baseline_accuracy), 1)}% |${cells.join('')}`);
  }
  return lines.join('\n');
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...MODEL_OPTIONS, confidence: { type: 'string' }, confidences: { type: 'string' }, limit: { type: 'string' }, 'max-new-tokens': { type: 'string' }, file: { type: 'string' }, examples: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    console.log(EVAL_USAGE);
    return 0;
  }
  if (values.examples && (values.confidences === undefined || !values.json)) {
    throw new EngineError('invalid_request', '--examples adds each example of a confidence sweep to its JSON report: give --confidences and --json too', { field: 'examples' });
  }
  const modelDir = values.model ?? DEFAULT_MODEL_DIR;
  const limit = numberFlag(values, 'limit') ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new EngineError('invalid_request', `--limit must be an integer >= 0, got ${limit}`, { field: 'limit' });
  const explicitBudget = numberFlag(values, 'max-new-tokens');
  const maxNewTokens = explicitBudget ?? EVAL_MAX_NEW_TOKENS;
  const engine = await loadEngine(modelDir, values);
  try {
    const confidence = numberFlag(values, 'confidence') ?? engine.info.defaults.confidence;
    // --max-new-tokens is taken as given; the default is raised for answers longer than it.
    const budgetOf = (example: HeldoutExample): number => explicitBudget ?? answerBudget(engine, example.response);
    const examples = firstPerFamily(await readHeldout(values.file ?? path.join(modelDir, 'eval', 'heldout.jsonl')), limit);
    if (values.confidences !== undefined) {
      const sweep = await confidenceSweep(engine, examples, parseConfidences(values.confidences), maxNewTokens, budgetOf, (done) => {
        if (!values.json && done % 25 === 0) console.error(`${done}/${examples.length} examples`);
      }, values.examples);
      if (values.json) console.log(JSON.stringify({ model: engine.info.name, ...sweep }));
      else console.log(`${sweepTable(sweep)}\n\n${differenceTable(sweep)}`);
      return 0;
    }
    const families = new Map<string, FamilyCounts>();
    for (const [i, example] of examples.entries()) {
      const counts = families.get(example.family) ?? emptyCounts();
      families.set(example.family, counts);
      const budget = budgetOf(example);
      const base = await engine.generate({ prompt: example.prompt, mode: 'baseline', maxNewTokens: budget }, () => undefined).done;
      const ham = await engine.generate({ prompt: example.prompt, mode: 'hamburger', maxNewTokens: budget, confidence, audit: true }, () => undefined).done;
      const verified = await engine.generate({ prompt: example.prompt, mode: 'verify', maxNewTokens: budget, confidence }, () => undefined).done;
      counts.n += 1;
      const baseRight = isExactMatch(base.text, example.response);
      const hamRight = isExactMatch(ham.text, example.response);
      counts.baselineCorrect += baseRight ? 1 : 0;
      counts.hamburgerCorrect += hamRight ? 1 : 0;
      counts.hamburgerOnly += hamRight && !baseRight ? 1 : 0;
      counts.baselineOnly += baseRight && !hamRight ? 1 : 0;
      counts.tokens += ham.tokens;
      counts.steps += ham.macroSteps;
      counts.verifyCorrect += isExactMatch(verified.text, example.response) ? 1 : 0;
      counts.verifyMatches += sameIds(verified.tokenIds, base.tokenIds) ? 1 : 0;
      counts.verifyTokens += verified.tokens;
      counts.verifyDrafts += verified.verification?.checked ?? 0;
      counts.verifyKept += verified.verification?.accepted ?? 0;
      counts.verifyForwards += verified.verification?.baselineForwards ?? 0;
      counts.auditChecked += ham.verification?.checked ?? 0;
      counts.auditAgreed += ham.verification?.agreed ?? 0;
      counts.auditAccepted += ham.verification?.accepted ?? 0;
      if (!values.json && (i + 1) % 25 === 0) console.error(`${i + 1}/${examples.length} examples`);
    }
    const total = emptyCounts();
    for (const c of families.values()) {
      for (const key of Object.keys(total) as (keyof FamilyCounts)[]) total[key] += c[key];
    }
    const named = [...families.entries(), ['overall', total] as const];
    const rows = named.map(([family, c]) => summary(family, c));
    const report = { model: engine.info.name, confidence, max_new_tokens: maxNewTokens, families: rows.slice(0, -1), overall: rows.at(-1)! };
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(`| family | n | baseline acc | HAMburger acc @${confidence} | HAMburger - baseline, points [95%] | tokens/step | KV/token | verify acc | verify = baseline | drafts kept | baseline fwd/token | audit agreement | audit prefix/step |`);
      console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
      for (const [i, row] of rows.entries()) {
        const c = named[i]![1];
        const pct = (v: string | number | undefined): string => `${round(100 * Number(v), 1)}%`;
        const num = (v: string | number | undefined): number => round(Number(v), 2);
        console.log(
          `| ${row.family} | ${row.n} | ${pct(row.baseline_accuracy)} | ${pct(row.hamburger_accuracy)} | ${formatDifference(differenceOfCounts(c.n, c.hamburgerCorrect, c.hamburgerOnly, c.baselineOnly))} | ${num(row.tokens_per_step)} | ${num(row.kv_per_token)} | ` +
            `${pct(row.verify_accuracy)} | ${pct(row.verify_matches_baseline)} | ${pct(row.verify_acceptance_rate)} | ${num(row.verify_baseline_forwards_per_token)} | ` +
            `${pct(row.audit_agreement_rate)} | ${num(row.audit_mean_accepted_prefix)} |`,
        );
      }
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
