// The position convention (docs/engine.md, "Position convention"): under each one the engine
// gives the reference decoder's tokens on the golden prompts, and the two part where the
// reference says they do. The reference report is test/fixtures/position-conventions.json,
// written by `cd training && .venv/bin/python -m hamburger.position_conventions
// ../models/hamburger-tiny --out ../test/fixtures/position-conventions.json`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POSITION_CONVENTIONS, traceSchema, type MacroStep } from '../../engine/api.js';
import { requestFromFlags } from '../../engine/cli/requestOptions.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { TraceRecorder } from '../../engine/traceRecorder.js';
import { engineThrow } from '../support/engineRejection.js';
import { recordRun } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const TOLERANCE = 1e-4;
const FIXTURE = path.join(import.meta.dirname, '../fixtures/position-conventions.json');

const referenceRunSchema = z.object({
  steps: z.array(z.object({ position_id: z.number(), token_ids: z.array(z.number()), probs: z.array(z.number()) })),
  output_ids: z.array(z.number()),
});
const reportSchema = z.object({
  package: z.string(),
  prompts: z.number(),
  diverging: z.number(),
  first_divergent_steps: z.array(z.number().nullable()),
  rows: z.array(
    z.object({
      golden: z.string(),
      prompt: z.string(),
      prompt_ids: z.array(z.number()),
      confidence: z.number().nullable(),
      max_new_tokens: z.number(),
      first_divergent_step: z.number().nullable(),
      runs: z.object({ last_token: referenceRunSchema, tokens_so_far: referenceRunSchema }),
    }),
  ),
});
const report = reportSchema.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));

/** The first macro step whose tokens differ (a missing step counts); null: the same steps. */
function firstDivergentStep(a: readonly MacroStep[], b: readonly MacroStep[]): number | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]?.tokenIds;
    const y = b[i]?.tokenIds;
    if (x === undefined || y === undefined || x.join() !== y.join()) return i;
  }
  return null;
}

let engine: HamburgerEngine;
beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

