// The context a load asks for: KV caches that start small and grow as a run needs them give
// exactly the tokens and probabilities of caches that never grow; a run ends at the context
// it was given; a context the package or the memory budget cannot give is a named error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequestInput, MacroStep } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { recordRun } from '../support/runRecorder.js';
import { goldenTraceFiles, MODEL_DIR, readGoldenTrace } from '../support/shippedModel.js';

let fixed: HamburgerEngine;

beforeAll(async () => {
  fixed = await HamburgerEngine.load(MODEL_DIR, { kvInitialRows: 1024 });
});
afterAll(async () => {
  await fixed.dispose();
});

/** What a step computed, without its timings and the caches' reserved memory (which is what differs). */
function computed(step: MacroStep): unknown {
  const { timings: _timings, totals, micro, ...rest } = step;
  const memory = totals.memory === undefined ? undefined : { ...totals.memory, kvReservedBytes: 0 };
  return {
    ...rest,
    micro: micro.map(({ ms: _ms, ...m }) => m),
    totals: { ...totals, elapsedMs: 0, tokensPerSecond: 0, firstTokenMs: 0, memory, verification: totals.verification === undefined ? undefined : { ...totals.verification, baselineMs: 0 } },
    verification: step.verification === undefined ? undefined : { ...step.verification, baselineMs: 0 },
  };
}

async function loadError(options: Parameters<typeof HamburgerEngine.load>[1]): Promise<EngineError> {
  const error = await HamburgerEngine.load(MODEL_DIR, options).then(
    async (engine) => {
      await engine.dispose();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

describe('KV caches that grow', () => {
  const requests: [string, GenerateRequestInput][] = [
    ...goldenTraceFiles().map((file): [string, GenerateRequestInput] => {
      const golden = readGoldenTrace(file);
      return [`golden ${golden.id}`, { prompt: golden.prompt, mode: golden.mode, confidence: golden.confidence, maxNewTokens: golden.max_new_tokens }];
    }),
    ['an audited run', { prompt: 'Make a JSON object with pet = owl, score = 11.', audit: true, maxNewTokens: 64 }],
    ['a verify run (the verifier truncates rejected drafts, then grows)', { prompt: 'Count from 1 to 40.', mode: 'verify', confidence: 0.5, maxNewTokens: 120 }],
    ['a sampled run', { prompt: 'Write about the city.', sampling: { kind: 'sample', temperature: 1, topK: 0, topP: 0.9, seed: 7 }, maxNewTokens: 80 }],
  ];

  it.each(requests)('%s gives the same steps as caches that never grow', async (_, request) => {
    const a = await recordRun(fixed, request);
    // A fresh engine whose caches hold one row: the prefill grows them to the prompt, the
    // first step to twice that, and so on (caches keep their rows from one run to the next).
    const growing = await HamburgerEngine.load(MODEL_DIR, { kvInitialRows: 1 });
    try {
      const b = await recordRun(growing, request);
      expect(b.result.tokenIds).toEqual(a.result.tokenIds);
      expect(b.steps.map(computed)).toEqual(a.steps.map(computed));
    } finally {
      await growing.dispose();
    }
  });
});

describe('the context of a load', () => {
  it('is the package\'s max_position unless asked, and as asked', async () => {
    expect(fixed.info.limits).toEqual({ context: fixed.info.architecture.maxPosition, maxPromptTokens: fixed.info.architecture.maxPosition - 1, maxNewTokens: fixed.info.architecture.maxPosition - 1 });
    const small = await HamburgerEngine.load(MODEL_DIR, { context: 48 });
    try {
      expect(small.info.limits).toEqual({ context: 48, maxPromptTokens: 47, maxNewTokens: 47 });
      expect(() => small.generate({ prompt: 'x '.repeat(60), chatTemplate: false }, () => undefined)).toThrow(
        expect.objectContaining({ code: 'prompt_too_long', field: 'prompt', limit: '<= 47 tokens' }),
      );
      expect(() => small.generate({ prompt: 'hi', maxNewTokens: 60 }, () => undefined)).toThrow(expect.objectContaining({ code: 'invalid_max_new_tokens', limit: '1..47' }));

      // End of sequence held off: the context is what ends the run, at exactly its last position.
      const prompt = 'Count from 1 to 9.';
      const promptTokens = small.encodePrompt(prompt).tokenIds.length;
      const { result, steps } = await recordRun(small, { prompt, confidence: 0, maxNewTokens: 47, minNewTokens: 47 });
      expect(result.finishReason).toBe('context_full');
      expect(result.tokens).toBe(48 - promptTokens);
      expect(result.kvEntries.prompt).toBe(promptTokens);
      expect(steps.at(-1)!.positionId).toBeLessThanOrEqual(47);
      expect(result.memory).toMatchObject({ contextUsed: 48, contextLimit: 48 });
      // Reserved grows with the run and stays within the context; used is what the rows hold.
      const a = small.info.architecture;
      const rowBytes = a.numLayers * a.numKvHeads * a.headDim * 2 * 4;
      expect(result.memory!.kvReservedBytes).toBeLessThanOrEqual(3 * 48 * rowBytes + 2 * (a.maxSteps + a.featureLayers.length) * a.microLayers * a.numKvHeads * a.headDim * 4);
      expect(result.memory!.kvUsedBytes).toBeLessThanOrEqual(result.memory!.kvReservedBytes);
      // Base rows are KV entries, not positions: smashed groups take one row each.
      expect(result.memory!.kvUsedBytes).toBeGreaterThanOrEqual(result.kvEntries.prompt * rowBytes);
      expect(result.memory!.kvUsedBytes).toBeLessThan(48 * rowBytes);
    } finally {
      await small.dispose();
    }
  });

  it('above the package\'s max_position is a named error', async () => {
    const error = await loadError({ context: 4096 });
    expect(error).toMatchObject({ code: 'context_too_large', field: 'context', limit: '2..1024' });
    expect((await loadError({ context: 1 })).code).toBe('context_too_large');
  });

  it('is lowered to what the memory budget holds when not asked, and a named error when asked for more', async () => {
    const a = fixed.info.architecture;
    // A run holds at most two caches that grow with the context: its decoder's and the verifier's.
    const perPosition = 2 * a.numLayers * a.numKvHeads * a.headDim * 2 * 4;
    const capped = await HamburgerEngine.load(MODEL_DIR, { kvBudgetBytes: perPosition * 300 });
    try {
      expect(capped.info.limits.context).toBe(300);
    } finally {
      await capped.dispose();
    }
    // Three runs at once share the budget.
    const shared = await HamburgerEngine.load(MODEL_DIR, { kvBudgetBytes: perPosition * 300, runs: 3 });
    try {
      expect(shared.info.limits.context).toBe(100);
    } finally {
      await shared.dispose();
    }
    const error = await loadError({ kvBudgetBytes: perPosition * 300, context: 600 });
    expect(error).toMatchObject({ code: 'context_too_large', field: 'context', limit: '<= 300 positions on this machine' });
    expect(error.message).toContain('a context of 600 positions needs');
  });
});
