import { beforeEach, describe, expect, it } from 'vitest';
import { baseForwardOf } from '../../../engine/api';
import { type LaneEvent } from '../../../host/protocol';
import { useRunStore } from '../../../renderer/src/stores/runStore';
import { started, steps } from '../fixtures';

const run = steps([2, 1, 3]);

function liveEvents(runId = 'run-a'): LaneEvent[] {
  const events: LaneEvent[] = [{ lane: 'playground', event: started(runId) }];
  for (const step of run) {
    events.push({ lane: 'playground', event: { type: 'base', runId, base: baseForwardOf(step) } });
    for (const micro of step.micro) events.push({ lane: 'playground', event: { type: 'micro', runId, micro } });
    events.push({ lane: 'playground', event: { type: 'macro', runId, step } });
  }
  return events;
}

beforeEach(() => useRunStore.setState({ runs: {} }));

describe('runStore', () => {
  it('folds a frame of events into the lane record', () => {
    useRunStore.getState().applyEvents(liveEvents());
    const record = useRunStore.getState().runs.playground!;
    expect(record.steps).toHaveLength(3);
    expect(record.openMicros).toEqual([]);
    expect(record.phase).toBe('running');
    expect(record.shown).toBe(0);
  });

  it('keeps the base forward and micro steps of an unfinished macro step open', () => {
    // started; base, 2 micro and macro of step 0; base and first micro of step 1
    const events = liveEvents().slice(0, 7);
    useRunStore.getState().applyEvents(events);
    const record = useRunStore.getState().runs.playground!;
    expect(record.openMicros).toHaveLength(1);
    expect(record.openBase).toEqual({ step: 1, kvEntry: run[1]!.kvEntry, positionId: run[1]!.positionId, features: run[1]!.features });
    useRunStore.getState().applyEvents([{ lane: 'playground', event: { type: 'macro', runId: 'run-a', step: run[1]! } }]);
    expect(useRunStore.getState().runs.playground).toMatchObject({ openMicros: [], openBase: null });
  });

  it('ignores events of another run and tracks pause and finish', () => {
    const store = useRunStore.getState();
    store.applyEvents(liveEvents());
    store.applyEvents([
      { lane: 'playground', event: { type: 'state', runId: 'other', state: 'paused' } },
      { lane: 'playground', event: { type: 'state', runId: 'run-a', state: 'paused' } },
    ]);
    expect(useRunStore.getState().runs.playground!.phase).toBe('paused');
    store.applyEvents([{ lane: 'playground', event: { type: 'failed', runId: 'run-a', error: { code: 'inference_failed', message: 'x' } } }]);
    expect(useRunStore.getState().runs.playground).toMatchObject({ phase: 'failed', error: { code: 'inference_failed' } });
  });

  it('setShown clamps to the steps there are', () => {
    const store = useRunStore.getState();
    store.applyEvents(liveEvents());
    store.setShown('playground', 99);
    expect(useRunStore.getState().runs.playground!.shown).toBe(3);
    store.setShown('playground', -4);
    expect(useRunStore.getState().runs.playground!.shown).toBe(0);
  });

  it('a dropped connection interrupts live runs but keeps what they produced', () => {
    const store = useRunStore.getState();
    store.applyEvents(liveEvents());
    store.interruptLive('connection lost');
    expect(useRunStore.getState().runs.playground).toMatchObject({ phase: 'interrupted', error: { message: 'connection lost' } });
    expect(useRunStore.getState().runs.playground!.steps).toHaveLength(3);
  });
});
