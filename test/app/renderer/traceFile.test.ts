import { describe, expect, it } from 'vitest';
import { traceEvents } from '../../../engine/api';
import { applyEvent } from '../../../renderer/src/model/runReducer';
import type { RunRecord } from '../../../renderer/src/model/runRecord';
import { parseTraceText, traceOf } from '../../../renderer/src/model/traceFile';
import { started, steps } from './fixtures';

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
    expect(parseTraceText('[]')).toMatchObject({ ok: false, message: expect.stringMatching(/hamburger-trace v1/) });
    const wrongStep = JSON.parse(JSON.stringify(traceOf(record, ''))) as { steps: { tokenIds: unknown }[] };
    wrongStep.steps[1]!.tokenIds = 'abc';
    expect(parseTraceText(JSON.stringify(wrongStep))).toMatchObject({ ok: false, message: expect.stringMatching(/steps\.1\.tokenIds/) });
  });
});
