// Forks and conversations as the app builds and opens them: requests built from run records
// (bad steps refused by name), the marks and texts the views show, and trace files: version 2
// records turns and forks and reopens them; version 1 files (test/fixtures/traces-v1) and
// version 2 files without history open as before. Real runs of the shipped package.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_VERSION, type GenerateRequestInput, type Trace } from '../../../engine/api.js';
import { HamburgerEngine } from '../../../engine/engine.js';
import { kvLayout } from '../../../renderer/src/model/kvCells.js';
import { recordFromTrace } from '../../../renderer/src/model/runReducer.js';
import { fedGroups, forkRequest, nextTurnRequest } from '../../../engine/continuation.js';
import { contextMarks, promptEntriesOf, turnTexts } from '../../../renderer/src/model/runHistory.js';
import { parseTraceText, traceOf } from '../../../renderer/src/model/traceFile.js';
import { recordTrace } from '../../support/runRecorder.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

const OLD_TRACES = fileURLToPath(new URL('../../fixtures/traces-v1', import.meta.url));
const SETTINGS: GenerateRequestInput = { prompt: 'unused', maxNewTokens: 20, confidence: 0.9 };

let engine: HamburgerEngine;
beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

const run = (request: GenerateRequestInput): Promise<Trace> => recordTrace(engine, request);

/** Saved as the app saves it, opened as the app opens it. */
function reopened(trace: Trace): Trace {
  const record = recordFromTrace(trace, 'playground', 'run.json');
  const parsed = parseTraceText(JSON.stringify(traceOf(record, '')));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.trace;
}

describe('requests that continue a run', () => {
  it('a fork from a step replays the groups before it; a bad step is refused by name', async () => {
    const original = await run({ ...SETTINGS, prompt: 'Describe a forest.' });
    const record = recordFromTrace(original, 'playground', 'run.json');
    const built = forkRequest(record, 2, SETTINGS, 17);
    expect(built).toMatchObject({ ok: true, request: { prompt: 'Describe a forest.', fork: { groups: fedGroups(original.steps, 2), fromStep: 2, token: 17 } } });
    for (const step of [-1, 1.5, original.steps.length]) {
      expect(forkRequest(record, step, SETTINGS, null)).toMatchObject({ ok: false, error: { code: 'invalid_fork', field: 'fork.fromStep', limit: `0..${original.steps.length - 1}` } });
    }
    // The fork the request describes runs, and its trace reopens with the fork recorded.
    const fork = reopened(await run((built as { request: GenerateRequestInput }).request));
    expect(fork.version).toBe(TRACE_VERSION);
    expect(fork.result!.tokenIds[0]).toBe(17);
    const forkStart = original.started.prompt.tokenIds.length;
    expect(contextMarks(fork)).toEqual([{ entry: forkStart, kind: 'fork', label: "forked: the original's groups before its step 2" }]);
    // A fork of the fork carries both prefixes.
    const again = forkRequest(fork, 1, SETTINGS, null);
    expect(again.ok && again.request.fork?.groups).toEqual([...fedGroups(original.steps, 2), ...fedGroups(fork.steps, 1)]);
    // With where each group sat: the original's entries, then the fork's own.
    const sat = (trace: Trace, from: number, to: number) => trace.steps.slice(from, to).flatMap((s) => s.appended.map((e) => e.positionId));
    expect(built.ok && built.request.fork?.positions).toEqual(sat(original, 1, 3));
    expect(again.ok && again.request.fork?.positions).toEqual([...sat(fork, 0, 1).slice(forkStart), ...sat(fork, 1, 2)]);
  });

  it('a next turn carries the turns so far; the strip counts and marks them; the trace reopens', async () => {
    const turn1 = await run({ ...SETTINGS, prompt: 'Name a color.' });
    const built = nextTurnRequest(turn1, 'Another one?', SETTINGS, 'smashed');
    expect(built).toMatchObject({ ok: true, request: { prompt: 'Another one?', turns: [{ user: 'Name a color.', answer: fedGroups(turn1.steps, turn1.steps.length) }], turnCache: 'smashed' } });
    const turn2 = reopened(await run((built as { request: GenerateRequestInput }).request));
    const layout = kvLayout(turn2.steps, turn2.steps.length, 'last_token');
    const r1 = turn1.result!;
    const nextTurn = turn2.started.prompt.tokenIds.length - turn1.started.prompt.tokenIds.length - r1.tokens;
    expect(layout.promptEntries).toBe(r1.kvEntries.prompt + r1.kvEntries.generated + nextTurn);
    expect(promptEntriesOf(turn2)).toBe(layout.promptEntries);
    expect(layout.cells.slice(0, layout.promptEntries).filter((c) => c.kind === 'group')).toHaveLength(r1.kvEntries.generated);
    expect(contextMarks(turn2)).toEqual([{ entry: r1.kvEntries.prompt + turn1.steps.length, kind: 'turn', label: 'turn 2 starts' }]);
    const texts = turnTexts(turn2);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('Name a color.');
    expect(texts[1]).toContain('Another one?');
    expect(nextTurnRequest({ ...turn1, started: { ...turn1.started, settings: { ...turn1.started.settings, chatTemplate: false } } }, 'x', SETTINGS, 'smashed')).toMatchObject({
      ok: false,
      error: { code: 'invalid_turns', field: 'chatTemplate' },
    });
  });

  it('a trace whose turns start where step 0 has no entry is refused, naming the field', async () => {
    const turn1 = await run({ ...SETTINGS, prompt: 'Name a color.' });
    const turn2 = await run({ ...SETTINGS, prompt: 'More?', turns: [{ user: 'Name a color.', answer: fedGroups(turn1.steps, turn1.steps.length) }] });
    const broken = { ...turn2, started: { ...turn2.started, history: { ...turn2.started.history!, turnStarts: [0, 99999] } } };
    const parsed = parseTraceText(JSON.stringify(broken));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/started\.history\.turnStarts\.1/);
  });
});

describe('older trace files', () => {
  it.each(readdirSync(OLD_TRACES))('version 1 %s opens as before', (file) => {
    const parsed = parseTraceText(readFileSync(path.join(OLD_TRACES, file), 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.trace.version).toBe(1);
    expect(parsed.trace.started.history).toBeUndefined();
    expect(promptEntriesOf(parsed.trace)).toBe(parsed.trace.started.prompt.tokenIds.length);
    expect(contextMarks(parsed.trace)).toEqual([]);
  });

  it('a plain run of this version opens with the prompt as its step 0', async () => {
    const trace = reopened(await run({ ...SETTINGS, prompt: 'Hello.' }));
    expect(trace.version).toBe(TRACE_VERSION);
    expect(kvLayout(trace.steps, trace.steps.length, 'last_token').promptEntries).toBe(trace.started.prompt.tokenIds.length);
  });
});
