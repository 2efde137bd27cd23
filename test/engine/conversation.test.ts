// Conversations (docs/engine.md, "Forks and conversations"): a later turn keeps the earlier
// answers' smashed entries. Its step 0 writes the first user turn unmerged, each answer group
// as the entry decoding wrote, the answer's last group and then the next user turn (the chat
// template's continuation after the answer) unmerged, positions counting every token; the
// `unmerged` setting re-prefills the whole conversation one entry per token. Real runs of the
// shipped package; the kept cache is checked against base forwards driven by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequestInput, Trace } from '../../engine/api.js';
import { createRunDecoders, prepareDecoding } from '../../engine/decoderSet.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { loadModelPackage, releaseModelPackage, type ModelPackage } from '../../engine/modelPackage.js';
import { summarizeLogits } from '../../engine/sampling/distribution.js';
import { SessionClock } from '../../engine/timedSession.js';
import { recordTrace } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const FIRST = 'Tell me about the sea.';
const SECOND = 'And about the mountains?';
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

const run = (request: GenerateRequestInput): Promise<Trace> => recordTrace(engine, request);

/** A finished turn as the next one carries it: its user message and the groups its steps fed back. */
function turnOf(trace: Trace) {
  return { user: trace.started.prompt.text, answer: trace.steps.map((s) => s.tokenIds) };
}

const SETTINGS = { maxNewTokens: 24, confidence: 0.9 } as const;

