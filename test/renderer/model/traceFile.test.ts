import { describe, expect, it } from 'vitest';
import { traceEvents } from '../../../engine/api';
import { applyEvent } from '../../../renderer/src/model/runReducer';
import type { RunRecord } from '../../../renderer/src/model/runRecord';
import { TRACE_FILE_MAX_BYTES } from '../../../engine/api';
import { parseTraceText, readTraceFile, traceOf } from '../../../renderer/src/model/traceFile';
import { started, steps } from '../fixtures';

const record: RunRecord = {
  lane: 'playground',
  source: 'live',
  fileName: null,
  started: started(),
  steps: steps([1, 2, 4]),
  openMicros: [],
  openBase: null,
  phase: 'finished',
  result: null,
  error: null,
  shown: 3,
};

describe('trace files', () => {
  it('a saved trace parses back and replays into the same steps', () => {
    const text = JSON.stringify(traceOf(record, 'desc'));
    const parsed = parseTraceText(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    let replayed: RunRecord | undefined;
    for (const event of traceEvents(parsed.trace)) replayed = applyEvent(replayed, 'playground', event);
    expect(replayed!.steps).toEqual(record.steps);
  });

  it('corrupt files get a message that says what is wrong', () => {
    expect(parseTraceText('{"format":')).toMatchObject({ ok: false, message: expect.stringMatching(/not valid JSON/) });
    expect(parseTraceText('[]')).toMatchObject({ ok: false, message: expect.stringMatching(/hamburger-trace v2/) });
    const wrongStep = JSON.parse(JSON.stringify(traceOf(record, ''))) as { steps: { tokenIds: unknown }[] };
    wrongStep.steps[1]!.tokenIds = 'abc';
    expect(parseTraceText(JSON.stringify(wrongStep))).toMatchObject({ ok: false, message: expect.stringMatching(/steps\.1\.tokenIds/) });
  });

  it('a trace whose parts disagree is refused naming the field and what is allowed (all cases: test/engine/traceConsistency.test.ts)', () => {
    const groupInPrompt = structuredClone(traceOf(record, ''));
    groupInPrompt.steps[0]!.appended[0]!.kind = 'group';
    expect(parseTraceText(JSON.stringify(groupInPrompt))).toEqual({
      ok: false,
      message: 'not a hamburger-trace v2 file: steps.0.appended.0.kind: step 0 appends only the prompt\'s entries; kind: expected "prompt", got "group"',
    });
  });

  it('a file over the size limit is refused before it is read', async () => {
    const text = JSON.stringify(traceOf(record, ''));
    let reads = 0;
    const fileOf = (size: number) => ({
      size,
      text: () => {
        reads += 1;
        return Promise.resolve(text);
      },
    });
    expect(await readTraceFile(fileOf(80 * 1024 * 1024))).toEqual({ ok: false, message: 'trace file too large: 80.0 MiB (the limit is 64.0 MiB); not opened' });
    expect(await readTraceFile(fileOf(TRACE_FILE_MAX_BYTES + 1))).toMatchObject({ ok: false });
    expect(reads).toBe(0);
    expect(await readTraceFile(fileOf(TRACE_FILE_MAX_BYTES))).toMatchObject({ ok: true });
    expect(await readTraceFile(new Blob([text]))).toMatchObject({ ok: true });
  });
});
