import { describe, expect, it } from 'vitest';
import { advanceCursor, cursorMoving } from '../../../renderer/src/model/pacing';
import type { RunRecord } from '../../../renderer/src/model/runRecord';
import { started, steps } from '../fixtures';

function record(source: 'live' | 'file', shown = 0): RunRecord {
  return { lane: 'playground', source, fileName: null, started: started(), steps: steps([1, 1, 1, 1, 1, 1], 100), openMicros: [], openBase: null, phase: 'running', result: null, error: null, shown };
}

describe('pace control', () => {
  it('real time: a live run shows everything it has', () => {
    expect(advanceCursor(record('live'), { kind: 'realtime' }, true, 16, { shown: 0, clockMs: 0 }).shown).toBe(6);
  });

  it('real time: a replay follows the recorded engine clock', () => {
    const cursor = advanceCursor(record('file'), { kind: 'realtime' }, true, 250, { shown: 0, clockMs: 0 });
    expect(cursor.shown).toBe(2); // steps end at 100, 200, 300 ms...
    expect(advanceCursor(record('file'), { kind: 'realtime' }, false, 250, { shown: 0, clockMs: 0 }).shown).toBe(0);
  });

  it('N steps per second carries fractions across frames', () => {
    let cursor = { shown: 0, clockMs: 0 };
    for (let frame = 0; frame < 30; frame++) cursor = advanceCursor(record('live'), { kind: 'rate', stepsPerSecond: 2 }, true, 50, cursor);
    expect(cursor.shown).toBe(3); // 1.5 s at 2 steps/s
  });

  it('one step per key press never moves by itself', () => {
    expect(advanceCursor(record('live'), { kind: 'manual' }, true, 1000, { shown: 1, clockMs: 0 }).shown).toBe(1);
    expect(cursorMoving(record('live', 1), { kind: 'manual' }, true)).toBe(false);
    expect(cursorMoving(record('live', 1), { kind: 'rate', stepsPerSecond: 1 }, true)).toBe(true);
  });
});
