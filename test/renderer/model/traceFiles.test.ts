// Every kind of trace the engine records (and the app saves) opens, and everything the views
// compute from an opened trace comes out whole at every point of its replay; traces saved by
// earlier versions of format 1 open too. Real runs of the shipped package.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, GenerateRequestInput, Trace } from '../../../engine/api.js';
import { HamburgerEngine } from '../../../engine/engine.js';
import { EngineError } from '../../../engine/errors.js';
import { TimedSession } from '../../../engine/timedSession.js';
import { parseTrace, TraceRecorder } from '../../../engine/traceRecorder.js';
import { agreementSeries, kvGrowth, throughput, tokenPoints, tokensPerStep } from '../../../renderer/src/model/chartSeries.js';
import { kvLayout } from '../../../renderer/src/model/kvCells.js';
import type { RunRecord } from '../../../renderer/src/model/runRecord.js';
import { applyEvent, recordFromTrace } from '../../../renderer/src/model/runReducer.js';
import { streamRows } from '../../../renderer/src/model/streamRows.js';
import { rejectedDrafts, tokenChecks } from '../../../renderer/src/model/tokenChecks.js';
import { parseTraceText, traceOf } from '../../../renderer/src/model/traceFile.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

const OLD_TRACES = fileURLToPath(new URL('../../fixtures/traces-v1', import.meta.url));
const PROSE = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';
const SAMPLED = { kind: 'sample', temperature: 1, topK: 0, topP: 1, seed: 7 } as const;

let engine: HamburgerEngine;
beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

interface Recorded {
  trace: Trace;
  events: EngineEvent[];
}

/** A run's trace as the worker and the CLI record it; `onEvent` may steer the run (cancel it). */
async function recorded(request: GenerateRequestInput, onEvent: (event: EngineEvent) => void = () => undefined): Promise<Recorded> {
  const recorder = new TraceRecorder({ name: engine.info.name, description: engine.info.description });
  const events: EngineEvent[] = [];
  const handle = engine.generate(request, (event) => {
    events.push(event);
    recorder.record(event);
    onEvent(event);
  });
  await handle.done.catch(() => undefined);
  return { trace: recorder.trace()!, events };
}

