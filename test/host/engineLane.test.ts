// One lane on a real worker: a load queued for the same folder and context is shared, a
// failed folder is answered from memory until failures are forgotten, a lane whose worker
// died starts a fresh one with its model, and a run belongs to its owner.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../engine/api.js';
import { EngineHost } from '../../engine/worker/engineHost.js';
import { EngineLane, type ModelSpec } from '../../host/engineLane.js';
import { engineRejection } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const lanes: EngineLane[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(lanes.splice(0).map((lane) => lane.close()));
});

function lane(events: EngineEvent[] = []): EngineLane {
  const created = new EngineLane({
    name: 'lane test',
    workerUrl: undefined,
    threads: 1,
    loadTimeoutMs: 60_000,
    kvBudgetBytes: 1 << 30,
    onEvent: (event) => events.push(event),
    onLoadProgress: () => undefined,
  });
  lanes.push(created);
  return created;
}

const shipped: ModelSpec = { directory: MODEL_DIR, context: undefined };

describe('EngineLane', () => {
  it('shares a queued load among callers of the same folder and context, and loads again for another context', async () => {
    const load = vi.spyOn(EngineHost.prototype, 'load');
    const l = lane();
    const infos = await Promise.all([l.ensureModel(shipped), l.ensureModel(shipped), l.ensureModel({ ...shipped })]);
    expect(new Set(infos).size).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
    const small = await l.ensureModel({ directory: MODEL_DIR, context: 64 });
    expect(small.limits.context).toBe(64);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('answers a failed folder from memory until its failures are forgotten', async () => {
    const load = vi.spyOn(EngineHost.prototype, 'load');
    const l = lane();
    const missing: ModelSpec = { directory: '/nonexistent/model', context: undefined };
    const first = await engineRejection(l.ensureModel(missing));
    const second = await engineRejection(l.ensureModel(missing));
    expect(second).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    l.forgetFailures();
    expect((await engineRejection(l.ensureModel(missing))).code).toBe('manifest_missing');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('lets only the run\'s owner control it, and is busy for everyone while it runs', async () => {
    const events: EngineEvent[] = [];
    const l = lane(events);
    const { runId } = await l.generate(shipped, { prompt: 'Count from 1 to 9.', startPaused: true, maxNewTokens: 16 }, 'a');
    expect(l.busy).toBe(true);
    expect((await engineRejection(l.control('resume', 'b'))).code).toBe('not_owner');
    expect((await engineRejection(l.generate(shipped, { prompt: 'x' }, 'a'))).code).toBe('busy');
    await l.releaseClient('b');
    expect(l.busy).toBe(true);
    await l.releaseClient('a');
    await vi.waitFor(() => expect(events.some((e) => e.type === 'finished' && e.runId === runId)).toBe(true), { timeout: 20_000 });
    expect(l.busy).toBe(false);
    expect((await engineRejection(l.control('pause', 'a'))).code).toBe('no_run');
  });

  it('after a load past its time limit, starts a fresh worker for the next call', async () => {
    const slow = new EngineLane({
      name: 'lane slow',
      workerUrl: undefined,
      threads: 1,
      loadTimeoutMs: 5,
      kvBudgetBytes: 1 << 30,
      onEvent: () => undefined,
      onLoadProgress: () => undefined,
    });
    lanes.push(slow);
    const created = vi.spyOn(EngineHost.prototype, 'load');
    expect((await engineRejection(slow.ensureModel(shipped))).code).toBe('load_timeout');
    // Not remembered as the folder's failure: the next call tries again, on a new worker.
    expect((await engineRejection(slow.ensureModel(shipped))).code).toBe('load_timeout');
    expect(created).toHaveBeenCalledTimes(2);
    expect(new Set(created.mock.contexts).size).toBe(2);
  });
});
