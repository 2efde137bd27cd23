// The renderer's view of audited and verify runs, on runs of the real engine and package: the
// KV strip's cells are the entries the engine wrote (verify feeds a group back as two), and
// the stream's marks, the strip's flags and the agreement chart add up to the engine's totals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MacroStep } from '../../../engine/api.js';
import { HamburgerEngine } from '../../../engine/engine.js';
import { agreementSeries, entriesWithPending } from '../../../renderer/src/model/chartSeries.js';
import { holdsRejection, kvLayout } from '../../../renderer/src/model/kvCells.js';
import type { RunRecord } from '../../../renderer/src/model/runRecord.js';
import { applyEvent, recordFromTrace } from '../../../renderer/src/model/runReducer.js';
import { feedSizes } from '../../../engine/continuation.js';
import { flaggedTokens, rejectedDrafts, tokenChecks } from '../../../renderer/src/model/tokenChecks.js';
import { parseTraceText, traceOf } from '../../../renderer/src/model/traceFile.js';
import { recordRun, type RecordedRun } from '../../support/runRecorder.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

const PROMPT = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';

let engine: HamburgerEngine;
let verified: RecordedRun;
let audited: RecordedRun;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
  verified = await recordRun(engine, { prompt: PROMPT, mode: 'verify', confidence: 0.5, maxNewTokens: 48 });
  audited = await recordRun(engine, { prompt: PROMPT, mode: 'hamburger', audit: true, confidence: 0.5, maxNewTokens: 48 });
});
afterAll(async () => {
  await engine.dispose();
});

const entryView = (e: { index: number; positionId: number; tokenIds: number[] }) => ({ index: e.index, positionId: e.positionId, tokenIds: e.tokenIds });

/** Every entry the engine appended after the prompt, in cache order. */
const groupEntries = (steps: MacroStep[]) => steps.flatMap((s) => s.appended.filter((e) => e.kind === 'group').map(entryView));

describe('verify runs', () => {
  it('had corrections and bonus tokens to show (else this spec checks little)', () => {
    const outcomes = verified.steps.map((s) => s.verification?.outcome);
    expect(outcomes).toContain('correction');
    expect(outcomes).toContain('bonus');
  });

  it('the strip holds the entries the engine wrote, kept drafts and the baseline token apart', () => {
    const layout = kvLayout(verified.steps, verified.steps.length, 'last_token');
    expect(layout.cells.filter((c) => c.kind === 'group').map(entryView)).toEqual(groupEntries(verified.steps));
    // Two entries per step that kept drafts and added the baseline's token.
    expect(verified.steps.some((s) => s.appended.length === 2)).toBe(true);
  });

  it('the pending cells are the entries the next step writes', () => {
    for (let k = 1; k < verified.steps.length; k++) {
      const pending = kvLayout(verified.steps, k, 'last_token').pending.map(entryView);
      expect(pending, `after step ${k - 1}`).toEqual(verified.steps[k]!.appended.map(entryView));
      expect(feedSizes(verified.steps[k - 1]!)).toEqual(pending.map((p) => p.tokenIds.length));
    }
  });

  it('marks kept drafts, the baseline token and the rejected drafts as the engine counted them', () => {
    const totals = verified.result.verification!;
    const checks = verified.steps.flatMap(tokenChecks);
    expect(checks.filter((c) => c?.kind === 'accepted').length).toBe(totals.accepted);
    expect(verified.steps.flatMap(rejectedDrafts).length).toBe(totals.checked - totals.accepted);
    const corrections = verified.steps.filter((s) => s.verification!.outcome === 'correction').length;
    expect(checks.filter((c) => c?.kind === 'verifier' && c.outcome === 'correction').length).toBe(corrections);
    // Each correction's baseline token is the baseline's top choice for the rejected draft (greedy).
    for (const step of verified.steps) {
      for (const [i, check] of tokenChecks(step).entries()) {
        if (check?.kind === 'verifier' && check.replaced !== null) expect(step.tokenIds[i]).toBe(check.replaced.baselineTopId);
      }
    }
    const layout = kvLayout(verified.steps, verified.steps.length, 'last_token');
    expect(layout.cells.filter(holdsRejection).length).toBe(verified.steps.slice(0, -1).filter((s) => s.verification!.outcome === 'correction').length);
  });

  it('counts the pending entries of the engine totals', () => {
    const last = verified.steps[verified.steps.length - 1]!;
    const layout = kvLayout(verified.steps, verified.steps.length, 'last_token');
    expect(entriesWithPending(last.totals)).toBe(layout.groupEntries + layout.pending.length);
  });
});

describe('trace files of checked runs', () => {
  it('keep the verdicts: a saved verify run replays with the same marks and strip', () => {
    let record: RunRecord | undefined;
    for (const event of verified.events) record = applyEvent(record, 'playground', event);
    const parsed = parseTraceText(JSON.stringify(traceOf(record!, '')));
    expect(parsed.ok).toBe(true);
    const replay = recordFromTrace(parsed.ok ? parsed.trace : (undefined as never), 'playground', 'run.json');
    expect(replay.started.settings).toMatchObject({ mode: 'verify', verifier: verified.result.verification!.verifier });
    expect(replay.steps.map(tokenChecks)).toEqual(verified.steps.map(tokenChecks));
    expect(kvLayout(replay.steps, replay.steps.length, 'last_token').pending.map(entryView)).toEqual(kvLayout(verified.steps, verified.steps.length, 'last_token').pending.map(entryView));
  });
});

describe('audited runs', () => {
  it('flags what the baseline rejects, in the stream and the strip, as the engine counted', () => {
    const totals = audited.result.verification!;
    expect(totals.checked - totals.accepted).toBeGreaterThan(0);
    const checks = audited.steps.flatMap(tokenChecks);
    expect(checks.length).toBe(audited.result.tokens);
    expect(flaggedTokens(checks)).toBe(totals.checked - totals.accepted);
    expect(checks.filter((c) => c?.kind === 'rejected').length).toBe(totals.checked - totals.agreed);
    const layout = kvLayout(audited.steps, audited.steps.length, 'last_token');
    const flaggedSteps = audited.steps.filter((s) => s.verification!.acceptedPrefix < s.tokenIds.length).length;
    expect(layout.cells.filter(holdsRejection).length + layout.pending.filter(holdsRejection).length).toBe(flaggedSteps);
  });

  it('the agreement chart ends on the engine agreement rate', () => {
    const totals = audited.result.verification!;
    const points = agreementSeries(audited.steps, audited.steps.length);
    expect(points.length).toBe(audited.steps.length);
    expect(points.reduce((n, p) => n + p.agreed, 0)).toBe(totals.agreed);
    expect(points[points.length - 1]!.running).toBeCloseTo(totals.agreementRate, 10);
    expect(agreementSeries(audited.steps, 3).length).toBe(3);
  });

  it('a run that is not checked has no marks', async () => {
    const plain = await recordRun(engine, { prompt: PROMPT, mode: 'hamburger', confidence: 0.5, maxNewTokens: 16 });
    expect(plain.steps.flatMap(tokenChecks).every((c) => c === null)).toBe(true);
    expect(agreementSeries(plain.steps, plain.steps.length)).toEqual([]);
    expect(plain.steps.map(feedSizes)).toEqual(plain.steps.map((s) => [s.tokenIds.length]));
  });
});
