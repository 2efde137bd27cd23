// The engine session both app hosts share, on the shipped model with real worker threads:
// calls validated once (nesting, sizes, fields), failed loads that neither reload the model
// nor get retried by every call, loads one at a time, runs owned by the window that started
// them, folders restricted to model roots, and a load that runs past its time limit.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_PROMPT_CHARS, type EngineEvent, type ModelInfo } from '../../engine/api.js';
import { MAX_CALL_DEPTH, type LaneEvent } from '../../host/protocol.js';
import { EngineError } from '../../engine/errors.js';
import { EngineHost } from '../../engine/worker/engineHost.js';
import { HostSession, type HostSessionOptions } from '../../host/hostSession.js';
import { engineRejection } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const sessions: HostSession[] = [];
const temps: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function session(options: Partial<HostSessionOptions> = {}): HostSession {
  const created = new HostSession({ defaultModelDirectory: MODEL_DIR, ...options });
  sessions.push(created);
  return created;
}

/** Counts the loads that reach a worker, per folder, and the most that ran at once. */
function countLoads(): { byDirectory: Map<string, number>; maxAtOnce: () => number } {
  const byDirectory = new Map<string, number>();
  let running = 0;
  let most = 0;
  const original = EngineHost.prototype.load;
  vi.spyOn(EngineHost.prototype, 'load').mockImplementation(async function (this: EngineHost, directory, options) {
    byDirectory.set(directory, (byDirectory.get(directory) ?? 0) + 1);
    running += 1;
    most = Math.max(most, running);
    try {
      return await original.call(this, directory, options);
    } finally {
      running -= 1;
    }
  });
  return { byDirectory, maxAtOnce: () => most };
}

function eventsOf(s: HostSession): LaneEvent[] {
  const events: LaneEvent[] = [];
  s.onEvent((event) => events.push(event));
  return events;
}

function waitFor(events: LaneEvent[], predicate: (event: EngineEvent) => boolean): Promise<EngineEvent> {
  return vi.waitFor(
    () => {
      const found = events.find((e) => predicate(e.event));
      if (found === undefined) throw new Error('not yet');
      return found.event;
    },
    { timeout: 30_000, interval: 20 },
  );
}

