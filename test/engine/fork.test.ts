// Forks (docs/engine.md, "Forks and conversations"): a run that replays an earlier run's
// groups through the base forward at the positions the original used, then decides on. With
// the original's settings it reproduces the original token for token (greedy, and sampled with
// the same seed: the generator skips one draw per replayed token; under either position
// convention); a forced token starts the
// continuation; bad groups and tokens are refused by name. Real runs of the shipped package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequestInput, Trace } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { recordTrace } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROMPT = 'Write a short story about a lighthouse keeper.';
const SAMPLED = { kind: 'sample', temperature: 1, topK: 0, topP: 1, seed: 11 } as const;
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

const run = (request: GenerateRequestInput): Promise<Trace> => recordTrace(engine, request);

/** The original's first `step` groups, as a fork request replays them. */
function prefix(trace: Trace, step: number): number[][] {
  return trace.steps.slice(0, step).map((s) => s.tokenIds);
}

const BASE = { prompt: PROMPT, maxNewTokens: 48, minNewTokens: 48, confidence: 0.9 } as const;

describe('a fork from a step', () => {
  it.each([
    ['greedy', { sampling: { kind: 'greedy' } }],
    ['sampled, same seed', { sampling: SAMPLED }],
    // The replay puts each group where the original's convention put it (positionConvention.ts).
    ['greedy, groups at the tokens so far', { sampling: { kind: 'greedy' }, positionConvention: 'tokens_so_far' }],
  ] as const)('with unchanged settings reproduces the original token for token (%s)', async (_name, settings) => {
    const original = await run({ ...BASE, ...settings });
    expect(original.steps.length).toBeGreaterThan(6);
    for (const step of [1, 4, original.steps.length - 2]) {
      const replayed = prefix(original, step);
      const shared = replayed.flat().length;
      // maxNewTokens and minNewTokens count a run's own tokens: the original's, less the replayed ones.
      const left = BASE.maxNewTokens - shared;
      const fork = await run({ ...BASE, ...settings, maxNewTokens: left, minNewTokens: left, fork: { groups: replayed, fromStep: step } });
      expect(fork.result!.tokenIds).toEqual(original.result!.tokenIds.slice(shared));
      // The same groups from the fork point on, each smashed at the position the original used.
      expect(fork.steps.slice(1).map((s) => s.appended.map((e) => [e.positionId, ...e.tokenIds]))).toEqual(
        original.steps.slice(step + 1).map((s) => s.appended.map((e) => [e.positionId, ...e.tokenIds])),
      );
      // Step 0 wrote the prompt's entries and one entry per replayed group: the original's cache at that step.
      expect(fork.steps[0]!.appended.map((e) => [e.positionId, e.kind, ...e.tokenIds])).toEqual(
        original.steps.slice(0, step + 1).flatMap((s) => s.appended.map((e) => [e.positionId, e.kind, ...e.tokenIds])),
      );
      expect(fork.steps[0]!.micro[0]!.prob).toBe(original.steps[step]!.micro[0]!.prob);
      expect(fork.started.history).toMatchObject({ forkStart: original.started.prompt.tokenIds.length, fork: { fromStep: step }, turns: [] });
    }
  });

  it('with other settings continues from the same cache: a forced token starts the continuation', async () => {
    const original = await run(BASE);
    const step = 3;
    const at = original.steps[step]!.micro[0]!;
    const other = at.top.find((alt) => alt.tokenId !== at.tokenId)!;
    const fork = await run({ ...BASE, confidence: 0.5, fork: { groups: prefix(original, step), token: other.tokenId } });
    expect(fork.result!.tokenIds[0]).toBe(other.tokenId);
    expect(fork.steps[0]!.micro[0]!.tokenId).toBe(other.tokenId);
    // Its probability is the one the original's distribution gave it at that step.
    expect(fork.steps[0]!.micro[0]!.prob).toBeCloseTo(other.prob, 6);
    expect(fork.started.settings.confidence).toBe(0.5);
  });

  it("under the other position convention rebuilds the original's cache from its recorded positions", async () => {
    const original = await run(BASE);
    const step = 4;
    const positions = original.steps.slice(1, step + 1).flatMap((s) => s.appended.map((e) => e.positionId));
    const fork = await run({ ...BASE, positionConvention: 'tokens_so_far', fork: { groups: prefix(original, step), positions } });
    expect(fork.steps[0]!.appended.map((e) => [e.positionId, ...e.tokenIds])).toEqual(
      original.steps.slice(0, step + 1).flatMap((s) => s.appended.map((e) => [e.positionId, ...e.tokenIds])),
    );
    expect(fork.steps[0]!.micro[0]!.prob).toBe(original.steps[step]!.micro[0]!.prob);
    // From there on its own groups sit one above their last token.
    const contextTokens = fork.started.prompt.tokenIds.length;
    const first = fork.steps[1]!.appended[0]!;
    expect(first.positionId).toBe(contextTokens - 1 + first.tokenIds.length + 1);
  });

  it('in baseline mode sees the replayed groups unmerged, one entry per token', async () => {
    const original = await run(BASE);
    const groups = prefix(original, 3);
    const fork = await run({ ...BASE, mode: 'baseline', fork: { groups } });
    const tokens = original.started.prompt.tokenIds.length + groups.flat().length;
    expect(fork.steps[0]!.appended.length).toBe(tokens);
    expect(fork.steps[0]!.appended.every((e) => e.tokenIds.length === 1)).toBe(true);
  });

  it.each([
    [{ groups: [[1, 2, 3, 4, 5, 6]] }, 'fork.groups.0', /at most max_steps/],
    [{ groups: [[5], [99999]] }, 'fork.groups.1.0', /ids are 0\.\./],
    [{ groups: [[5]], token: 99999 }, 'fork.token', /ids are 0\.\./],
    [{ groups: [[5, 2], [7]] }, 'fork.groups.0.1', /stop id/],
    [{ groups: [[]] }, 'fork.groups.0', /empty group/],
    [{ groups: [[1.5]] }, 'fork.groups.0.0', /token id/],
    [{ groups: [[5], [7]], positions: [40] }, 'fork.positions', /1 positions for 2 groups/],
    [{ groups: [[5]], positions: [0] }, 'fork.positions.0', /sat at/],
  ])('refuses %j, naming %s', async (fork, field, message) => {
    const error = await run({ ...BASE, fork }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'invalid_fork', field });
    expect((error as Error).message).toMatch(message);
  });
});
