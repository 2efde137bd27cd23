// Analysing a text: the engine reproduces the PyTorch reference's analyses (groups, positions,
// stop reasons and greedy choices exactly, probabilities within 1e-4), an analysis of a run's
// own output is that run, and bad input is refused by name.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EngineEvent, StartedEvent } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { collect, recordRun, type RecordedRun } from '../support/runRecorder.js';
import { engineThrow } from '../support/engineRejection.js';
import { goldenTraceFiles, MODEL_DIR, readGoldenTrace } from '../support/shippedModel.js';

const TOLERANCE = 1e-4;
const GOLDEN_FILE = new URL('../fixtures/analysis/hamburger-tiny.json', import.meta.url);

// Written by training/hamburger/analyse.py; the command that regenerates it is its `regenerate`.
const goldenSchema = z.object({
  regenerate: z.string(),
  package: z.string(),
  cases: z.array(
    z.object({
      name: z.string(),
      prompt: z.string(),
      text: z.string(),
      confidence: z.number().nullable(),
      prompt_ids: z.array(z.number()),
      text_ids: z.array(z.number()),
      groups: z.array(
        z.object({
          position_id: z.number(),
          token_ids: z.array(z.number()),
          tokens: z.array(
            z.object({ token_id: z.number(), prob: z.number(), entropy: z.number(), greedy_id: z.number(), stop_prob: z.number(), reason: z.string().nullable() }),
          ),
        }),
      ),
      summary: z.object({
        tokens: z.number(),
        kv_entries: z.number(),
        tokens_per_step: z.number(),
        perplexity: z.number(),
        mean_nll: z.number(),
        mean_entropy: z.number(),
        greedy_agreement: z.number(),
        divergences: z.number(),
      }),
    }),
  ),
});
const golden = goldenSchema.parse(JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')));

let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

async function analyse(request: Record<string, unknown>): Promise<RecordedRun & { started: StartedEvent }> {
  const events: EngineEvent[] = [];
  const result = await engine.analyse(request, (e) => events.push(e)).done;
  const started = events.find((e): e is StartedEvent => e.type === 'started')!;
  return { ...collect(result, events), started };
}

describe('text analysis against the PyTorch reference', () => {
  it('the golden file covers groups ended by every rule an analysis has', () => {
    const reasons = new Set(golden.cases.flatMap((c) => c.groups.map((g) => g.tokens.at(-1)!.reason)));
    expect([...reasons].sort()).toEqual(['diverged', 'limit', 'max_steps', 'stop_head']);
    expect(golden.cases.some((c) => c.prompt === '')).toBe(true);
    expect(golden.cases.some((c) => c.confidence === null)).toBe(true);
  });

  for (const want of golden.cases) {
    it(`reproduces ${want.name}`, async () => {
      const { result, steps, micros, started } = await analyse({ prompt: want.prompt, text: want.text, confidence: want.confidence });
      expect(started.prompt.tokenIds).toEqual(want.prompt_ids);
      expect(started.settings.analysis).toBe(true);
      expect(result.tokenIds).toEqual(want.text_ids);
      expect(steps.map((s) => s.tokenIds)).toEqual(want.groups.map((g) => g.token_ids));
      expect(steps.map((s) => s.positionId)).toEqual(want.groups.map((g) => g.position_id));
      const tokens = want.groups.flatMap((g) => g.tokens);
      expect(micros.map((m) => m.stopReason)).toEqual(tokens.map((t) => t.reason));
      expect(micros.map((m) => m.top[0]!.tokenId)).toEqual(tokens.map((t) => t.greedy_id));
      for (const [i, micro] of micros.entries()) {
        expect(Math.abs(micro.prob - tokens[i]!.prob)).toBeLessThan(TOLERANCE);
        expect(Math.abs(micro.entropy - tokens[i]!.entropy)).toBeLessThan(TOLERANCE);
        expect(Math.abs(micro.stopProb! - tokens[i]!.stop_prob)).toBeLessThan(TOLERANCE);
      }
      const got = result.analysis!;
      const s = want.summary;
      expect([got.tokens, got.kvEntries, got.divergences]).toEqual([s.tokens, s.kv_entries, s.divergences]);
      expect(got.tokensPerStep).toBeCloseTo(s.tokens_per_step, 10);
      expect(got.greedyAgreement).toBeCloseTo(s.greedy_agreement, 10);
      expect(Math.abs(got.perplexity / s.perplexity - 1)).toBeLessThan(TOLERANCE);
      expect(Math.abs(got.meanEntropy - s.mean_entropy)).toBeLessThan(TOLERANCE);
      expect(result.kvEntries.generated).toBe(s.kv_entries);
    });
  }
});

describe('an analysis is a run whose tokens were forced', () => {
  const trace = readGoldenTrace(goldenTraceFiles().find((f) => f.endsWith('count-hamburger-c0.5.json'))!);

  it("of HAMburger's own greedy output (eos included) is that generation: same groups, probabilities and stop reasons", async () => {
    const generated = await recordRun(engine, { prompt: trace.prompt, confidence: trace.confidence, maxNewTokens: trace.max_new_tokens });
    expect(generated.result.finishReason).toBe('eos');
    const text = engine.decode(generated.result.tokenIds.slice(0, -1)) + engine.tokenText(generated.result.tokenIds.at(-1)!);
    const analysed = await analyse({ prompt: trace.prompt, text, confidence: trace.confidence });
    expect(analysed.result.tokenIds).toEqual(generated.result.tokenIds);
    expect(analysed.result.finishReason).toBe('eos');
    expect(analysed.steps.map((s) => s.tokenIds)).toEqual(generated.steps.map((s) => s.tokenIds));
    expect(analysed.micros.map((m) => [m.prob, m.entropy, m.stopProb, m.stopReason])).toEqual(generated.micros.map((m) => [m.prob, m.entropy, m.stopProb, m.stopReason]));
    expect(analysed.result.analysis!.divergences).toBe(0);
    expect(analysed.result.analysis!.greedyAgreement).toBe(1);
  });

  it('ends a group right after a token the model would not have chosen', async () => {
    // The model counts down "18, 17, 16, ..."; this text skips 16 (digits are tokens of their own).
    // Confidence 0: the stop head never ends a group.
    const { micros } = await analyse({ prompt: trace.prompt, text: '18, 17, 15, 14', confidence: 0 });
    const skipped = micros.findIndex((m) => m.top[0]!.tokenId !== m.tokenId);
    expect(micros.map((m) => m.text).join('')).toBe('18, 17, 15, 14');
    expect(micros.slice(0, skipped + 1).map((m) => m.text).join('')).toBe('18, 17, 15');
    expect(micros[skipped]!.top[0]!.text).toBe('6');
    expect(micros[skipped]!.stopReason).toBe('diverged');
    expect(micros[skipped + 1]!.index).toBe(0);
  });

  it('with no prompt scores the text after bos alone, without the chat template', async () => {
    const { started } = await analyse({ text: 'The jury said.' });
    expect(started.prompt.tokenIds).toEqual([1]);
    expect(started.settings.chatTemplate).toBe(false);
  });
});

describe('bad analysis requests', () => {
  const cases: [string, Record<string, unknown>, string, string | undefined][] = [
    ['an empty text', { prompt: 'Hi', text: '  ' }, 'empty_text', 'text'],
    ['a missing text', { prompt: 'Hi' }, 'empty_text', 'text'],
    ['a text that is not a string', { text: 3 }, 'empty_text', 'text'],
    ['a confidence out of range', { text: 'a', confidence: 2 }, 'invalid_confidence', 'confidence'],
    ['an unknown field', { text: 'a', mode: 'baseline' }, 'invalid_request', 'mode'],
    ['an end of sequence inside the text', { text: 'a<|eos|>b' }, 'invalid_request', 'text'],
    ['a text longer than the context holds', { text: '1 '.repeat(1200) }, 'text_too_long', 'text'],
  ];
  for (const [what, request, code, field] of cases) {
    it(`refuses ${what}`, () => {
      const error = engineThrow(() => engine.analyse(request, () => undefined));
      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
      expect(engine.busy).toBe(false);
    });
  }
});
