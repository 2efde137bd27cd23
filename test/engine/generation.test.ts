// The macro/micro-step loop on the real package: positions and KV entries, the stop rule
// at its boundaries, stepping, cancelling, seeded sampling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseForwardOf, type BaseForward, type EngineEvent } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { collect, recordRun } from '../support/runRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROMPT = 'Count from 37 to 56.';
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

describe('positions and KV entries', () => {
  it('prefills one entry per prompt token, then one entry per group at the position of its last token', async () => {
    const n = engine.encodePrompt(PROMPT).tokenIds.length;
    const { steps, result } = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 30 });
    expect(steps[0]!.appended).toHaveLength(n);
    expect(steps[0]!.appended.map((e) => e.positionId)).toEqual([...Array(n).keys()]);
    expect(steps[0]!.appended.every((e) => e.kind === 'prompt' && e.tokenIds.length === 1)).toBe(true);
    expect(steps[0]!.positionId).toBe(n - 1);
    let expectedPosition = n - 1;
    for (let s = 1; s < steps.length; s++) {
      const group = steps[s - 1]!.tokenIds;
      expectedPosition += group.length;
      const entry = steps[s]!.appended;
      expect(entry).toHaveLength(1);
      expect(entry[0]!.tokenIds).toEqual(group);
      expect(entry[0]!.kind).toBe('group');
      expect(entry[0]!.positionId).toBe(expectedPosition);
      expect(entry[0]!.index).toBe(n + s - 1);
      expect(steps[s]!.kvEntry).toBe(n + s - 1);
      expect(steps[s]!.totals.kvEntries).toBe(n + s);
    }
    expect(result.kvEntries).toEqual({ prompt: n, generated: steps.length });
    expect(result.tokens).toBe(30);
    expect(steps.flatMap((s) => s.tokenIds)).toEqual(result.tokenIds);
  });
});

