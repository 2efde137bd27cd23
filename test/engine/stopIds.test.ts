// A package's stop ids: a run ends on any of them, in every mode, and says which; min new
// tokens holds every one of them off; a stop id outside the vocabulary is a manifest error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceSchema, type Mode } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { TraceRecorder } from '../../engine/traceRecorder.js';
import { editManifest, packageCopy, removeCopies } from '../support/packageCopy.js';
import { recordRun } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROMPT = 'Count from 1 to 9.';
let shipped: HamburgerEngine;
let listed: HamburgerEngine;
/** A token the shipped model writes early in its answer to PROMPT, not at its start. */
let stopId: number;
let firstAt: number;

beforeAll(async () => {
  shipped = await HamburgerEngine.load(MODEL_DIR);
  const plain = await recordRun(shipped, { prompt: PROMPT, maxNewTokens: 24 });
  firstAt = 3;
  stopId = plain.result.tokenIds[firstAt]!;
  firstAt = plain.result.tokenIds.indexOf(stopId);
  const dir = await packageCopy();
  await editManifest(dir, (m) => (m['tokens']['stop_ids'] = [m['tokens']['eos_id'], stopId]));
  listed = await HamburgerEngine.load(dir);
});
afterAll(async () => {
  await shipped.dispose();
  await listed.dispose();
  await removeCopies();
});

describe('stop ids', () => {
  it.each(['hamburger', 'baseline', 'verify'] as Mode[])('%s mode ends on the first stop id of the list and names it', async (mode) => {
    const recorder = new TraceRecorder({ name: listed.info.name, description: '' });
    const events: Parameters<typeof recorder.record>[0][] = [];
    const result = await listed.generate({ prompt: PROMPT, mode, confidence: 0.9, maxNewTokens: 24 }, (e) => {
      recorder.record(e);
      events.push(e);
    }).done;
    const alone = await recordRun(shipped, { prompt: PROMPT, mode, confidence: 0.9, maxNewTokens: 24 });
    const at = alone.result.tokenIds.indexOf(stopId);
    expect(at).toBeGreaterThan(0);
    expect(result.finishReason).toBe('eos');
    expect(result.stopTokenId).toBe(stopId);
    expect(result.tokenIds).toEqual(alone.result.tokenIds.slice(0, at + 1));
    expect(traceSchema.safeParse(recorder.trace()).success).toBe(true);
  });

  it('min new tokens holds every stop id off', async () => {
    const { result } = await recordRun(listed, { prompt: PROMPT, maxNewTokens: 12, minNewTokens: 12 });
    expect(result.tokens).toBe(12);
    expect(result.tokenIds).not.toContain(stopId);
    expect(result.stopTokenId).toBeUndefined();
  });

  it('a package without a list stops on its eos id alone', async () => {
    const { result } = await recordRun(shipped, { prompt: PROMPT, maxNewTokens: 24 });
    expect(result.tokenIds.indexOf(stopId)).toBe(firstAt);
    expect(result.tokens).toBeGreaterThan(firstAt + 1);
  });

  it('a stop id outside the vocabulary is a manifest error naming it', async () => {
    const dir = await packageCopy();
    await editManifest(dir, (m) => (m['tokens']['stop_ids'] = [m['tokens']['eos_id'], 999_999]));
    const error = await HamburgerEngine.load(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'manifest_invalid', field: 'tokens.stop_ids.1' });
  });
});
