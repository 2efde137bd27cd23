// An analysis through the app hosts' session (host/hostSession.ts, the worker behind it, real
// model): a lane's run like a generation's, its events named by lane, its control owned by
// the window that started it, and bad calls refused by field.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, FinishedEvent } from '../../engine/api.js';
import type { LaneEvent } from '../../host/protocol.js';
import { HostSession } from '../../host/hostSession.js';
import { engineRejection } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

let session: HostSession | null = null;
afterEach(async () => {
  await session?.close();
  session = null;
});

function open(): { s: HostSession; events: LaneEvent[] } {
  const s = new HostSession({ defaultModelDirectory: MODEL_DIR });
  session = s;
  const events: LaneEvent[] = [];
  s.onEvent((event) => events.push(event));
  return { s, events };
}

function finished(events: LaneEvent[]): Promise<FinishedEvent> {
  return vi.waitFor(
    () => {
      const found = events.find((e) => e.event.type === 'finished');
      if (found === undefined) throw new Error('not yet');
      return found.event as FinishedEvent;
    },
    { timeout: 30_000, interval: 20 },
  );
}

describe('analyse through the host session', () => {
  it('runs on the named lane and reports like a run, with the text figures', async () => {
    const { s, events } = open();
    const reply = (await s.call({ method: 'analyse', lane: 'race-1', request: { prompt: 'Count down from 18 to 4.', text: '18, 17, 15, 14', confidence: 0.9 } }, 'window-1')) as { runId: string };
    const done = await finished(events);
    const lanes = new Set(events.map((e) => e.lane));
    expect([...lanes]).toEqual(['race-1']);
    expect(events.every((e) => e.event.runId === reply.runId)).toBe(true);
    const started = events.find((e) => e.event.type === 'started')!.event as Extract<EngineEvent, { type: 'started' }>;
    expect(started.settings.analysis).toBe(true);
    expect(done.result.analysis!.tokens).toBe(14);
    expect(done.result.analysis!.divergences).toBe(1);
  });

  it('a paused analysis is controlled by the window that started it only', async () => {
    const { s, events } = open();
    await s.call({ method: 'analyse', lane: 'playground', request: { text: 'The jury said.', startPaused: true } }, 'window-1');
    const other = await engineRejection(s.call({ method: 'control', lane: 'playground', action: 'cancel' }, 'window-2'));
    expect(other.code).toBe('not_owner');
    await s.call({ method: 'control', lane: 'playground', action: 'cancel' }, 'window-1');
    expect((await finished(events)).result.finishReason).toBe('cancelled');
  });

  it('refuses bad calls by field: the lane at the edge, the request in the engine', async () => {
    const { s } = open();
    const lane = await engineRejection(s.call({ method: 'analyse', lane: 'race-9', request: { text: 'a' } }, 'window-1'));
    expect([lane.code, lane.field]).toEqual(['invalid_request', 'lane']);
    const empty = await engineRejection(s.call({ method: 'analyse', lane: 'playground', request: { text: '' } }, 'window-1'));
    expect([empty.code, empty.field]).toEqual(['empty_text', 'text']);
    const unknown = await engineRejection(s.call({ method: 'analyse', lane: 'playground', request: { text: 'a', temperature: 2 } }, 'window-1'));
    expect([unknown.code, unknown.field]).toEqual(['invalid_request', 'temperature']);
    // The lane is free again after a refused request.
    const events: LaneEvent[] = [];
    s.onEvent((e) => events.push(e));
    await s.call({ method: 'analyse', lane: 'playground', request: { text: 'a b' } }, 'window-1');
    expect((await finished(events)).result.analysis!.tokens).toBeGreaterThan(0);
  });
});
