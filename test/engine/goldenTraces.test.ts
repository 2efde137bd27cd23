// Parity with the PyTorch reference decoder: every golden trace of the shipped package,
// token ids and groups exactly, probabilities within 1e-4.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HamburgerEngine } from '../../engine/engine.js';
import { goldenTraceFiles, MODEL_DIR, readGoldenTrace } from '../support/shippedModel.js';
import { recordRun } from '../support/runRecorder.js';

const TOLERANCE = 1e-4;
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

const files = goldenTraceFiles();

describe('golden traces', () => {
  it('the package ships golden traces in both modes', () => {
    const modes = new Set(files.map((f) => readGoldenTrace(f).mode));
    expect(files.length).toBeGreaterThan(0);
    expect([...modes].sort()).toEqual(['baseline', 'hamburger']);
  });

  for (const file of files) {
    it(`reproduces ${path.basename(file)}`, async () => {
      const golden = readGoldenTrace(file);
      expect(engine.encodePrompt(golden.prompt).tokenIds).toEqual(golden.prompt_ids);
      const { result, steps } = await recordRun(engine, {
        prompt: golden.prompt,
        mode: golden.mode,
        confidence: golden.confidence,
        maxNewTokens: golden.max_new_tokens,
      });
      expect(result.tokenIds).toEqual(golden.output_ids);
      expect(steps.map((s) => s.tokenIds)).toEqual(golden.steps.map((s) => s.token_ids));
      expect(steps.map((s) => s.positionId)).toEqual(golden.steps.map((s) => s.position_id));
      expect(result.text).toBe(golden.text);
      for (const [i, step] of steps.entries()) {
        const want = golden.steps[i]!;
        for (const [j, micro] of step.micro.entries()) {
          const g = want.micro[j]!;
          expect(micro.tokenId).toBe(g.token_id);
          expect(micro.stopReason).toBe(g.reason);
          expect(Math.abs(micro.prob - g.prob)).toBeLessThan(TOLERANCE);
          if (g.stop_prob === null) expect(micro.stopProb).toBeNull();
          else expect(Math.abs(micro.stopProb! - g.stop_prob)).toBeLessThan(TOLERANCE);
          expect(micro.top.map((t) => t.tokenId)).toEqual(g.top.map(([id]) => id));
          for (const [k, alt] of micro.top.entries()) expect(Math.abs(alt.prob - g.top[k]![1])).toBeLessThan(TOLERANCE);
        }
      }
    });
  }
});
