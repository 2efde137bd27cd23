// A run's trace: recorded from its events, saved as JSON, parsed back and replayed without
// the model into exactly the events the live run emitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceEvents, type EngineEvent } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { parseTrace, TraceRecorder } from '../../engine/traceRecorder.js';
import { engineThrow } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

let engine: HamburgerEngine;
beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

async function recorded(request: Parameters<HamburgerEngine['generate']>[0]) {
  const recorder = new TraceRecorder({ name: engine.info.name, description: engine.info.description });
  const events: EngineEvent[] = [];
  const handle = engine.generate(request, (e) => {
    events.push(e);
    recorder.record(e);
  });
  await handle.done;
  return { trace: recorder.trace()!, events };
}

describe('traces', () => {
  it('replays a saved trace into the same events the live run emitted', async () => {
    const { trace, events } = await recorded({ prompt: 'Count from 5 to 15.', confidence: 0.3, maxNewTokens: 20 });
    const reopened = parseTrace(JSON.stringify(trace));
    expect(traceEvents(reopened)).toEqual(events.filter((e) => e.type !== 'state'));
    expect(reopened.result!.tokenIds).toEqual(trace.steps.flatMap((s) => s.tokenIds));
    expect(reopened.started.settings.confidence).toBe(0.3);
  });

  it('keeps the settings and prompt needed to run it again, with the same result', async () => {
    const { trace } = await recorded({ prompt: 'Spell the word table.', maxNewTokens: 10, sampling: { kind: 'sample', temperature: 1, topK: 20, topP: 0.9, seed: 3 } });
    const s = trace.started.settings;
    const again = await engine.generate(
      { prompt: trace.started.prompt.text, mode: s.mode, confidence: s.confidence, maxNewTokens: s.maxNewTokens, sampling: s.sampling, chatTemplate: s.chatTemplate },
      () => undefined,
    ).done;
    expect(again.tokenIds).toEqual(trace.result!.tokenIds);
  });

  it('records a cancelled run up to the cancel', async () => {
    const recorder = new TraceRecorder({ name: engine.info.name, description: '' });
    const handle = engine.generate({ prompt: 'Count from 5 to 15.', maxNewTokens: 50 }, (e) => {
      recorder.record(e);
      if (e.type === 'macro' && e.step.index === 2) engine.control('cancel');
    });
    await handle.done;
    const trace = recorder.trace()!;
    expect(trace.steps).toHaveLength(3);
    expect(trace.result!.finishReason).toBe('cancelled');
  });

  it.each([
    ['not JSON', '{"format":', ''],
    ['another document', '{"hello": 1}', 'format'],
    ['a trace with a broken step', 'BROKEN_STEP', 'steps.0.micro'],
  ])('refuses %s as trace_invalid', async (_, text, field) => {
    let json = text;
    if (text === 'BROKEN_STEP') {
      const { trace } = await recorded({ prompt: 'hi', maxNewTokens: 2 });
      json = JSON.stringify({ ...trace, steps: [{ ...trace.steps[0], micro: 'nope' }] });
    }
    const error = engineThrow(() => parseTrace(json));
    expect(error.code).toBe('trace_invalid');
    expect(error.field ?? '').toBe(field);
  });
});