describe('position convention', () => {
  it("the reference report is of this package's golden prompts, and the conventions part on most of them", () => {
    expect(report.package).toBe(engine.info.name);
    for (const row of report.rows) expect(engine.encodePrompt(row.prompt).tokenIds).toEqual(row.prompt_ids);
    expect(report.diverging).toBeGreaterThan(report.prompts / 2);
    // Prefill positions are the same under both: step 0 never differs.
    expect(report.first_divergent_steps.every((s) => s === null || s >= 1)).toBe(true);
  });

  for (const row of report.rows) {
    it(`${row.golden}: the reference decoder's tokens under each convention, parting at step ${row.first_divergent_step ?? 'none'}`, async () => {
      const request = { prompt: row.prompt, confidence: row.confidence, maxNewTokens: row.max_new_tokens };
      const runs = {
        last_token: await recordRun(engine, { ...request, positionConvention: 'last_token' }),
        tokens_so_far: await recordRun(engine, { ...request, positionConvention: 'tokens_so_far' }),
      };
      for (const convention of POSITION_CONVENTIONS) {
        const { result, steps } = runs[convention];
        const want = row.runs[convention];
        expect(result.tokenIds).toEqual(want.output_ids);
        expect(steps.map((s) => s.tokenIds)).toEqual(want.steps.map((s) => s.token_ids));
        expect(steps.map((s) => s.positionId)).toEqual(want.steps.map((s) => s.position_id));
        for (const [i, step] of steps.entries()) {
          for (const [j, micro] of step.micro.entries()) expect(Math.abs(micro.prob - want.steps[i]!.probs[j]!)).toBeLessThan(TOLERANCE);
        }
      }
      const parts = firstDivergentStep(runs.last_token.steps, runs.tokens_so_far.steps);
      expect(parts).toBe(row.first_divergent_step);
      // Up to where they part, each group entry sits one position higher; prompt entries stay put.
      const same = parts ?? runs.last_token.steps.length;
      for (let s = 0; s <= Math.min(same, runs.last_token.steps.length - 1); s++) {
        const shift = s === 0 ? 0 : 1;
        const a = runs.last_token.steps[s]!.appended;
        const b = runs.tokens_so_far.steps[s]!.appended;
        expect(b.map((e) => e.positionId)).toEqual(a.map((e) => e.positionId + shift));
        expect(b.map((e) => e.index)).toEqual(a.map((e) => e.index));
      }
    });
  }

  it('baseline mode is plain next-token decoding whatever the setting, and greedy verify still gives its tokens', async () => {
    const request = { prompt: 'Count from 1 to 12.', maxNewTokens: 40, positionConvention: 'tokens_so_far' as const };
    const baseline = await recordRun(engine, { ...request, mode: 'baseline' });
    const plain = await recordRun(engine, { ...request, mode: 'baseline', positionConvention: 'last_token' });
    expect(baseline.result.tokenIds).toEqual(plain.result.tokenIds);
    const started = baseline.events.find((e) => e.type === 'started');
    expect(started?.type === 'started' && started.settings.positionConvention).toBe('last_token');
    const verify = await recordRun(engine, { ...request, mode: 'verify', confidence: 0.5 });
    expect(verify.result.tokenIds).toEqual(baseline.result.tokenIds);
    const verifyStarted = verify.events.find((e) => e.type === 'started');
    expect(verifyStarted?.type === 'started' && verifyStarted.settings.positionConvention).toBe('tokens_so_far');
  });

  it("a trace records the convention, and the trace check places the entries by it", async () => {
    const recorder = new TraceRecorder({ name: engine.info.name, description: '' });
    await engine.generate({ prompt: 'Count from 1 to 9.', confidence: 0.5, maxNewTokens: 30, positionConvention: 'tokens_so_far' }, (e) => recorder.record(e)).done;
    const trace = recorder.trace()!;
    expect(trace.started.settings.positionConvention).toBe('tokens_so_far');
    expect(traceSchema.safeParse(trace).success).toBe(true);
    const relabelled = { ...trace, started: { ...trace.started, settings: { ...trace.started.settings, positionConvention: 'last_token' as const } } };
    const parsed = traceSchema.safeParse(relabelled);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['steps', 1, 'appended', 0, 'positionId']);
  });

  it('the CLI passes --position-convention on, for the engine to check', () => {
    expect(requestFromFlags({ 'position-convention': 'tokens_so_far' }, 'p').positionConvention).toBe('tokens_so_far');
    expect(requestFromFlags({}, 'p').positionConvention).toBeUndefined();
  });

  it('an unknown convention is refused, naming the field and the allowed values', () => {
    const error = engineThrow(() => engine.generate({ prompt: 'hi', positionConvention: 'next_token' }, () => undefined));
    expect(error.code).toBe('invalid_request');
    expect(error.field).toBe('positionConvention');
    expect(error.message).toBe('positionConvention must be one of: last_token, tokens_so_far');
  });
});

describe('position convention at the end of the context', () => {
  it('both conventions run to a full context, the last entry at context - 1 at most', async () => {
    const prompt = 'Count from 1 to 40.';
    const promptTokens = engine.encodePrompt(prompt).tokenIds.length;
    const context = promptTokens + 24;
    const small = await HamburgerEngine.load(MODEL_DIR, { context });
    try {
      const highest: Record<string, number> = {};
      for (const convention of POSITION_CONVENTIONS) {
        // Groups of one token: the context fills exactly, the last group fed at its end.
        const { result, steps } = await recordRun(small, { prompt, maxNewTokens: context - 1, minNewTokens: 24, forcedGroupSizes: [1], positionConvention: convention });
        expect(result.finishReason).toBe('context_full');
        expect(promptTokens + result.tokens).toBe(context);
        highest[convention] = Math.max(...steps.flatMap((s) => s.appended.map((e) => e.positionId)));
      }
      expect(highest).toEqual({ last_token: context - 2, tokens_so_far: context - 1 });
    } finally {
      await small.dispose();
    }
  });
});