describe('stop rule', () => {
  it('c = 0 never stops on the stop head: every group is max_steps long until the limit', async () => {
    const { steps, micros } = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 22 });
    const maxSteps = engine.info.architecture.maxSteps;
    expect(micros.some((m) => m.stopReason === 'stop_head')).toBe(false);
    expect(steps.slice(0, -1).every((s) => s.tokenIds.length === maxSteps && s.stopReason === 'max_steps')).toBe(true);
    expect(steps.at(-1)!.stopReason).toBe('limit');
    expect(steps.at(-1)!.tokenIds.length).toBe(22 % maxSteps || maxSteps);
    expect(steps[0]!.micro.map((m) => m.index)).toEqual([...Array(maxSteps).keys()]);
  });

  it('c = 1 stops after every token whose stop probability is above 0', async () => {
    const { steps, micros } = await recordRun(engine, { prompt: PROMPT, confidence: 1, maxNewTokens: 12 });
    expect(steps).toHaveLength(12);
    expect(micros.every((m) => m.stopProb! > 0)).toBe(true);
    expect(steps.slice(0, -1).every((s) => s.stopReason === 'stop_head')).toBe(true);
  });

  it('with no confidence level the stop head decides at p > 0.5', async () => {
    const { micros } = await recordRun(engine, { prompt: PROMPT, confidence: null, maxNewTokens: 24 });
    for (const m of micros) {
      if (m.stopReason === 'stop_head') expect(m.stopProb!).toBeGreaterThan(0.5);
      if (m.stopReason === null) expect(m.stopProb!).toBeLessThanOrEqual(0.5);
    }
  });

  it('each non-final micro step passed the stop rule at the requested confidence', async () => {
    const c = 0.5;
    const { micros } = await recordRun(engine, { prompt: PROMPT, confidence: c, maxNewTokens: 40 });
    for (const m of micros) {
      if (m.stopReason === null) expect(1 - m.stopProb!).toBeGreaterThanOrEqual(c);
      if (m.stopReason === 'stop_head') expect(1 - m.stopProb!).toBeLessThan(c);
    }
  });

  it('stops the run at end of sequence, eos included in the tokens and left out of the text', async () => {
    // This prompt's answer ends with eos within 200 tokens on the shipped package (see its
    // reverse-* golden traces; a trained model ends the list much sooner).
    const { result, steps } = await recordRun(engine, { prompt: 'Reverse this list: D, O, P, I, M, N, W.', mode: 'baseline', maxNewTokens: 200 });
    const eos = 2;
    expect(result.finishReason).toBe('eos');
    expect(result.tokenIds.at(-1)).toBe(eos);
    expect(result.tokenIds.indexOf(eos)).toBe(result.tokenIds.length - 1);
    expect(steps.at(-1)!.stopReason).toBe('eos');
    expect(steps.at(-1)!.micro.at(-1)!.stopReason).toBe('eos');
    expect(result.text).not.toContain('<|eos|>');
  });

  it('min new tokens keeps end of sequence out until that many tokens, in every mode', async () => {
    const prompt = 'Reverse this list: D, O, P, I, M, N, W.';
    const eos = 2;
    const free = await recordRun(engine, { prompt, mode: 'baseline', maxNewTokens: 200 });
    const ended = free.result.tokens;
    expect(free.result.tokenIds.at(-1)).toBe(eos);
    const min = ended + 12;
    const runs = [];
    for (const mode of ['baseline', 'hamburger', 'verify'] as const) {
      runs.push((await recordRun(engine, { prompt, mode, confidence: 0.9, maxNewTokens: min + 40, minNewTokens: min })).result);
    }
    for (const result of runs) {
      expect(result.tokens).toBeGreaterThanOrEqual(min);
      expect(result.tokenIds.slice(0, min)).not.toContain(eos);
    }
    const [baseline, hamburger, verify] = runs;
    // The same rule on both sides of verification: verify still writes the baseline's text.
    expect(verify!.tokenIds).toEqual(baseline!.tokenIds);
    // Until the first eos the rule changes nothing.
    expect(baseline!.tokenIds.slice(0, ended - 1)).toEqual(free.result.tokenIds.slice(0, ended - 1));
    // Where eos was the argmax, the baseline writes its second choice; eos is then shown with probability 0.
    const micro = (await recordRun(engine, { prompt, mode: 'baseline', maxNewTokens: ended, minNewTokens: ended })).micros.at(-1)!;
    expect(micro.tokenId).not.toBe(eos);
    expect(micro.top.some((t) => t.tokenId === eos)).toBe(false);
    expect(Number.isFinite(micro.entropy)).toBe(true);
    expect(hamburger!.tokens).toBeGreaterThanOrEqual(min);
  });

  it('stops at the max-new-tokens limit mid-group', async () => {
    const { steps, result } = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 5 });
    expect(result.tokens).toBe(5);
    expect(result.finishReason).toBe('max_new_tokens');
    expect(steps.map((s) => s.tokenIds.length)).toEqual([4, 1]);
    expect(steps[1]!.micro[0]!.stopReason).toBe('limit');
  });

  it('stops when the context is full (max_position)', async () => {
    const maxPosition = engine.info.architecture.maxPosition;
    const room = 7;
    // A raw prompt (one token per digit) that leaves room for 7 new tokens; end of sequence
    // is held off (minNewTokens), so the context limit is what ends the run.
    const text = Array.from({ length: maxPosition }, (_, i) => String(i % 10)).join(', ');
    let length = 0;
    for (let step = text.length; step >= 1; step >>= 1) {
      while (length + step <= text.length && engine.encodePrompt(text.slice(0, length + step), false).tokenIds.length <= maxPosition - room) length += step;
    }
    const prompt = text.slice(0, length);
    expect(engine.encodePrompt(prompt, false).tokenIds.length).toBe(maxPosition - room);
    const limit = maxPosition - 1;
    const { result, steps } = await recordRun(engine, { prompt, chatTemplate: false, confidence: 0, maxNewTokens: limit, minNewTokens: limit });
    expect(result.finishReason).toBe('context_full');
    expect(result.tokens).toBe(room);
    expect(steps.at(-1)!.positionId).toBeLessThanOrEqual(maxPosition - 1);
  });
});

describe('modes', () => {
  it('baseline mode writes one token per forward and labels what ran', async () => {
    const { steps, events } = await recordRun(engine, { prompt: PROMPT, mode: 'baseline', maxNewTokens: 10 });
    const started = events.find((e) => e.type === 'started');
    expect(started?.type === 'started' && started.settings.decoder).toBe(engine.info.baseline);
    expect(steps.every((s) => s.tokenIds.length === 1)).toBe(true);
    if (engine.info.baseline === 'baseline-graphs') expect(steps.every((s) => s.micro[0]!.stopProb === null)).toBe(true);
  });

  it('the HAMburger step 0 token equals greedy base decoding (micro step 0 is the base LM head)', async () => {
    const ham = await recordRun(engine, { prompt: PROMPT, confidence: 1, maxNewTokens: 1 });
    const zero = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 1 });
    expect(ham.result.tokenIds).toEqual(zero.result.tokenIds);
    expect(ham.micros[0]!.prob).toBeCloseTo(zero.micros[0]!.prob, 6);
  });
});

