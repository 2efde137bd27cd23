// Audit and verify runs on the real package (docs/engine.md, "Audit and verify"): verify
// gives the baseline's greedy output token for token, on every golden prompt and on the
// held-out split; HAMburger's cache follows what was emitted; seeded sampling reproduces; the
// audit never changes a run; and both agree with the Python reference's
// eval/audit-reference.json (training/hamburger/verify.py).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, GenerateRequestInput, MacroStep, MicroStep } from '../../engine/api.js';
import { EVAL_MAX_NEW_TOKENS, firstPerFamily, readHeldout } from '../../engine/cli/heldoutSet.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { collect, recordRun } from '../support/runRecorder.js';
import { goldenTraceFiles, MODEL_DIR, readAuditReference, readGoldenTrace } from '../support/shippedModel.js';

const TOLERANCE = 1e-4;
/** Held-out examples per family run in both modes: the whole split (900 examples) takes minutes on 2 cores. */
const HELDOUT_PER_FAMILY = 5;
const PROMPT = 'Count from 37 to 56.';
const FREE_TEXT = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';
const EOS_ID = (JSON.parse(readFileSync(path.join(MODEL_DIR, 'hamburger.json'), 'utf8')) as { tokens: { eos_id: number } }).tokens.eos_id;

let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

const baselineGoldens = goldenTraceFiles().map(readGoldenTrace).filter((g) => g.mode === 'baseline');
const reference = readAuditReference();

/** A micro step without its timing, which differs from run to run. */
const untimed = ({ ms: _ms, ...rest }: MicroStep): Omit<MicroStep, 'ms'> => rest;

describe('verify mode gives the baseline output', () => {
  it('the package ships baseline goldens for every family of the reference', () => {
    expect(baselineGoldens.length).toBeGreaterThan(0);
    expect(reference.prompts.map((p) => p.family).sort()).toEqual(baselineGoldens.map((g) => g.family).sort());
  });

  for (const golden of baselineGoldens) {
    it(`on the golden prompt of ${golden.family}, whatever the drafts' confidence`, async () => {
      for (const confidence of [0.9, 0.5, 0]) {
        const { result } = await recordRun(engine, { prompt: golden.prompt, mode: 'verify', confidence, maxNewTokens: golden.max_new_tokens });
        expect(result.tokenIds).toEqual(golden.output_ids);
        expect(result.text).toBe(golden.text);
        expect(result.finishReason).toBe(golden.output_ids.at(-1) === EOS_ID ? 'eos' : 'max_new_tokens');
      }
    });
  }

  it(`on the held-out split (the first ${HELDOUT_PER_FAMILY} examples of each family)`, async () => {
    const examples = firstPerFamily(await readHeldout(path.join(MODEL_DIR, 'eval', 'heldout.jsonl')), HELDOUT_PER_FAMILY);
    expect(examples.length).toBe(HELDOUT_PER_FAMILY * new Set(examples.map((e) => e.family)).size);
    for (const example of examples) {
      const request = { prompt: example.prompt, maxNewTokens: EVAL_MAX_NEW_TOKENS };
      const base = await engine.generate({ ...request, mode: 'baseline' }, () => undefined).done;
      const verified = await engine.generate({ ...request, mode: 'verify' }, () => undefined).done;
      expect(verified.tokenIds, example.id).toEqual(base.tokenIds);
      expect(verified.finishReason, example.id).toBe(base.finishReason);
    }
  }, 900_000);

  it('at every token limit inside a group', async () => {
    const golden = baselineGoldens.reduce((a, b) => (b.output_ids.length > a.output_ids.length ? b : a));
    for (let limit = 1; limit <= 6; limit++) {
      const { result } = await recordRun(engine, { prompt: golden.prompt, mode: 'verify', confidence: 0, maxNewTokens: limit });
      expect(result.tokenIds).toEqual(golden.output_ids.slice(0, limit));
      expect(result.finishReason).toBe('max_new_tokens');
    }
  });

  it('when the context fills up', async () => {
    const maxPosition = engine.info.architecture.maxPosition;
    const room = 7;
    // Digits are one token each.
    const prompt = Array.from({ length: maxPosition - room }, (_, i) => String(i % 10)).join('');
    expect(engine.encodePrompt(prompt, false).tokenIds.length).toBe(maxPosition - room);
    const request = { prompt, chatTemplate: false, confidence: 0, maxNewTokens: maxPosition - 1 };
    const base = await recordRun(engine, { ...request, mode: 'baseline' });
    const verified = await recordRun(engine, { ...request, mode: 'verify' });
    expect(verified.result.tokenIds).toEqual(base.result.tokenIds);
    expect(verified.result.finishReason).toBe(base.result.finishReason);
    expect(verified.result.tokens).toBeLessThanOrEqual(room);
    expect(verified.steps.at(-1)!.appended.at(-1)!.positionId).toBeLessThanOrEqual(maxPosition - 1);
  });
});

