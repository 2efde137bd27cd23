// `bench`: HAMburger and verify mode against baseline on a fixed prompt mix, in one process,
// interleaved (H, B, V, ... per prompt, the order rotating per repetition) so that all three
// see the same machine state.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MODES, type GenerationResult, type Mode } from '../api.js';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';
import { BENCH_PROMPTS, FREE_TEXT_FAMILIES } from './benchPrompts.js';
import { MODEL_OPTIONS, numberFlag, loadEngine } from './requestOptions.js';
import { median, round } from './stats.js';

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

export const BENCH_USAGE = `usage: npm run cli -- bench [--model DIR] [--reps N] [--max-new-tokens N] [--confidence C] [--threads N] [--context N] [--json]`;

interface RepTotals {
  tokens: number;
  /** UTF-8 bytes of the generated text: what compares models with different tokenizers. */
  textBytes: number;
  steps: number;
  kvGenerated: number;
  elapsedMs: number;
  sessionMs: number;
  /** verify: drafts checked and kept, baseline forwards. */
  checked: number;
  accepted: number;
  baselineForwards: number;
  /** Each run's token ids, in prompt order. */
  outputs: number[][];
  /** Each run's tokens and active milliseconds, in prompt order. */
  runs: { tokens: number; steps: number; elapsedMs: number }[];
  /** Each run's time to first token. */
  firstTokenMs: number[];
}

function emptyTotals(): RepTotals {
  return { tokens: 0, textBytes: 0, steps: 0, kvGenerated: 0, elapsedMs: 0, sessionMs: 0, checked: 0, accepted: 0, baselineForwards: 0, outputs: [], runs: [], firstTokenMs: [] };
}

function add(totals: RepTotals, r: GenerationResult): void {
  totals.tokens += r.tokens;
  totals.textBytes += Buffer.byteLength(r.text, 'utf8');
  totals.steps += r.macroSteps;
  totals.kvGenerated += r.kvEntries.generated;
  totals.elapsedMs += r.elapsedMs;
  totals.sessionMs += r.sessionMs;
  totals.checked += r.verification?.checked ?? 0;
  totals.accepted += r.verification?.accepted ?? 0;
  totals.baselineForwards += r.verification?.baselineForwards ?? 0;
  totals.outputs.push(r.tokenIds);
  totals.runs.push({ tokens: r.tokens, steps: r.macroSteps, elapsedMs: r.elapsedMs });
  if (r.firstTokenMs !== undefined) totals.firstTokenMs.push(r.firstTokenMs);
}

/** Tokens per second of one repetition over the prompts at `indices`. */
function tpsOver(t: RepTotals, indices: readonly number[]): number {
  const runs = indices.map((i) => t.runs[i]!);
  return (runs.reduce((n, r) => n + r.tokens, 0) * 1000) / runs.reduce((ms, r) => ms + r.elapsedMs, 0);
}