describe('stepping', () => {
  async function stepped(action: 'stepMicro' | 'stepMacro', request: Parameters<HamburgerEngine['generate']>[0]) {
    const events: EngineEvent[] = [];
    let paused = 0;
    let resolvePause: (() => void) | null = null;
    const handle = engine.generate(request, (e) => {
      events.push(e);
      if (e.type === 'state' && e.state === 'paused') {
        paused += 1;
        resolvePause?.();
      }
    });
    let finished = false;
    void handle.done.then(() => {
      finished = true;
      resolvePause?.();
    });
    const pausesBefore: number[] = [];
    while (!finished) {
      await new Promise<void>((resolve) => {
        resolvePause = resolve;
        if (finished || paused > pausesBefore.length) resolve();
      });
      if (finished) break;
      pausesBefore.push(events.filter((e) => e.type === 'micro').length);
      engine.control(action);
    }
    return { run: collect(await handle.done, events), pausesBefore };
  }

  it('a run stepped one micro step at a time gives the same tokens and groups as a free run', async () => {
    const request = { prompt: PROMPT, confidence: 0.3, maxNewTokens: 20 };
    const free = await recordRun(engine, request);
    const { run, pausesBefore } = await stepped('stepMicro', { ...request, startPaused: true });
    expect(run.result.tokenIds).toEqual(free.result.tokenIds);
    expect(run.steps.map((s) => s.tokenIds)).toEqual(free.steps.map((s) => s.tokenIds));
    // Paused before anything ran, then after each micro step.
    expect(pausesBefore.slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('a run stepped one macro step at a time gives the same tokens and groups as a free run', async () => {
    const request = { prompt: PROMPT, confidence: 0, maxNewTokens: 14 };
    const free = await recordRun(engine, request);
    const { run, pausesBefore } = await stepped('stepMacro', { ...request, startPaused: true });
    expect(run.result.tokenIds).toEqual(free.result.tokenIds);
    expect(run.steps.map((s) => s.tokenIds)).toEqual(free.steps.map((s) => s.tokenIds));
    expect(pausesBefore.slice(0, 3)).toEqual([0, 4, 8]);
  });

  it('pause and resume mid-run change nothing in the output', async () => {
    const request = { prompt: PROMPT, confidence: 0.5, maxNewTokens: 16 };
    const free = await recordRun(engine, request);
    const events: EngineEvent[] = [];
    let pausedOnce = false;
    const wallStart = performance.now();
    const handle = engine.generate(request, (e) => {
      events.push(e);
      if (e.type === 'macro' && e.step.index === 1) engine.control('pause');
      if (e.type === 'state' && e.state === 'paused' && !pausedOnce) {
        pausedOnce = true;
        setTimeout(() => engine.control('resume'), 20);
      }
    });
    const result = await handle.done;
    const wallMs = performance.now() - wallStart;
    expect(pausedOnce).toBe(true);
    expect(result.tokenIds).toEqual(free.result.tokenIds);
    // The 20 ms pause is left out of the run's active time.
    expect(result.elapsedMs).toBeLessThan(wallMs - 15);
  });
});

describe('cancel', () => {
  it('cancel mid-step ends the run as cancelled and leaves the engine usable', async () => {
    const events: EngineEvent[] = [];
    const handle = engine.generate({ prompt: PROMPT, confidence: 0, maxNewTokens: 200 }, (e) => {
      events.push(e);
      // Cancel inside a macro step, between its micro steps.
      if (e.type === 'micro' && e.micro.step === 2 && e.micro.index === 1) engine.control('cancel');
    });
    const result = await handle.done;
    expect(result.finishReason).toBe('cancelled');
    expect(result.tokens).toBe(4 + 4 + 2);
    expect(events.at(-1)!.type).toBe('finished');
    expect(engine.busy).toBe(false);
    const again = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 12 });
    const fresh = await recordRun(engine, { prompt: PROMPT, confidence: 0, maxNewTokens: 12 });
    expect(again.result.tokenIds).toEqual(fresh.result.tokenIds);
    expect(again.result.finishReason).toBe('max_new_tokens');
  });

  it('cancel while paused before the first step ends the run with no tokens', async () => {
    const handle = engine.generate({ prompt: PROMPT, startPaused: true }, () => undefined);
    engine.control('cancel');
    const result = await handle.done;
    expect(result.finishReason).toBe('cancelled');
    expect(result.tokens).toBe(0);
    expect(engine.busy).toBe(false);
  });
});

describe('sampling', () => {
  // Free text at a high temperature: even a well-trained model leaves many tokens open here.
  const FREE_TEXT = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';
  const sampled = { kind: 'sample', temperature: 2, topK: 0, topP: 1, seed: 1234 } as const;

  it('the same seed and settings give the same output', async () => {
    const settings = { kind: 'sample', temperature: 1.5, topK: 50, topP: 0.95, seed: 1234 } as const;
    const a = await recordRun(engine, { prompt: FREE_TEXT, maxNewTokens: 24, confidence: 0.5, sampling: settings });
    const b = await recordRun(engine, { prompt: FREE_TEXT, maxNewTokens: 24, confidence: 0.5, sampling: settings });
    expect(a.result.tokenIds).toEqual(b.result.tokenIds);
    expect(a.steps.map((s) => s.tokenIds)).toEqual(b.steps.map((s) => s.tokenIds));
  });

  it('another seed gives another output, and sampling differs from greedy', async () => {
    const a = await recordRun(engine, { prompt: FREE_TEXT, maxNewTokens: 24, sampling: sampled });
    const b = await recordRun(engine, { prompt: FREE_TEXT, maxNewTokens: 24, sampling: { ...sampled, seed: 99 } });
    const greedy = await recordRun(engine, { prompt: FREE_TEXT, maxNewTokens: 24 });
    expect(a.result.tokenIds).not.toEqual(b.result.tokenIds);
    expect(a.result.tokenIds).not.toEqual(greedy.result.tokenIds);
  });

  it('top-k 1 sampling is greedy whatever the seed and temperature', async () => {
    const greedy = await recordRun(engine, { prompt: PROMPT, maxNewTokens: 16 });
    const k1 = await recordRun(engine, { prompt: PROMPT, maxNewTokens: 16, sampling: { kind: 'sample', temperature: 3, topK: 1, topP: 1, seed: 7 } });
    expect(k1.result.tokenIds).toEqual(greedy.result.tokenIds);
  });
});

describe('events', () => {
  it('emits started, then per step its base forward and micro events before its macro event, then finished, with running totals', async () => {
    const { events, steps, result } = await recordRun(engine, { prompt: PROMPT, confidence: 0.4, maxNewTokens: 12 });
    expect(events[0]!.type).toBe('started');
    expect(events.at(-1)!.type).toBe('finished');
    let microsSinceMacro = 0;
    let base: BaseForward | null = null;
    for (const e of events) {
      if (e.type === 'base') {
        expect(base).toBeNull();
        expect(microsSinceMacro).toBe(0);
        base = e.base;
      }
      if (e.type === 'micro') {
        expect(base?.step).toBe(e.micro.step);
        microsSinceMacro += 1;
      }
      if (e.type === 'macro') {
        expect(microsSinceMacro).toBe(e.step.micro.length);
        // The base event told the micro decoder's inputs before its first micro step.
        expect(base).toEqual(baseForwardOf(e.step));
        microsSinceMacro = 0;
        base = null;
      }
    }
    let tokens = 0;
    for (const s of steps) {
      tokens += s.tokenIds.length;
      expect(s.totals.tokens).toBe(tokens);
      expect(s.totals.macroSteps).toBe(s.index + 1);
      expect(s.totals.tokensPerStep).toBeCloseTo(tokens / (s.index + 1), 10);
      expect(s.features.map((f) => f.layer)).toEqual(engine.info.architecture.featureLayers);
      expect(s.timings.totalMs).toBeGreaterThanOrEqual(s.timings.baseMs);
      for (const m of s.micro) {
        expect(m.top).toHaveLength(5);
        expect(m.top[0]!.prob).toBeGreaterThanOrEqual(m.top[4]!.prob);
        expect(m.entropy).toBeGreaterThan(0);
        expect(m.entropy).toBeLessThanOrEqual(Math.log(engine.info.architecture.vocabSize) + 1e-9);
      }
    }
    expect(steps.map((s) => s.text).join('')).toBe(result.text);
    expect(result.engineOverhead).toBeGreaterThanOrEqual(0);
    expect(result.engineOverhead).toBeLessThan(1);
  });

  it('a listener can start the next generation from the finished event', async () => {
    const next = await new Promise<{ done: Promise<unknown> }>((resolve) => {
      engine.generate({ prompt: PROMPT, maxNewTokens: 3 }, (e) => {
        if (e.type === 'finished') resolve({ done: engine.generate({ prompt: PROMPT, maxNewTokens: 2 }, () => undefined).done });
      });
    });
    await expect(next.done).resolves.toMatchObject({ tokens: 2 });
  });
});