/** Opens a trace as the app does and replays it, computing at every cursor position what the views draw from it. */
function openAndReplay(text: string): Trace {
  const parsed = parseTraceText(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const record = recordFromTrace(parsed.trace, 'playground', 'run.json');
  for (let shown = 0; shown <= record.steps.length; shown++) {
    const layout = kvLayout(record.steps, shown, 'last_token');
    for (const cell of [...layout.cells, ...layout.pending]) {
      expect(cell.tokenIds.length).toBeGreaterThan(0);
      // A checked token the views show with its verdict has one.
      for (const check of cell.checks) if (check !== null && check.kind !== 'verifier') expect(check.verdict).toBeDefined();
    }
    streamRows(record.steps, shown, 56);
    tokensPerStep(record.steps, shown);
    tokenPoints(record.steps, shown);
    throughput(record.steps, shown);
    kvGrowth(record.steps, shown);
    agreementSeries(record.steps, shown);
  }
  for (const step of record.steps) {
    expect(tokenChecks(step)).toHaveLength(step.micro.length);
    rejectedDrafts(step);
  }
  return parsed.trace;
}

/** The same run as the app saves it: folded from its events into a record, then `traceOf`. */
function savedByTheApp(events: readonly EngineEvent[]): string {
  let record: RunRecord | undefined;
  for (const event of events) record = applyEvent(record, 'playground', event);
  return JSON.stringify(traceOf(record!, engine.info.description), null, 1);
}

describe('traces the engine records', () => {
  it.each<[string, GenerateRequestInput]>([
    ['greedy', { prompt: 'Count from 1 to 9.', confidence: 0.5, maxNewTokens: 30 }],
    ['sampled', { prompt: PROSE, maxNewTokens: 30, sampling: SAMPLED }],
    ['baseline', { prompt: 'Count from 1 to 9.', mode: 'baseline', maxNewTokens: 20 }],
    ['audited', { prompt: PROSE, audit: true, confidence: 0, maxNewTokens: 40 }],
    ['audited and sampled', { prompt: PROSE, audit: true, confidence: 0, maxNewTokens: 40, sampling: SAMPLED }],
    ['verify', { prompt: PROSE, mode: 'verify', confidence: 0.5, maxNewTokens: 48 }],
    ['verify, sampled', { prompt: PROSE, mode: 'verify', confidence: 0, maxNewTokens: 48, sampling: SAMPLED }],
    ['raw prompt, stopped at the token limit', { prompt: 'The', chatTemplate: false, mode: 'verify', confidence: 0, maxNewTokens: 37, minNewTokens: 37 }],
  ])('%s: opens as saved by the worker and by the app, and replays whole', async (_, request) => {
    const { trace, events } = await recorded(request);
    expect(trace.result).not.toBeNull();
    expect(parseTrace(JSON.stringify(trace))).toEqual(trace);
    expect(openAndReplay(JSON.stringify(trace)).steps).toEqual(trace.steps);
    expect(openAndReplay(savedByTheApp(events)).steps).toEqual(trace.steps);
  });

  it('verify runs with corrections, bonus tokens and a run ended inside the drafts are among them', async () => {
    const outcomes = new Set<string>();
    for (const request of [
      { prompt: PROSE, mode: 'verify', confidence: 0.5, maxNewTokens: 48 },
      { prompt: 'Count from 1 to 9.', mode: 'verify', confidence: 0.5, maxNewTokens: 12 },
    ] as const) {
      const { trace } = await recorded(request);
      openAndReplay(JSON.stringify(trace));
      for (const step of trace.steps) outcomes.add(step.verification!.outcome);
    }
    expect([...outcomes].sort()).toEqual(['bonus', 'correction', 'ended']);
  });

  it('a run ended by end of sequence, and one that filled the context', async () => {
    const eos = await recorded({ prompt: 'Count from 1 to 5.', maxNewTokens: 200 });
    expect(eos.trace.result!.finishReason).toBe('eos');
    openAndReplay(JSON.stringify(eos.trace));
    // A raw prompt a few tokens short of the context: the run stops when it is full.
    const maxPosition = engine.info.architecture.maxPosition;
    let prompt = 'the old house '.repeat(400);
    while (engine.encodePrompt(prompt, false).tokenIds.length > maxPosition - 6) prompt = prompt.slice(0, -14);
    const full = await recorded({ prompt, chatTemplate: false, audit: true, confidence: 0, maxNewTokens: 100, minNewTokens: 20 });
    expect(full.trace.result!.finishReason).toBe('context_full');
    openAndReplay(JSON.stringify(full.trace));
  });

  it('a run cancelled inside a step: the result holds the cut step\'s tokens, the steps do not', async () => {
    const { trace } = await recorded({ prompt: PROSE, confidence: 0, maxNewTokens: 60 }, (event) => {
      if (event.type === 'micro' && event.micro.step === 2 && event.micro.index === 1) engine.control('cancel');
    });
    expect(trace.result!.finishReason).toBe('cancelled');
    expect(trace.steps).toHaveLength(2);
    expect(trace.result!.tokens).toBeGreaterThan(trace.steps.flatMap((s) => s.tokenIds).length);
    openAndReplay(JSON.stringify(trace));
  });

  it('verify and audited runs cancelled mid-step, and a run cancelled before its first step', async () => {
    const verify = await recorded({ prompt: PROSE, mode: 'verify', confidence: 0, maxNewTokens: 60, startPaused: true }, (event) => {
      if (event.type === 'started' || event.type === 'micro') setTimeout(() => engine.control(event.type === 'micro' && event.micro.step === 3 ? 'cancel' : 'stepMicro'));
    });
    expect(verify.trace.result!.finishReason).toBe('cancelled');
    openAndReplay(JSON.stringify(verify.trace));
    const audited = await recorded({ prompt: PROSE, audit: true, confidence: 0, maxNewTokens: 60 }, (event) => {
      if (event.type === 'macro' && event.step.index === 1) engine.control('cancel');
    });
    expect(audited.trace.result!.verification!.steps).toBe(2);
    openAndReplay(JSON.stringify(audited.trace));
    const early = await recorded({ prompt: PROSE, maxNewTokens: 20 }, (event) => {
      if (event.type === 'started') engine.control('cancel');
    });
    expect(early.trace.steps).toEqual([]);
    openAndReplay(JSON.stringify(early.trace));
  });

  it('a failed run: its steps and the error', async () => {
    // The graphs fail on the 12th call (a stand-in for a real inference error); the run fails, the engine stays usable.
    const run = TimedSession.prototype.run;
    let calls = 0;
    const spy = vi.spyOn(TimedSession.prototype, 'run').mockImplementation(function (this: TimedSession, ...args) {
      calls += 1;
      return calls === 12 ? Promise.reject(new EngineError('inference_failed', `the ${this.name} graph failed: injected`)) : run.apply(this, args);
    });
    try {
      const { trace, events } = await recorded({ prompt: PROSE, audit: true, confidence: 0, maxNewTokens: 40 });
      expect(trace.error).toMatchObject({ code: 'inference_failed' });
      expect(trace.result).toBeNull();
      expect(trace.steps.length).toBeGreaterThan(0);
      openAndReplay(JSON.stringify(trace));
      openAndReplay(savedByTheApp(events));
    } finally {
      spy.mockRestore();
    }
  });

  it('the app saves a run still going (no result yet) and one whose connection dropped', async () => {
    const { events } = await recorded({ prompt: PROSE, mode: 'verify', confidence: 0.5, maxNewTokens: 30 });
    // Up to the first micro step after macro step 3 (its base event comes between).
    const midway = events.slice(0, events.findIndex((e) => e.type === 'micro' && e.micro.step === 4) + 1);
    let record: RunRecord | undefined;
    for (const event of midway) record = applyEvent(record, 'playground', event);
    expect(record!.openMicros.length).toBeGreaterThan(0);
    const running = openAndReplay(JSON.stringify(traceOf(record!, '')));
    expect([running.result, running.error, running.steps.length]).toEqual([null, null, 4]);
    const interrupted: RunRecord = { ...record!, phase: 'interrupted', error: { code: 'internal', message: 'the connection to the engine was lost' } };
    expect(openAndReplay(JSON.stringify(traceOf(interrupted, ''))).error).toMatchObject({ code: 'internal' });
  });
});

describe('traces saved by earlier versions of format 1', () => {
  // Written by the CLI of commits 5027b71 (before audit and verify), fe4c09a (audit and verify
  // added) and 32c2389 (minNewTokens added), each on the package shipped with it.
  it.each(readdirSync(OLD_TRACES).filter((f) => f.endsWith('.json')))('%s opens and replays', (file) => {
    const trace = openAndReplay(readFileSync(path.join(OLD_TRACES, file), 'utf8'));
    expect(trace.steps.length).toBeGreaterThan(0);
  });
});