function perMode<T>(make: () => T): Record<Mode, T> {
  return { hamburger: make(), baseline: make(), verify: make() };
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
  const engine = await loadEngine(values.model ?? DEFAULT_MODEL_DIR, values);
  try {
    // One untimed pass per mode: first runs pay for lazy initialisation inside the runtime.
    for (const mode of MODES) await runOnce(engine, mode, BENCH_PROMPTS[0]!.prompt, 16, confidence);
    const perRep = perMode<RepTotals[]>(() => []);
    const tps = (t: RepTotals): number => (t.tokens * 1000) / t.elapsedMs;
    const bytesPerSecond = (t: RepTotals): number => (t.textBytes * 1000) / t.elapsedMs;
    for (let rep = 0; rep < reps; rep++) {
      const totals = perMode(emptyTotals);
      const order = MODES.map((_, i) => MODES[(i + rep) % MODES.length]!);
      for (const { prompt } of BENCH_PROMPTS) {
        for (const mode of order) add(totals[mode], await runOnce(engine, mode, prompt, maxNewTokens, confidence));
      }
      for (const mode of MODES) perRep[mode].push(totals[mode]);
      if (!values.json) console.error(`rep ${rep + 1}/${reps}: ${MODES.map((m) => `${m} ${round(tps(totals[m]), 1)} tok/s`).join(', ')}`);
    }
    const overhead = (t: RepTotals): number => 1 - t.sessionMs / t.elapsedMs;
    const hamburgerTps = median(perRep.hamburger.map(tps));
    const baselineTps = median(perRep.baseline.map(tps));
    const verifyTps = median(perRep.verify.map(tps));
    const h0 = perRep.hamburger[0]!;
    const b0 = perRep.baseline[0]!;
    const v0 = perRep.verify[0]!;
    const tokensPerStep = h0.tokens / h0.steps;
    // Time to first token: the median over every run of the mode (prompts and repetitions).
    const firstTokenMs = (mode: Mode): number => round(median(perRep[mode].flatMap((t) => t.firstTokenMs)), 3);
    // Over a subset of the prompts: the median over repetitions of each mode's tokens/s.
    const tpsAt = (mode: Mode, indices: readonly number[]): number => median(perRep[mode].map((t) => tpsOver(t, indices)));
    const ratioOver = (indices: readonly number[]): number => tpsAt('hamburger', indices) / tpsAt('baseline', indices);
    const structured = BENCH_PROMPTS.flatMap(({ family }, i) => (FREE_TEXT_FAMILIES.has(family) ? [] : [i]));
    const families = BENCH_PROMPTS.map(({ family }, i) => ({
      family,
      tokens_per_step: round(h0.runs[i]!.tokens / h0.runs[i]!.steps, 4),
      hamburger_tokens: h0.runs[i]!.tokens,
      baseline_tokens: b0.runs[i]!.tokens,
      hamburger_tps: round(tpsAt('hamburger', [i]), 2),
      baseline_tps: round(tpsAt('baseline', [i]), 2),
      tps_ratio: round(ratioOver([i]), 4),
    }));
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
      structured_tps_ratio: round(ratioOver(structured), 4),
      hamburger_text_bytes_per_s: round(median(perRep.hamburger.map(bytesPerSecond)), 1),
      baseline_text_bytes_per_s: round(median(perRep.baseline.map(bytesPerSecond)), 1),
      baseline_bytes_per_token: round(b0.textBytes / b0.tokens, 4),
      kv_ratio: round(h0.kvGenerated / h0.tokens / (b0.kvGenerated / b0.tokens), 4),
      tokens_per_step: round(tokensPerStep, 4),
      tps_ratio_target: round(0.75 * tokensPerStep, 4),
      engine_overhead: round(median(perRep.hamburger.map(overhead)), 4),
      baseline_engine_overhead: round(median(perRep.baseline.map(overhead)), 4),
      hamburger_tokens: h0.tokens,
      baseline_tokens: b0.tokens,
      hamburger_first_token_ms: firstTokenMs('hamburger'),
      baseline_first_token_ms: firstTokenMs('baseline'),
      verify_first_token_ms: firstTokenMs('verify'),
      verify_tps: round(verifyTps, 2),
      verify_tps_ratio: round(verifyTps / baselineTps, 4),
      verify_baseline_forwards_per_token: round(v0.baselineForwards / v0.tokens, 4),
      verify_acceptance_rate: round(v0.accepted / v0.checked, 4),
      verify_mean_accepted_prefix: round(v0.accepted / v0.baselineForwards, 4),
      // Greedy verify must give the baseline's tokens; anything else is a bug.
      verify_matches_baseline: v0.outputs.every((ids, i) => sameIds(ids, b0.outputs[i]!)),
      verify_tokens: v0.tokens,
      families,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, threads: engine.info.threads },
    };
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(`HAMburger ${report.hamburger_tps} tok/s vs baseline ${report.baseline_tps} tok/s: ratio ${report.tps_ratio} (target >= ${report.tps_ratio_target})`);
      console.log(`structured prompts only: ratio ${report.structured_tps_ratio} · per prompt: ${families.map((f) => `${f.family} ${f.tps_ratio} at ${f.tokens_per_step}`).join(', ')}`);
      console.log(`text: HAMburger ${report.hamburger_text_bytes_per_s} bytes/s vs baseline ${report.baseline_text_bytes_per_s} bytes/s · ${report.baseline_bytes_per_token} bytes per baseline token`);
      console.log(`tokens/step ${report.tokens_per_step} · KV entries per token vs baseline ${report.kv_ratio} · engine overhead ${report.engine_overhead} (baseline ${report.baseline_engine_overhead})`);
      console.log(`first token: HAMburger ${report.hamburger_first_token_ms} ms · baseline ${report.baseline_first_token_ms} ms · verify ${report.verify_first_token_ms} ms`);
      console.log(
        `verify ${report.verify_tps} tok/s: ratio ${report.verify_tps_ratio} vs baseline · ${report.verify_baseline_forwards_per_token} baseline forwards per token · ` +
          `drafts kept ${report.verify_acceptance_rate} · output ${report.verify_matches_baseline ? 'equals' : 'DIFFERS FROM'} baseline`,
      );
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