describe('verify mode steps', () => {
  it("HAMburger's cache gets the kept drafts as one entry and the baseline's token as another, each at its last token's index", async () => {
    const n = engine.encodePrompt(PROMPT).tokenIds.length;
    const { steps, result } = await recordRun(engine, { prompt: PROMPT, mode: 'verify', confidence: 0, maxNewTokens: 48 });
    expect(steps[0]!.appended).toHaveLength(n);
    let emitted = 0;
    let entries = n;
    let sawTwoEntries = false;
    for (let s = 1; s < steps.length; s++) {
      const previous = steps[s - 1]!;
      const kept = previous.verification!.acceptedPrefix;
      const groups = [...(kept > 0 ? [previous.tokenIds.slice(0, kept)] : []), previous.tokenIds.slice(kept)];
      expect(groups.at(-1)).toHaveLength(1);
      const appended = steps[s]!.appended;
      expect(appended.map((e) => e.tokenIds)).toEqual(groups);
      let last = n - 1 + emitted;
      expect(appended.map((e) => e.positionId)).toEqual(groups.map((g) => (last += g.length)));
      expect(appended.map((e) => e.index)).toEqual(groups.map((_, i) => entries + i));
      expect(appended.every((e) => e.kind === 'group')).toBe(true);
      sawTwoEntries ||= appended.length === 2;
      emitted += previous.tokenIds.length;
      entries += appended.length;
      expect(steps[s]!.totals.kvEntries).toBe(entries);
    }
    expect(sawTwoEntries).toBe(true);
    // The last step's entries are pending, as HAMburger's last group is: kept drafts and the baseline's token.
    const last = steps.at(-1)!.verification!;
    expect(result.kvEntries.generated).toBe(entries - n + (last.acceptedPrefix > 0 ? 1 : 0) + (last.outcome === 'ended' ? 0 : 1));
  });

  it("emits the kept drafts and then the baseline's own token, with verdicts on every draft", async () => {
    const { steps, result, events } = await recordRun(engine, { prompt: FREE_TEXT, mode: 'verify', confidence: 0.5, maxNewTokens: 40 });
    const started = events.find((e) => e.type === 'started');
    expect(started?.type === 'started' ? started.settings : null).toMatchObject({ mode: 'verify', decoder: 'hamburger', verifier: engine.info.baseline });
    let drafts = 0;
    let kept = 0;
    for (const step of steps) {
      const v = step.verification!;
      expect(v.kind).toBe('verify');
      drafts += v.verdicts.length;
      kept += v.acceptedPrefix;
      expect(v.verdicts.map((d) => d.accepted)).toEqual(v.verdicts.map((_, i) => i < v.acceptedPrefix));
      // greedy: kept exactly while the draft is the baseline's argmax
      expect(v.verdicts.slice(0, v.acceptedPrefix).every((d) => d.agrees)).toBe(true);
      if (v.acceptedPrefix < v.verdicts.length) expect(v.verdicts[v.acceptedPrefix]!.agrees).toBe(false);
      expect(step.tokenIds.slice(0, v.acceptedPrefix)).toEqual(v.verdicts.slice(0, v.acceptedPrefix).map((d) => d.tokenId));
      expect(step.micro.map((m) => m.index)).toEqual(step.micro.map((_, i) => i));
      if (v.outcome === 'ended') {
        expect(step.tokenIds).toHaveLength(v.acceptedPrefix);
        continue;
      }
      expect(step.tokenIds).toHaveLength(v.acceptedPrefix + 1);
      const own = step.micro.at(-1)!;
      expect(own.stopProb).toBeNull();
      if (v.outcome === 'correction') {
        expect(v.acceptedPrefix).toBeLessThan(v.verdicts.length);
        expect(own.tokenId).toBe(v.verdicts[v.acceptedPrefix]!.baselineTopId);
        expect(own.prob).toBeCloseTo(v.verdicts[v.acceptedPrefix]!.baselineTopProb, 12);
      } else {
        expect(v.outcome).toBe('bonus');
        expect(v.acceptedPrefix).toBe(v.verdicts.length);
        expect(own.top[0]!.tokenId).toBe(own.tokenId);
      }
    }
    const totals = result.verification!;
    expect(totals).toMatchObject({ kind: 'verify', steps: steps.length, checked: drafts, accepted: kept, baselineForwards: steps.length });
    expect(totals.acceptanceRate).toBeCloseTo(kept / drafts, 12);
    expect(totals.baselineForwardsPerToken).toBeCloseTo(steps.length / result.tokens, 12);
    expect(totals.baselineForwardsPerToken).toBeLessThanOrEqual(1);
    expect(steps.at(-1)!.totals.verification).toEqual(totals);
  });

  it('stepped one micro step at a time, it shows one emitted token per step and gives the free run', async () => {
    const request: GenerateRequestInput = { prompt: PROMPT, mode: 'verify', confidence: 0.3, maxNewTokens: 20 };
    const free = await recordRun(engine, request);
    const events: EngineEvent[] = [];
    const microsAtPause: number[] = [];
    const handle = engine.generate({ ...request, startPaused: true }, (e) => {
      events.push(e);
      if (e.type === 'state' && e.state === 'paused') {
        microsAtPause.push(events.filter((x) => x.type === 'micro').length);
        setTimeout(() => engine.control('stepMicro'), 0);
      }
    });
    const run = collect(await handle.done, events);
    expect(run.result.tokenIds).toEqual(free.result.tokenIds);
    expect(run.steps.map((s) => s.tokenIds)).toEqual(free.steps.map((s) => s.tokenIds));
    expect(microsAtPause.slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it('cancel between emitted tokens ends the run as cancelled; the next run is whole', async () => {
    const request: GenerateRequestInput = { prompt: PROMPT, mode: 'verify', confidence: 0, maxNewTokens: 40 };
    let micros = 0;
    const handle = engine.generate(request, (e) => {
      if (e.type === 'micro' && ++micros === 5) engine.control('cancel');
    });
    const cancelled = await handle.done;
    expect(cancelled.finishReason).toBe('cancelled');
    expect(cancelled.tokens).toBe(5);
    const again = await recordRun(engine, request);
    const base = await recordRun(engine, { ...request, mode: 'baseline' });
    expect(again.result.tokenIds).toEqual(base.result.tokenIds);
  });
});

describe('verify mode with sampling', () => {
  const sampling = { kind: 'sample', temperature: 1.5, topK: 50, topP: 0.95, seed: 1234 } as const;

  it('the same seed gives the same run: tokens, drafts and decisions', async () => {
    const request: GenerateRequestInput = { prompt: FREE_TEXT, mode: 'verify', maxNewTokens: 32, confidence: 0.5, sampling };
    const a = await recordRun(engine, request);
    const b = await recordRun(engine, request);
    expect(a.result.tokenIds).toEqual(b.result.tokenIds);
    expect(a.steps.map((s) => s.verification!.verdicts)).toEqual(b.steps.map((s) => s.verification!.verdicts));
    const other = await recordRun(engine, { ...request, sampling: { ...sampling, seed: 99 } });
    expect(other.result.tokenIds).not.toEqual(a.result.tokenIds);
  });

  it('top-k 1 makes the rejection rule greedy verification: the baseline greedy output', async () => {
    const request = { prompt: PROMPT, maxNewTokens: 24, confidence: 0.3 };
    const base = await recordRun(engine, { ...request, mode: 'baseline' });
    const k1 = await recordRun(engine, { ...request, mode: 'verify', sampling: { kind: 'sample', temperature: 3, topK: 1, topP: 1, seed: 7 } });
    expect(k1.result.tokenIds).toEqual(base.result.tokenIds);
  });
});

describe('audit', () => {
  it('never changes a run: the same tokens, groups and micro steps as the run without it', async () => {
    const requests: GenerateRequestInput[] = [
      { prompt: PROMPT, confidence: 0.9, maxNewTokens: 40 },
      { prompt: FREE_TEXT, confidence: 0.3, maxNewTokens: 40 },
      { prompt: FREE_TEXT, confidence: 0.5, maxNewTokens: 40, sampling: { kind: 'sample', temperature: 1.5, topK: 0, topP: 1, seed: 5 } },
    ];
    for (const request of requests) {
      const plain = await recordRun(engine, request);
      const audited = await recordRun(engine, { ...request, audit: true });
      expect(audited.result.tokenIds).toEqual(plain.result.tokenIds);
      expect(audited.result.text).toBe(plain.result.text);
      expect(audited.steps.map((s) => s.micro.map(untimed))).toEqual(plain.steps.map((s) => s.micro.map(untimed)));
      expect(audited.steps.map((s) => s.appended)).toEqual(plain.steps.map((s) => s.appended));
      expect(plain.steps.every((s) => s.verification === undefined)).toBe(true);
      expect(plain.result.verification).toBeUndefined();
      for (const step of audited.steps) {
        expect(step.verification!.kind).toBe('audit');
        expect(step.verification!.verdicts.map((v) => v.tokenId)).toEqual(step.tokenIds);
        expect(step.verification!.verdicts.map((v) => v.draftProb)).toEqual(step.micro.map((m) => m.prob));
      }
      expect(audited.result.verification).toMatchObject({ kind: 'audit', steps: audited.steps.length, checked: audited.result.tokens });
    }
  });

  for (const ref of reference.prompts) {
    it(`gives the Python reference's verdicts and totals on ${ref.family}`, async () => {
      expect(engine.encodePrompt(ref.prompt).tokenIds).toEqual(ref.prompt_ids);
      const { result, steps } = await recordRun(engine, { prompt: ref.prompt, confidence: reference.confidence, maxNewTokens: reference.max_new_tokens, audit: true });
      expect(result.tokenIds).toEqual(ref.hamburger_output_ids);
      expect(steps.map((s) => s.tokenIds)).toEqual(ref.audit.steps.map((s) => s.token_ids));
      for (const [i, step] of steps.entries()) {
        const want = ref.audit.steps[i]!;
        const got = step.verification!;
        expect(got.acceptedPrefix).toBe(want.accepted_prefix);
        expect(got.verdicts.map((v) => [v.tokenId, v.baselineTopId, v.agrees, v.accepted])).toEqual(
          want.verdicts.map((v) => [v.token_id, v.baseline_top_id, v.agrees, v.accepted]),
        );
        for (const [j, v] of got.verdicts.entries()) {
          expect(Math.abs(v.baselineProb - want.verdicts[j]!.baseline_prob)).toBeLessThan(TOLERANCE);
          expect(Math.abs(v.baselineTopProb - want.verdicts[j]!.baseline_top_prob)).toBeLessThan(TOLERANCE);
        }
      }
      const totals = result.verification!;
      const t = ref.audit.totals;
      expect([totals.steps, totals.checked, totals.agreed, totals.accepted]).toEqual([t.steps, t.checked, t.agreed, t.accepted]);
      expect(totals.agreementRate).toBeCloseTo(t.agreement_rate, 12);
      expect(totals.meanAcceptedPrefix).toBeCloseTo(t.mean_accepted_prefix, 12);
    });

    it(`gives the Python reference's verify steps on ${ref.family}`, async () => {
      const { result, steps } = await recordRun(engine, { prompt: ref.prompt, mode: 'verify', confidence: reference.confidence, maxNewTokens: reference.max_new_tokens });
      expect(result.tokenIds).toEqual(ref.verify.output_ids);
      const got = steps.map((s: MacroStep) => {
        const v = s.verification!;
        return { drafts: v.verdicts.map((d) => d.tokenId), draft_reason: v.draftStopReason, accepted: v.acceptedPrefix, token: v.outcome === 'ended' ? null : s.tokenIds[v.acceptedPrefix]! };
      });
      expect(got).toEqual(ref.verify.steps);
      const totals = result.verification!;
      const t = ref.verify.totals;
      expect([totals.baselineForwards, totals.checked, totals.accepted]).toEqual([t.baseline_forwards, t.drafts, t.accepted]);
      expect(totals.acceptanceRate).toBeCloseTo(t.acceptance_rate, 12);
      expect(totals.baselineForwardsPerToken).toBeCloseTo(t.baseline_forwards_per_token, 12);
    });
  }
});
