// Time to first token (docs/engine.md, "Time to first token"): the active time from macro step
// 0's start to the run's first emitted token, carried by every step's totals and the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MacroStep } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { recordRun } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROMPT = 'Count from 1 to 20.';
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

/** Every step's totals carry the result's figure, set once by step 0. */
function expectCarried(steps: readonly MacroStep[], firstTokenMs: number | undefined): void {
  expect(firstTokenMs).toBeGreaterThan(0);
  expect(steps.map((s) => s.totals.firstTokenMs)).toEqual(steps.map(() => firstTokenMs));
}

describe('time to first token', () => {
  it.each(['hamburger', 'baseline'] as const)('%s: prefill and micro step 0, inside step 0', async (mode) => {
    const { result, steps } = await recordRun(engine, { prompt: PROMPT, mode, maxNewTokens: 24 });
    expectCarried(steps, result.firstTokenMs);
    const t = steps[0]!.timings;
    // The prompt's embedding lookup, its base forward (the prefill) and the first token's choice.
    expect(result.firstTokenMs!).toBeGreaterThanOrEqual(t.embedMs + t.baseMs + steps[0]!.micro[0]!.ms);
    expect(result.firstTokenMs!).toBeLessThanOrEqual(t.totalMs);
    expect(result.prefillMs).toBe(t.baseMs);
  });

  it("verify: the first token comes out after step 0's drafts and the baseline's check", async () => {
    const { result, steps } = await recordRun(engine, { prompt: PROMPT, mode: 'verify', confidence: 0.5, maxNewTokens: 24 });
    expectCarried(steps, result.firstTokenMs);
    const t = steps[0]!.timings;
    expect(result.firstTokenMs!).toBeGreaterThanOrEqual(t.embedMs + t.baseMs + t.microMs + steps[0]!.verification!.baselineMs);
    expect(result.firstTokenMs!).toBeLessThanOrEqual(t.totalMs);
  });

  it('a run cancelled before its first token has none', async () => {
    const handle = engine.generate({ prompt: PROMPT, startPaused: true }, () => undefined);
    engine.control('cancel', handle.runId);
    const result = await handle.done;
    expect(result.finishReason).toBe('cancelled');
    expect(result.tokens).toBe(0);
    expect(result.firstTokenMs).toBeUndefined();
  });
});
