import { describe, expect, it } from 'vitest';
import { mainThreadCpu, type TraceEvent } from '../../scripts/traceCpu.js';

const MAIN = { pid: 1, tid: 1 };
const OTHER = { pid: 1, tid: 2 };

function complete(thread: { pid: number; tid: number }, name: string, ts: number, dur: number, tdur: number, type?: string): TraceEvent {
  return { name, ph: 'X', ...thread, ts, dur, tdur, args: type === undefined ? {} : { data: { type } } };
}

describe('mainThreadCpu', () => {
  const events: TraceEvent[] = [
    { name: 'thread_name', ph: 'M', ...MAIN, ts: 0, args: { name: 'CrRendererMain' } },
    { name: 'thread_name', ph: 'M', ...OTHER, ts: 0, args: { name: 'Compositor' } },
    // A frame: 6 ms of CPU (in 40 ms of wall time), of which 2 ms layout and 1 ms paint.
    complete(MAIN, 'RunTask', 0, 40_000, 6_000),
    complete(MAIN, 'FireAnimationFrame', 1_000, 20_000, 3_000),
    complete(MAIN, 'FunctionCall', 1_000, 10_000, 2_000),
    complete(MAIN, 'Layout', 22_000, 5_000, 2_000),
    complete(MAIN, 'Paint', 30_000, 5_000, 1_000),
    // A key: 1.5 ms.
    complete(MAIN, 'RunTask', 50_000, 3_000, 1_500),
    complete(MAIN, 'EventDispatch', 50_500, 2_000, 1_000, 'keydown'),
    // Another thread's work is not the page's main thread.
    complete(OTHER, 'RunTask', 1_000, 5_000, 5_000),
    // A mouse event is neither a frame nor a key.
    complete(MAIN, 'RunTask', 60_000, 1_000, 500),
    complete(MAIN, 'EventDispatch', 60_000, 1_000, 400, 'mousemove'),
  ];
  const cpu = mainThreadCpu(events);

  it('sums the thread time of the main thread tasks', () => {
    expect(cpu.totalMs).toBe(8);
  });

  it('tells frames and keys apart', () => {
    expect(cpu.frameTasksMs).toEqual([6]);
    expect(cpu.keyTasksMs).toEqual([1.5]);
  });

  it('gives each event its self time', () => {
    expect(Object.fromEntries(cpu.selfMs)).toEqual({
      RunTask: 6 - 3 - 2 - 1 + 1.5 - 1 + 0.5 - 0.4,
      FireAnimationFrame: 1,
      FunctionCall: 2,
      Layout: 2,
      Paint: 1,
      EventDispatch: 1.4,
    });
    const ms = cpu.selfMs.map(([, value]) => value);
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
  });
});
