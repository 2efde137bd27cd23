// Every bad input gets its own typed error naming the field, and the engine stays usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineErrorCode } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { recordRun } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

let engine: HamburgerEngine;
let reference: number[];

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
  reference = (await recordRun(engine, { prompt: 'Spell the word house.', maxNewTokens: 8 })).result.tokenIds;
});
afterAll(async () => {
  await engine.dispose();
});

function rejection(input: unknown): EngineError {
  try {
    engine.generate(input, () => undefined);
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('generate accepted the input');
}

const cases: [string, unknown, EngineErrorCode, string][] = [
  ['empty prompt', { prompt: '' }, 'empty_prompt', 'prompt'],
  ['blank prompt', { prompt: ' \n\t ' }, 'empty_prompt', 'prompt'],
  ['prompt not a string', { prompt: 42 }, 'empty_prompt', 'prompt'],
  ['prompt far too long (characters)', { prompt: 'x'.repeat(300_000) }, 'prompt_too_long', 'prompt'],
  ['confidence below 0', { prompt: 'hi', confidence: -0.01 }, 'invalid_confidence', 'confidence'],
  ['confidence above 1', { prompt: 'hi', confidence: 1.5 }, 'invalid_confidence', 'confidence'],
  ['confidence not a number', { prompt: 'hi', confidence: 'high' }, 'invalid_confidence', 'confidence'],
  ['confidence NaN', { prompt: 'hi', confidence: Number.NaN }, 'invalid_confidence', 'confidence'],
  ['max new tokens 0', { prompt: 'hi', maxNewTokens: 0 }, 'invalid_max_new_tokens', 'maxNewTokens'],
  ['max new tokens beyond max_position', { prompt: 'hi', maxNewTokens: 1_000_000 }, 'invalid_max_new_tokens', 'maxNewTokens'],
  ['max new tokens fractional', { prompt: 'hi', maxNewTokens: 2.5 }, 'invalid_max_new_tokens', 'maxNewTokens'],
  ['min new tokens negative', { prompt: 'hi', minNewTokens: -1 }, 'invalid_min_new_tokens', 'minNewTokens'],
  ['min new tokens fractional', { prompt: 'hi', minNewTokens: 1.5 }, 'invalid_min_new_tokens', 'minNewTokens'],
  ['min new tokens above max new tokens', { prompt: 'hi', maxNewTokens: 8, minNewTokens: 9 }, 'invalid_min_new_tokens', 'minNewTokens'],
  ['unknown mode', { prompt: 'hi', mode: 'speculative' }, 'unknown_mode', 'mode'],
  ['temperature 0', { prompt: 'hi', sampling: { kind: 'sample', temperature: 0, topK: 0, topP: 1, seed: 1 } }, 'invalid_sampling', 'sampling.temperature'],
  ['temperature huge', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1e6, topK: 0, topP: 1, seed: 1 } }, 'invalid_sampling', 'sampling.temperature'],
  ['top-p 0', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: 0, topP: 0, seed: 1 } }, 'invalid_sampling', 'sampling.topP'],
  ['top-p above 1', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: 0, topP: 1.2, seed: 1 } }, 'invalid_sampling', 'sampling.topP'],
  ['top-k negative', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: -1, topP: 1, seed: 1 } }, 'invalid_sampling', 'sampling.topK'],
  ['top-k beyond the vocabulary', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: 5000, topP: 1, seed: 1 } }, 'invalid_sampling', 'sampling.topK'],
  ['seed negative', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: 0, topP: 1, seed: -3 } }, 'invalid_sampling', 'sampling.seed'],
  ['seed fractional', { prompt: 'hi', sampling: { kind: 'sample', temperature: 1, topK: 0, topP: 1, seed: 0.5 } }, 'invalid_sampling', 'sampling.seed'],
  ['sampling kind unknown', { prompt: 'hi', sampling: { kind: 'beam' } }, 'invalid_sampling', 'sampling.kind'],
  ['audit not a boolean', { prompt: 'hi', audit: 'yes' }, 'invalid_request', 'audit'],
  ['audit on a baseline run', { prompt: 'hi', mode: 'baseline', audit: true }, 'invalid_request', 'audit'],
  ['audit on a verify run', { prompt: 'hi', mode: 'verify', audit: true }, 'invalid_request', 'audit'],
  ['unknown request field', { prompt: 'hi', temprature: 2 }, 'invalid_request', 'temprature'],
  ['not an object', 'hello', 'invalid_request', ''],
];

describe('input checking', () => {
  it.each(cases)('%s', async (_, input, code, field) => {
    const error = rejection(input);
    expect(error.code).toBe(code);
    expect(error.field ?? '').toBe(field);
    expect(error.message.length).toBeGreaterThan(5);
    expect(engine.busy).toBe(false);
    const after = await recordRun(engine, { prompt: 'Spell the word house.', maxNewTokens: 8 });
    expect(after.result.tokenIds).toEqual(reference);
  });

  it('a prompt beyond max_position tokens is refused with the limit in tokens', () => {
    const limit = engine.info.limits.maxPromptTokens;
    const error = rejection({ prompt: '1'.repeat(limit + 1) });
    expect(error.code).toBe('prompt_too_long');
    expect(error.limit).toBe(`<= ${limit} tokens`);
    expect(error.message).toContain(String(limit));
  });

  it('the range error of max new tokens names the limit', () => {
    const error = rejection({ prompt: 'hi', maxNewTokens: 0 });
    expect(error.limit).toBe(`1..${engine.info.limits.maxNewTokens}`);
  });

  it('a second generation while one runs is refused as busy; the first goes on unharmed', async () => {
    const first = engine.generate({ prompt: 'Spell the word house.', maxNewTokens: 8, startPaused: true }, () => undefined);
    const error = rejection({ prompt: 'another' });
    expect(error.code).toBe('busy');
    engine.control('resume', first.runId);
    const result = await first.done;
    expect(result.tokenIds).toEqual(reference);
  });

  it('control with no run, or for another run, is refused as no_run', () => {
    expect(() => engine.control('pause')).toThrow(expect.objectContaining({ code: 'no_run' }));
    const handle = engine.generate({ prompt: 'hi', maxNewTokens: 2, startPaused: true }, () => undefined);
    expect(() => engine.control('pause', 'run-elsewhere')).toThrow(expect.objectContaining({ code: 'no_run' }));
    expect(() => engine.control('rewind')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    engine.control('cancel', handle.runId);
    return handle.done;
  });

  it('accepts the boundary values', async () => {
    for (const confidence of [0, 1, null]) {
      const { result } = await recordRun(engine, { prompt: 'hi', confidence, maxNewTokens: 1 });
      expect(result.tokens).toBe(1);
    }
    const sampled = await recordRun(engine, {
      prompt: 'hi',
      maxNewTokens: 3,
      sampling: { kind: 'sample', temperature: 10, topK: engine.info.architecture.vocabSize, topP: 1, seed: 0xffff_ffff },
    });
    expect(sampled.result.tokens).toBe(3);
  });
});
