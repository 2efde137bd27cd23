// The engine every lane runs on, on a real worker: a load queued for the same folder and
// context is shared, a failed folder is answered from memory until failures are forgotten,
// a worker past its load time limit is replaced, runs belong to their owner and to their
// lane, and lanes running at once on the one model give the tokens separate engines give.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GenerationResult, LoadProgress, Mode } from '../../engine/api.js';
import type { LaneEvent, LaneId } from '../../host/protocol.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineHost } from '../../engine/worker/engineHost.js';
import { SharedEngine, type ModelSpec } from '../../host/sharedEngine.js';
import { engineRejection } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const engines: SharedEngine[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

function sharedEngine(events: LaneEvent[] = [], loadTimeoutMs = 60_000, progress: LoadProgress[] = []): SharedEngine {
  const created = new SharedEngine({
    workerUrl: undefined,
    threads: 1,
    loadTimeoutMs,
    kvBudgetBytes: 1 << 30,
    onEvent: (event) => events.push(event),
    onLoadProgress: (report) => progress.push(report),
  });
  engines.push(created);
  return created;
}

const shipped: ModelSpec = { directory: MODEL_DIR, context: undefined };

function finished(events: LaneEvent[], lane: LaneId): Promise<GenerationResult> {
  return vi.waitFor(
    () => {
      const found = events.find((e) => e.lane === lane && e.event.type === 'finished');
      if (found?.event.type !== 'finished') throw new Error('not yet');
      return found.event.result;
    },
    { timeout: 60_000, interval: 20 },
  );
}

describe('SharedEngine', () => {
  it('shares a queued load among callers of the same folder and context, and loads again for another context', async () => {
    const load = vi.spyOn(EngineHost.prototype, 'load');
    const e = sharedEngine();
    const infos = await Promise.all([e.ensureModel(shipped), e.ensureModel(shipped), e.ensureModel({ ...shipped })]);
    expect(new Set(infos).size).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
    const small = await e.ensureModel({ directory: MODEL_DIR, context: 64 });
    expect(small.limits.context).toBe(64);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('answers a failed folder from memory until its failures are forgotten', async () => {
    const load = vi.spyOn(EngineHost.prototype, 'load');
    const e = sharedEngine();
    const missing: ModelSpec = { directory: '/nonexistent/model', context: undefined };
    const first = await engineRejection(e.ensureModel(missing));
    const second = await engineRejection(e.ensureModel(missing));
    expect(second).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    e.forgetFailures();
    expect((await engineRejection(e.ensureModel(missing))).code).toBe('manifest_missing');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('lets only the run\'s owner control it, one run per lane, and other lanes run beside it', async () => {
    const events: LaneEvent[] = [];
    const e = sharedEngine(events);
    const { runId } = await e.generate(shipped, 'playground', { prompt: 'Count from 1 to 9.', startPaused: true, maxNewTokens: 16 }, 'a');
    expect(e.busy('playground')).toBe(true);
    expect((await engineRejection(e.control('playground', 'resume', 'b'))).code).toBe('not_owner');
    expect((await engineRejection(e.generate(shipped, 'playground', { prompt: 'x' }, 'a'))).code).toBe('busy');
    // Another lane runs to the end while the playground's run stays paused.
    await e.generate(shipped, 'race-0', { prompt: 'Hi', maxNewTokens: 4 }, 'b');
    expect((await finished(events, 'race-0')).tokens).toBeGreaterThan(0);
    expect(e.busy('playground')).toBe(true);
    await e.releaseClient('b');
    expect(e.busy('playground')).toBe(true);
    await e.releaseClient('a');
    expect((await finished(events, 'playground')).finishReason).toBe('cancelled');
    expect(events.filter((l) => l.lane === 'playground').every((l) => l.event.runId === runId)).toBe(true);
    expect(e.busy('playground')).toBe(false);
    expect((await engineRejection(e.control('playground', 'pause', 'a'))).code).toBe('no_run');
  });

  it('gives each lane of a race the tokens and probabilities a separate engine gives', async () => {
    const lanes: [LaneId, Mode][] = [
      ['race-0', 'hamburger'],
      ['race-1', 'verify'],
      ['race-2', 'baseline'],
    ];
    const request = (mode: Mode) => ({ prompt: 'Name three colours.', mode, confidence: 0.8, maxNewTokens: 24, sampling: { kind: 'sample' as const, temperature: 0.7, topK: 20, topP: 1, seed: 5 } });
    const events: LaneEvent[] = [];
    const progress: LoadProgress[] = [];
    const e = sharedEngine(events, 60_000, progress);
    await e.ensureModel(shipped);
    const loadReports = progress.length;
    await Promise.all(lanes.map(([lane, mode]) => e.generate(shipped, lane, request(mode), 'a')));
    // The app loads HAMburger's graphs; the baseline's open for the race's first verify or baseline run, told like a load.
    expect(progress.slice(loadReports).map((p) => p.file)).toEqual(['baseline_embed.onnx', null]);
    const shared = await Promise.all(lanes.map(([lane]) => finished(events, lane)));
    const alone = await HamburgerEngine.load(MODEL_DIR, { threads: 1 });
    try {
      for (const [i, [lane, mode]] of lanes.entries()) {
        const aloneProbs: number[] = [];
        const expected = await alone.generate(request(mode), (event) => {
          if (event.type === 'micro') aloneProbs.push(event.micro.prob);
        }).done;
        expect(shared[i]!.tokenIds, `${lane} (${mode})`).toEqual(expected.tokenIds);
        expect(shared[i]!.macroSteps).toBe(expected.macroSteps);
        const probs = events.flatMap((l) => (l.lane === lane && l.event.type === 'micro' ? [l.event.micro.prob] : []));
        expect(probs).toEqual(aloneProbs);
      }
      // Each run's memory figures count its own caches.
      expect(shared[2]!.memory!.kvUsedBytes).toBeLessThan(shared[1]!.memory!.kvUsedBytes);
    } finally {
      await alone.dispose();
    }
  });

  it('after a load past its time limit, starts a fresh worker for the next call', async () => {
    const slow = sharedEngine([], 5);
    const created = vi.spyOn(EngineHost.prototype, 'load');
    expect((await engineRejection(slow.ensureModel(shipped))).code).toBe('load_timeout');
    // Not remembered as the folder's failure: the next call tries again, on a new worker.
    expect((await engineRejection(slow.ensureModel(shipped))).code).toBe('load_timeout');
    expect(created).toHaveBeenCalledTimes(2);
    expect(new Set(created.mock.contexts).size).toBe(2);
  });
});
