// `eval`: the held-out task split through the engine, baseline and HAMburger greedy, exact
// match per family; computed as training/hamburger/evaluate.py does, so the numbers agree.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';
import { firstPerFamily, isExactMatch, readHeldout } from './heldoutSet.js';
import { MODEL_OPTIONS, numberFlag, threadsFlag } from './requestOptions.js';
import { round } from './stats.js';

export const EVAL_USAGE = `usage: npm run cli -- eval [--model DIR] [--confidence C] [--limit N] [--max-new-tokens N] [--file JSONL] [--threads N] [--json]`;

/** As EVAL_MAX_NEW_TOKENS of the Python evaluator. */
export const EVAL_MAX_NEW_TOKENS = 192;

interface FamilyCounts {
  n: number;
  baselineCorrect: number;
  hamburgerCorrect: number;
  tokens: number;
  steps: number;
}

function summary(family: string, c: FamilyCounts): Record<string, string | number> {
  return {
    family,
    n: c.n,
    baseline_accuracy: c.baselineCorrect / c.n,
    hamburger_accuracy: c.hamburgerCorrect / c.n,
    tokens_per_step: c.tokens / c.steps,
    kv_per_token: c.steps / c.tokens,
  };
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...MODEL_OPTIONS, confidence: { type: 'string' }, limit: { type: 'string' }, 'max-new-tokens': { type: 'string' }, file: { type: 'string' } },
    strict: true,
  });
  if (values.help) {
    console.log(EVAL_USAGE);
    return 0;
  }
  const modelDir = values.model ?? DEFAULT_MODEL_DIR;
  const limit = numberFlag(values, 'limit') ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new EngineError('invalid_request', `--limit must be an integer >= 0, got ${limit}`, { field: 'limit' });
  const maxNewTokens = numberFlag(values, 'max-new-tokens') ?? EVAL_MAX_NEW_TOKENS;
  const threads = threadsFlag(values);
  const engine = await HamburgerEngine.load(modelDir, threads === undefined ? {} : { threads });
  try {
    const confidence = numberFlag(values, 'confidence') ?? engine.info.defaults.confidence;
    const examples = firstPerFamily(await readHeldout(values.file ?? path.join(modelDir, 'eval', 'heldout.jsonl')), limit);
    const families = new Map<string, FamilyCounts>();
    for (const [i, example] of examples.entries()) {
      const counts = families.get(example.family) ?? { n: 0, baselineCorrect: 0, hamburgerCorrect: 0, tokens: 0, steps: 0 };
      families.set(example.family, counts);
      const base = await engine.generate({ prompt: example.prompt, mode: 'baseline', maxNewTokens }, () => undefined).done;
      const ham = await engine.generate({ prompt: example.prompt, mode: 'hamburger', maxNewTokens, confidence }, () => undefined).done;
      counts.n += 1;
      counts.baselineCorrect += isExactMatch(base.text, example.response) ? 1 : 0;
      counts.hamburgerCorrect += isExactMatch(ham.text, example.response) ? 1 : 0;
      counts.tokens += ham.tokens;
      counts.steps += ham.macroSteps;
      if (!values.json && (i + 1) % 25 === 0) console.error(`${i + 1}/${examples.length} examples`);
    }
    const total: FamilyCounts = { n: 0, baselineCorrect: 0, hamburgerCorrect: 0, tokens: 0, steps: 0 };
    for (const c of families.values()) {
      total.n += c.n;
      total.baselineCorrect += c.baselineCorrect;
      total.hamburgerCorrect += c.hamburgerCorrect;
      total.tokens += c.tokens;
      total.steps += c.steps;
    }
    const report = {
      model: engine.info.name,
      confidence,
      max_new_tokens: maxNewTokens,
      families: [...families.entries()].map(([family, c]) => summary(family, c)),
      overall: summary('overall', total),
    };
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(`| family | n | baseline acc | HAMburger acc @${confidence} | tokens/step | KV/token |`);
      console.log('|---|---|---|---|---|---|');
      for (const row of [...report.families, report.overall]) {
        const pct = (v: string | number): string => `${round(100 * Number(v), 1)}%`;
        console.log(`| ${row.family} | ${row.n} | ${pct(row.baseline_accuracy!)} | ${pct(row.hamburger_accuracy!)} | ${round(Number(row.tokens_per_step), 2)} | ${round(Number(row.kv_per_token), 2)} |`);
      }
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
