// The engine side of `npm run scale-check` (scripts/scaleProbe.ts), run on the shipped model:
// one JSON object with the load, the memory and each mode's figures, the forced schedule obeyed.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODEL_DIR } from '../support/shippedModel.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('scale probe', () => {
  it('prints the figures scale-check reads, for every mode', async () => {
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const { stdout } = await run(tsx, ['scripts/scaleProbe.ts', '--model', MODEL_DIR, '--forced-groups', '3,1', '--tokens', '12'], { cwd: ROOT });
    const probe = JSON.parse(stdout) as {
      load_ms: number;
      weights_bytes: number;
      peak_rss_hamburger_bytes: number;
      baseline_open_ms: number;
      peak_rss_bytes: number;
      modes: Record<string, { tokens: number; macro_steps: number; tokens_per_second: number; base_step_ms: number; micro_step_ms: number | null; engine_overhead: number; finish_reason: string }>;
    };
    expect(Object.keys(probe.modes)).toEqual(['hamburger', 'baseline', 'verify']);
    expect(probe.peak_rss_bytes).toBeGreaterThan(probe.weights_bytes);
    // The baseline's graphs open after HAMburger's runs: the peak before is the smaller.
    expect(probe.peak_rss_hamburger_bytes).toBeGreaterThan(0);
    expect(probe.peak_rss_hamburger_bytes).toBeLessThanOrEqual(probe.peak_rss_bytes);
    expect(probe.baseline_open_ms).toBeGreaterThan(0);
    expect(probe.load_ms).toBeGreaterThan(0);
    const h = probe.modes['hamburger']!;
    // 12 tokens in groups of 3, 1, 3, 1, ... (min new tokens keeps any stop id off): 6 macro steps.
    expect([h.tokens, h.macro_steps, h.finish_reason]).toEqual([12, 6, 'max_new_tokens']);
    expect(h.micro_step_ms).toBeGreaterThan(0);
    const b = probe.modes['baseline']!;
    expect([b.tokens, b.macro_steps, b.micro_step_ms]).toEqual([12, 12, null]);
    for (const mode of Object.values(probe.modes)) {
      expect(mode.tokens_per_second).toBeGreaterThan(0);
      expect(mode.engine_overhead).toBeGreaterThan(0);
      expect(mode.engine_overhead).toBeLessThan(1);
    }
  });
});