describe('HostSession', () => {
  it('keeps the model after a failed load, and later calls do not load it again', async () => {
    const loads = countLoads();
    const s = session();
    const info = (await s.call({ method: 'loadModel', directory: null }, 'a')) as ModelInfo;
    const error = await engineRejection(s.call({ method: 'loadModel', directory: '/nonexistent/model' }, 'a'));
    expect(error.code).toBe('manifest_missing');
    expect(s.currentModel).toBe(info);
    for (let i = 0; i < 10; i++) await s.call({ method: 'encode', prompt: `try ${i}`, chatTemplate: true }, 'a');
    expect(loads.byDirectory.get(MODEL_DIR)).toBe(1);
    expect(loads.byDirectory.get('/nonexistent/model')).toBe(1);
  });

  it('runs loads one at a time: 30 failed loads sent together with 30 encodes load the model once', async () => {
    const loads = countLoads();
    const s = session();
    await s.loadModel(null);
    const calls = Array.from({ length: 30 }, (_, i) => [
      s.call({ method: 'loadModel', directory: `/nonexistent/model-${i}` }, 'a').catch((e: unknown) => e),
      s.call({ method: 'encode', prompt: `pair ${i}`, chatTemplate: false }, 'a'),
    ]).flat();
    const results = await Promise.all(calls);
    expect(results.filter((r) => r instanceof EngineError && r.code === 'manifest_missing')).toHaveLength(30);
    expect(loads.byDirectory.get(MODEL_DIR)).toBe(1);
    expect(loads.maxAtOnce()).toBe(1);
    expect(s.currentModel?.directory).toBe(MODEL_DIR);
  });

  it('shares one load among calls for the same folder', async () => {
    const loads = countLoads();
    const s = session();
    const infos = await Promise.all(Array.from({ length: 5 }, () => s.loadModel(MODEL_DIR)));
    expect(new Set(infos).size).toBe(1);
    expect(loads.byDirectory.get(MODEL_DIR)).toBe(1);
  });

  it('does not retry a shipped model that failed to load on every call, until a load is asked for', async () => {
    const loads = countLoads();
    const s = session({ defaultModelDirectory: '/nonexistent/shipped' });
    for (let i = 0; i < 5; i++) {
      const error = await engineRejection(s.call({ method: 'encode', prompt: 'hi', chatTemplate: true }, 'a'));
      expect(error.code).toBe('no_model');
      expect(error.message).toMatch(/\/nonexistent\/shipped.*load a model package/);
    }
    expect(loads.byDirectory.get('/nonexistent/shipped')).toBe(1);
    await s.call({ method: 'loadModel', directory: MODEL_DIR }, 'a');
    expect(await s.call({ method: 'encode', prompt: 'hi', chatTemplate: false }, 'a')).toMatchObject({ rendered: 'hi' });
  });

  it('lets only the window that started a run control it, and cancels it when that window goes', async () => {
    const s = session();
    const events = eventsOf(s);
    const { runId } = (await s.call({ method: 'generate', lane: 'playground', request: { prompt: 'Count from 1 to 20.', startPaused: true, maxNewTokens: 64 } }, 'window-a')) as {
      runId: string;
    };
    const stranger = await engineRejection(s.call({ method: 'control', lane: 'playground', action: 'cancel' }, 'window-b'));
    expect(stranger.code).toBe('not_owner');
    expect(stranger.message).toMatch(/started by another window/);
    expect((await engineRejection(s.call({ method: 'generate', lane: 'playground', request: { prompt: 'x' } }, 'window-b'))).code).toBe('busy');

    await s.releaseClient('window-b');
    await s.call({ method: 'control', lane: 'playground', action: 'stepMacro' }, 'window-a');
    await waitFor(events, (e) => e.type === 'macro' && e.runId === runId);
    expect(events.some((e) => e.event.type === 'finished')).toBe(false);

    await s.releaseClient('window-a');
    const finished = await waitFor(events, (e) => e.type === 'finished' && e.runId === runId);
    expect(finished.type === 'finished' && finished.result.finishReason).toBe('cancelled');
    expect((await engineRejection(s.call({ method: 'control', lane: 'playground', action: 'cancel' }, 'window-a'))).code).toBe('no_run');
  });

  it('refuses a call nested deeper than the limit, and an encode over the prompt limit, naming the limit', async () => {
    const s = session();
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const nested = await engineRejection(s.call({ method: 'generate', lane: 'playground', request: deep }, 'a'));
    expect(nested.code).toBe('invalid_request');
    expect(nested.limit).toBe(`<= ${MAX_CALL_DEPTH} levels of nesting`);
    const long = await engineRejection(s.call({ method: 'encode', prompt: 'a'.repeat(MAX_PROMPT_CHARS + 1), chatTemplate: true }, 'a'));
    expect(long).toMatchObject({ code: 'invalid_request', field: 'prompt', limit: `<= ${MAX_PROMPT_CHARS}` });
    expect(long.message).toContain(`the limit is ${MAX_PROMPT_CHARS}`);
  });

  it('with model roots, loads only folders inside them, symlinks resolved', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'model-root-'));
    temps.push(root);
    await symlink(MODEL_DIR, path.join(root, 'escape'));
    const s = session({ modelRoots: [root] });
    for (const directory of [MODEL_DIR, path.join(root, 'escape'), path.join(root, '..', 'elsewhere')]) {
      const error = await engineRejection(s.loadModel(directory));
      expect(error).toMatchObject({ code: 'model_not_allowed', field: 'directory', limit: `a folder inside ${root}` });
    }
    const allowed = session({ modelRoots: [path.dirname(MODEL_DIR)] });
    expect((await allowed.loadModel(MODEL_DIR)).directory).toBe(MODEL_DIR);
  });

  it('stops a load that runs past its time limit with a named error, and stays usable', async () => {
    const s = session({ loadTimeoutMs: 5 });
    const error = await engineRejection(s.loadModel(null));
    expect(error).toMatchObject({ code: 'load_timeout', limit: '<= 5 ms per load' });
    expect(s.currentModel).toBeNull();
    expect(await s.call({ method: 'currentModel' }, 'a')).toBeNull();
    expect((await engineRejection(s.loadModel(null))).code).toBe('load_timeout');
  });
});
