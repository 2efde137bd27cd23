// `bench`: HAMburger against baseline on a fixed prompt mix, in one process, interleaved
// (H, B, H, B, ... per prompt and repetition) so that both see the same machine state.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { GenerationResult, Mode } from '../api.js';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';
import { BENCH_PROMPTS } from './benchPrompts.js';
import { MODEL_OPTIONS, numberFlag, threadsFlag } from './requestOptions.js';
import { median, round } from './stats.js';

export const BENCH_USAGE = `usage: npm run cli -- bench [--model DIR] [--reps N] [--max-new-tokens N] [--confidence C] [--threads N] [--json]`;

interface RepTotals {
  tokens: number;
  steps: number;
  kvGenerated: number;
  elapsedMs: number;
  sessionMs: number;
}

function emptyTotals(): RepTotals {
  return { tokens: 0, steps: 0, kvGenerated: 0, elapsedMs: 0, sessionMs: 0 };
}

function add(totals: RepTotals, r: GenerationResult): void {
  totals.tokens += r.tokens;
  totals.steps += r.macroSteps;
  totals.kvGenerated += r.kvEntries.generated;
  totals.elapsedMs += r.elapsedMs;
  totals.sessionMs += r.sessionMs;
}

async function runOnce(engine: HamburgerEngine, mode: Mode, prompt: string, maxNewTokens: number, confidence: number | undefined): Promise<GenerationResult> {
  const request = confidence === undefined ? { prompt, mode, maxNewTokens } : { prompt, mode, maxNewTokens, confidence };
  return engine.generate(request, () => undefined).done;
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...MODEL_OPTIONS, reps: { type: 'string' }, 'max-new-tokens': { type: 'string' }, confidence: { type: 'string' } },
    strict: true,
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const reps = numberFlag(values, 'reps') ?? 5;
  if (!Number.isInteger(reps) || reps < 1) throw new EngineError('invalid_request', `--reps must be a positive integer, got ${reps}`, { field: 'reps' });
  const maxNewTokens = numberFlag(values, 'max-new-tokens') ?? 128;
  const confidence = numberFlag(values, 'confidence');
  const threads = threadsFlag(values);
  const engine = await HamburgerEngine.load(values.model ?? DEFAULT_MODEL_DIR, threads === undefined ? {} : { threads });
  try {
    // One untimed pass per mode: first runs pay for lazy initialisation inside the runtime.
    for (const mode of ['hamburger', 'baseline'] as const) await runOnce(engine, mode, BENCH_PROMPTS[0]!.prompt, 16, confidence);
    const perRep: Record<Mode, RepTotals[]> = { hamburger: [], baseline: [] };
    for (let rep = 0; rep < reps; rep++) {
      const totals: Record<Mode, RepTotals> = { hamburger: emptyTotals(), baseline: emptyTotals() };
      for (const { prompt } of BENCH_PROMPTS) {
        const order: Mode[] = rep % 2 === 0 ? ['hamburger', 'baseline'] : ['baseline', 'hamburger'];
        for (const mode of order) add(totals[mode], await runOnce(engine, mode, prompt, maxNewTokens, confidence));
      }
      perRep.hamburger.push(totals.hamburger);
      perRep.baseline.push(totals.baseline);
      if (!values.json) {
        const h = totals.hamburger;
        const b = totals.baseline;
        console.error(`rep ${rep + 1}/${reps}: hamburger ${round((h.tokens * 1000) / h.elapsedMs, 1)} tok/s, baseline ${round((b.tokens * 1000) / b.elapsedMs, 1)} tok/s`);
      }
    }
    const tps = (t: RepTotals): number => (t.tokens * 1000) / t.elapsedMs;
    const overhead = (t: RepTotals): number => 1 - t.sessionMs / t.elapsedMs;
    const hamburgerTps = median(perRep.hamburger.map(tps));
    const baselineTps = median(perRep.baseline.map(tps));
    const h0 = perRep.hamburger[0]!;
    const b0 = perRep.baseline[0]!;
    const tokensPerStep = h0.tokens / h0.steps;
    const report = {
      model: engine.info.name,
      baseline_decoder: engine.info.baseline,
      prompts: BENCH_PROMPTS.length,
      reps,
      max_new_tokens: maxNewTokens,
      confidence: confidence ?? engine.info.defaults.confidence,
      hamburger_tps: round(hamburgerTps, 2),
      baseline_tps: round(baselineTps, 2),
      tps_ratio: round(hamburgerTps / baselineTps, 4),
      kv_ratio: round(h0.kvGenerated / h0.tokens / (b0.kvGenerated / b0.tokens), 4),
      tokens_per_step: round(tokensPerStep, 4),
      tps_ratio_target: round(0.75 * tokensPerStep, 4),
      engine_overhead: round(median(perRep.hamburger.map(overhead)), 4),
      baseline_engine_overhead: round(median(perRep.baseline.map(overhead)), 4),
      hamburger_tokens: h0.tokens,
      baseline_tokens: b0.tokens,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, threads: engine.info.threads },
    };
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(`HAMburger ${report.hamburger_tps} tok/s vs baseline ${report.baseline_tps} tok/s: ratio ${report.tps_ratio} (target >= ${report.tps_ratio_target})`);
      console.log(`tokens/step ${report.tokens_per_step} · KV entries per token vs baseline ${report.kv_ratio} · engine overhead ${report.engine_overhead} (baseline ${report.baseline_engine_overhead})`);
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
