// `kv-cost`: what one decoding step costs as the KV cache grows. For each cache size P it
// fills the cache with a raw prompt of P digits (one token each), then times single-token
// steps (base forward only: baseline mode) and reports the median per step.
import { parseArgs } from 'node:util';
import type { Mode } from '../api.js';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { MODEL_OPTIONS, loadEngine } from './requestOptions.js';
import { median, round } from './stats.js';

export const KV_COST_USAGE = `usage: npm run cli -- kv-cost [--model DIR] [--sizes 100,500,1000] [--steps N] [--threads N] [--context N] [--json]`;

export async function kvCostCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...MODEL_OPTIONS, sizes: { type: 'string' }, steps: { type: 'string' } }, strict: true });
  if (values.help) {
    console.log(KV_COST_USAGE);
    return 0;
  }
  const engine = await loadEngine(values.model ?? DEFAULT_MODEL_DIR, values);
  try {
    const context = engine.info.limits.context;
    const steps = Number(values.steps ?? 20);
    const sizes = (values.sizes ?? '100,500,1000').split(',').map(Number);
    const rows: Record<string, number>[] = [];
    for (const size of sizes) {
      const promptTokens = Math.min(size, context - steps - 1);
      const prompt = Array.from({ length: promptTokens }, (_, i) => String(i % 10)).join('');
      const row: Record<string, number> = { entries: promptTokens };
      for (const mode of ['baseline', 'hamburger'] as Mode[]) {
        const baseMs: number[] = [];
        const stepMs: number[] = [];
        let prefillMs = 0;
        await engine.generate({ prompt, chatTemplate: false, mode, confidence: 1, maxNewTokens: steps + 1 }, (event) => {
          if (event.type !== 'macro') return;
          if (event.step.index === 0) prefillMs = event.step.timings.baseMs;
          else {
            baseMs.push(event.step.timings.baseMs);
            stepMs.push(event.step.timings.totalMs);
          }
        }).done;
        row[`${mode}_base_ms`] = round(median(baseMs), 3);
        row[`${mode}_step_ms`] = round(median(stepMs), 3);
        row[`${mode}_prefill_ms`] = round(prefillMs, 1);
      }
      rows.push(row);
    }
    if (values.json) console.log(JSON.stringify({ model: engine.info.name, threads: engine.info.threads, steps, rows }));
    else for (const r of rows) console.log(JSON.stringify(r));
  } finally {
    await engine.dispose();
  }
  return 0;
}
