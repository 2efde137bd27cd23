// The engine in a worker thread behind EngineHost: typed requests, events, traces, errors.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, GenerationResult } from '../../../engine/api.js';
import { HamburgerEngine } from '../../../engine/engine.js';
import { EngineError } from '../../../engine/errors.js';
import { EngineHost } from '../../../engine/worker/engineHost.js';
import { ENGINE_THREAD_NICE } from '../../../engine/worker/threadPriority.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

let host: EngineHost;
// Events can arrive before generate()'s reply (started is emitted at once), so every
// event is kept from the start and picked by runId.
const seen: EngineEvent[] = [];
beforeAll(async () => {
  host = new EngineHost();
  host.onEvent((e) => seen.push(e));
});
afterAll(async () => {
  await host.close();
});

function finished(runId: string): Promise<{ result: GenerationResult; events: EngineEvent[] }> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const events = seen.filter((e) => e.runId === runId);
      const last = events.at(-1);
      if (last?.type !== 'finished') return false;
      resolve({ result: last.result, events });
      return true;
    };
    if (check()) return;
    const off = host.onEvent(() => {
      if (check()) off();
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineError);
  expect((error as EngineError).code).toBe(code);
}

describe('EngineHost', () => {
  it('refuses to generate before a model is loaded', async () => {
    await expectCode(host.generate({ prompt: 'hi' }), 'no_model');
  });

  it('reports a bad model folder with its error code, and stays usable', async () => {
    await expectCode(host.load('/nonexistent/model'), 'manifest_missing');
  });

  it('loads the model and generates the same tokens as an in-thread engine', async () => {
    const info = await host.load(MODEL_DIR);
    expect(info.name.length).toBeGreaterThan(0);
    expect(info.loadMs).toBeGreaterThan(0);
    const request = { prompt: 'Count from 3 to 9.', confidence: 0.2, maxNewTokens: 16 };
    const { runId } = await host.generate(request);
    const { result, events } = await finished(runId);
    expect(events[0]!.type).toBe('started');
    expect(events.filter((e) => e.type === 'macro')).toHaveLength(result.macroSteps);
    const local = await HamburgerEngine.load(MODEL_DIR);
    try {
      const expected = await local.generate(request, () => undefined).done;
      expect(result.tokenIds).toEqual(expected.tokenIds);
    } finally {
      await local.dispose();
    }
    const trace = await host.trace(runId);
    expect(trace?.result?.tokenIds).toEqual(result.tokenIds);
  });

  it.runIf(process.platform === 'linux')('runs the engine on a thread of lower priority than the caller', () => {
    // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value (after the command name in parentheses).
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const threads = readdirSync('/proc/self/task').map(niceOf);
    expect(niceOf(String(process.pid))).toBe(0);
    expect(threads).toContain(ENGINE_THREAD_NICE);
  });

  it('steps a paused run through the host', async () => {
    const { runId } = await host.generate({ prompt: 'Count from 3 to 9.', confidence: 0, maxNewTokens: 8, startPaused: true });
    const done = finished(runId);
    const micros: number[] = [];
    const off = host.onEvent((e) => {
      if (e.type === 'micro') micros.push(e.micro.tokenId);
    });
    await host.control('stepMicro', runId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(micros).toHaveLength(1);
    await host.control('stepMacro', runId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(micros).toHaveLength(4);
    await host.control('resume', runId);
    const { result } = await done;
    off();
    expect(result.tokens).toBe(8);
  });

  it('answers bad input with typed errors and keeps working', async () => {
    await expectCode(host.generate({ prompt: '' }), 'empty_prompt');
    await expectCode(host.generate({ prompt: 'hi', confidence: 3 }), 'invalid_confidence');
    await expectCode(host.control('pause'), 'no_run');
    // minNewTokens: the run's length must not hang on when the model would end its answer.
    const { runId } = await host.generate({ prompt: 'hi', maxNewTokens: 3, minNewTokens: 3 });
    const { result } = await finished(runId);
    expect(result.tokens).toBe(3);
  });

  it('refuses a request structured clone cannot carry, leaving nothing pending', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const error = await host.generate(deep as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'invalid_request' });
    expect((error as EngineError).message).toMatch(/could not be sent to the engine/);
    expect(host.alive).toBe(true);
    expect((await host.encode('Hi')).rendered).toContain('Hi');
  });

  it('stops a load that runs past its time limit: a named error, and the worker is gone', async () => {
    const slow = new EngineHost();
    try {
      await expectCode(slow.load(MODEL_DIR, { timeoutMs: 5 }), 'load_timeout');
      expect(slow.alive).toBe(false);
      await expectCode(slow.encode('Hi'), 'load_timeout');
    } finally {
      await slow.close();
    }
  });

  it('encodes a prompt as the model sees it', async () => {
    const encoded = await host.encode('Hi');
    expect(encoded.rendered).toContain('Hi');
    expect(encoded.tokens).toHaveLength(encoded.tokenIds.length);
    expect(encoded.tokens[0]).toBe('<|bos|>');
  });

  it('runs two hosts at once (a race): each gives the tokens it gives alone', async () => {
    const other = new EngineHost();
    try {
      await other.load(MODEL_DIR);
      const nextFinish = (): Promise<GenerationResult> =>
        new Promise((resolve) => {
          const stop = other.onEvent((e) => {
            if (e.type === 'finished') {
              stop();
              resolve(e.result);
            }
          });
        });
      const hamburgerRequest = { prompt: 'Count from 1 to 30.', mode: 'hamburger', confidence: 0, maxNewTokens: 24 } as const;
      const baselineRequest = { prompt: 'Count from 1 to 30.', mode: 'baseline', maxNewTokens: 24 } as const;
      const alone = (await finished((await host.generate(hamburgerRequest)).runId)).result;
      const aloneOther = nextFinish();
      await other.generate(baselineRequest);
      const baselineAlone = await aloneOther;

      const a = await host.generate(hamburgerRequest);
      const raceOther = nextFinish();
      await other.generate(baselineRequest);
      const [ra, rb] = await Promise.all([finished(a.runId), raceOther]);
      expect(ra.result.tokenIds).toEqual(alone.tokenIds);
      expect(rb.tokenIds).toEqual(baselineAlone.tokenIds);
      // Confidence 0 never stops early: full groups of max_steps = 4, one token per baseline step.
      expect(ra.result.macroSteps).toBe(Math.ceil(ra.result.tokens / 4));
      expect(rb.macroSteps).toBe(rb.tokens);
    } finally {
      await other.close();
    }
  });
});