describe('a two-turn conversation', () => {
  it('keeps the first answer smashed: the KV counts add up, turn 2 starts after it', async () => {
    const turn1 = await run({ prompt: FIRST, ...SETTINGS });
    const turn2 = await run({ prompt: SECOND, ...SETTINGS, turns: [turnOf(turn1)] });
    const step0 = turn2.steps[0]!.appended;
    const r1 = turn1.result!;
    const prompt1 = turn1.started.prompt.tokenIds.length;
    const answerTokens = r1.tokenIds.length;
    const nextTurn = turn2.started.prompt.tokenIds.length - prompt1 - answerTokens;
    expect(nextTurn).toBeGreaterThan(0);
    // prompt entries + answer entries (the last group too) + the next turn's entries, one per token.
    expect(step0.length).toBe(r1.kvEntries.prompt + r1.kvEntries.generated + nextTurn);
    expect(turn2.result!.kvEntries.prompt).toBe(step0.length);
    expect(turn2.started.history).toMatchObject({ turnCache: 'smashed', turnStarts: [0, prompt1 + turn1.steps.length] });
    // The context: turn 1's tokens as they ran, then the template's next user turn.
    expect(turn2.started.prompt.tokenIds.slice(0, prompt1 + answerTokens)).toEqual([...turn1.started.prompt.tokenIds, ...r1.tokenIds]);
    const continuation = engine.decode(turn2.started.prompt.tokenIds.slice(prompt1 + answerTokens));
    expect(continuation).toContain(SECOND);
    // The answer's entries sit where turn 1 wrote them (and its last group where turn 1's next step would have).
    const written = turn1.steps.slice(1).flatMap((s) => s.appended.map((e) => [e.positionId, ...e.tokenIds]));
    expect(step0.slice(prompt1, prompt1 + written.length).map((e) => [e.positionId, ...e.tokenIds])).toEqual(written);
    const last = turn1.steps.at(-1)!;
    expect(step0[prompt1 + written.length]).toMatchObject({ kind: 'group', tokenIds: last.tokenIds, positionId: last.positionId + last.tokenIds.length });
    expect(step0.slice(turn2.started.history!.turnStarts[1]!).every((e) => e.kind === 'prompt' && e.tokenIds.length === 1)).toBe(true);
    // A third turn adds the second answer and its next user turn the same way.
    const turn3 = await run({ prompt: 'Which is colder?', ...SETTINGS, turns: [turnOf(turn1), turnOf(turn2)] });
    const r2 = turn2.result!;
    const thirdTurn = turn3.started.prompt.tokenIds.length - turn2.started.prompt.tokenIds.length - r2.tokenIds.length;
    expect(turn3.steps[0]!.appended.length).toBe(r2.kvEntries.prompt + r2.kvEntries.generated + thirdTurn);
    expect(turn3.started.history!.turnStarts).toHaveLength(3);
  });

  it("turn 2's first decision equals base forwards over the kept entries driven by hand", async () => {
    const turn1 = await run({ prompt: FIRST, ...SETTINGS });
    const turn2 = await run({ prompt: SECOND, ...SETTINGS, turns: [turnOf(turn1)] });
    const ids = turn2.started.prompt.tokenIds;
    const prompt1 = turn1.started.prompt.tokenIds.length;
    const groups = turn1.steps.map((s) => s.tokenIds);
    const next = ids.slice(prompt1 + groups.flat().length);
    const pkg: ModelPackage = await loadModelPackage(MODEL_DIR, { threads: 1 });
    try {
      const { decoders } = createRunDecoders(await prepareDecoding(pkg), { decoder: 'hamburger', verifier: false }, new SessionClock());
      const d = decoders.architecture.hidden_size;
      let tokens = 0;
      /** One base call of entries, each at its last token's position, counted here from scratch. */
      const call = async (entries: number[][]): Promise<void> => {
        const flat = entries.flat();
        const embeddings = new Float32Array(flat.length * d);
        await decoders.embedder.embedInto(flat, embeddings);
        const positions = entries.map((e) => (tokens += e.length) - 1);
        await decoders.base.runEntries(embeddings, entries.map((e) => e.length), positions);
      };
      await call(ids.slice(0, prompt1).map((id) => [id]));
      for (const group of groups.slice(0, -1)) await call([group]);
      await call([groups.at(-1)!, ...next.map((id) => [id])]);
      expect(tokens).toBe(ids.length);
      const summary = summarizeLogits(decoders.base.logits, 5);
      const first = turn2.steps[0]!.micro[0]!;
      expect(first.tokenId).toBe(summary.top[0]!.tokenId);
      expect(first.prob).toBe(summary.top[0]!.prob);
      expect(first.stopProb).toBe(1 / (1 + Math.exp(-decoders.base.stopLogit!)));
    } finally {
      await releaseModelPackage(pkg);
    }
  });

  it('with turnCache "unmerged" re-prefills the whole conversation one entry per token', async () => {
    const turn1 = await run({ prompt: FIRST, ...SETTINGS });
    const kept = await run({ prompt: SECOND, ...SETTINGS, turns: [turnOf(turn1)] });
    const unmerged = await run({ prompt: SECOND, ...SETTINGS, turns: [turnOf(turn1)], turnCache: 'unmerged' });
    expect(unmerged.started.prompt.tokenIds).toEqual(kept.started.prompt.tokenIds);
    const step0 = unmerged.steps[0]!.appended;
    expect(step0.length).toBe(unmerged.started.prompt.tokenIds.length);
    expect(step0.every((e) => e.kind === 'prompt')).toBe(true);
    expect(unmerged.started.history).toMatchObject({ turnCache: 'unmerged', turnStarts: [0, turn1.started.prompt.tokenIds.length + turn1.result!.tokens] });
    // The kept cache is smaller by what smashing the answer saved.
    expect(step0.length - kept.steps[0]!.appended.length).toBe(turn1.result!.tokens - turn1.steps.length);
  });

  it("an answer that ended with its stop id holds the template's end of message; one cut short gets it with the next turn", async () => {
    const eos = 2; // the shipped package's eos_id, which its template writes after an assistant message
    const answer = [[100, 101], [102]];
    const ended = await run({ prompt: SECOND, ...SETTINGS, turns: [{ user: FIRST, answer: [...answer.slice(0, -1), [102, eos]] }] });
    const cut = await run({ prompt: SECOND, ...SETTINGS, turns: [{ user: FIRST, answer }] });
    const prompt1 = engine.encodePrompt(FIRST).tokenIds.length;
    const after = (trace: Trace, answerTokens: number): number[] => trace.started.prompt.tokenIds.slice(prompt1 + answerTokens);
    expect(after(cut, 3)[0]).toBe(eos);
    expect(after(ended, 4)).toEqual(after(cut, 3).slice(1));
    expect(engine.decode(after(ended, 4))).toContain(SECOND);
  });

  it.each([
    [{ turns: [{ user: FIRST, answer: [[5]] }], chatTemplate: false }, 'chatTemplate'],
    [{ turns: [{ user: FIRST, answer: [[5], [99999]] }] }, 'turns.0.answer.1.0'],
    [{ turns: [{ user: FIRST, answer: [] }] }, 'turns.0.answer'],
    [{ turns: [{ user: FIRST, answer: [[5]] }], turnCache: 'kept' }, 'turnCache'],
  ])('refuses %j, naming %s', async (fields, field) => {
    const error = await run({ prompt: SECOND, ...SETTINGS, ...fields } as GenerateRequestInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'invalid_turns', field });
  });
});
