// Loading with progress and cancel: a report before each graph opens and one when all are
// open; a cancelled load, in-thread or in the worker, answers load_cancelled and leaves the
// model loaded before in place; the CLI's progress line.
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../engine/api.js';
import { progressLine } from '../../engine/cli/loadProgressBar.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { loadModelPackage, releaseModelPackage } from '../../engine/modelPackage.js';
import { EngineHost } from '../../engine/worker/engineHost.js';
import { HostSession } from '../../host/hostSession.js';
import { packageCopy, removeCopies } from '../support/packageCopy.js';
import { engineRejection } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

afterAll(removeCopies);

describe('load progress', () => {
  it('reports each graph before it opens, then the whole, in bytes that add up to the weights', async () => {
    const reports: LoadProgress[] = [];
    const pkg = await loadModelPackage(MODEL_DIR, { onProgress: (p) => reports.push(p) });
    try {
      const total = pkg.manifest.baseline === undefined ? 4 : 7;
      expect(reports).toHaveLength(total + 1);
      expect(reports.map((r) => r.graphsDone)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
      expect(reports.slice(0, 2).map((r) => r.file)).toEqual([pkg.manifest.graphs.embed, pkg.manifest.graphs.base]);
      expect(reports.at(-1)).toEqual({ directory: pkg.directory, file: null, graphsDone: total, graphsTotal: total, bytesDone: pkg.weightsBytes, bytesTotal: pkg.weightsBytes });
      for (let i = 1; i < reports.length; i++) expect(reports[i]!.bytesDone).toBeGreaterThan(reports[i - 1]!.bytesDone);
    } finally {
      await releaseModelPackage(pkg);
    }
  });

  it('a load cancelled between graphs answers load_cancelled', async () => {
    const controller = new AbortController();
    const error = await engineRejection(HamburgerEngine.load(MODEL_DIR, { signal: controller.signal, onProgress: (p) => p.graphsDone === 2 && controller.abort() }));
    expect(error.code).toBe('load_cancelled');
    expect(error.message).toContain('was cancelled');
  });

  it('in the worker, a cancelled load leaves the model loaded before', async () => {
    const host = new EngineHost();
    try {
      const before = await host.load(MODEL_DIR);
      const copy = await packageCopy();
      const error = await engineRejection(host.load(copy, { onProgress: () => void host.cancelLoad() }));
      expect(error.code).toBe('load_cancelled');
      expect((await host.encode('Hi')).tokenIds.length).toBeGreaterThan(0);
      const { runId } = await host.generate({ prompt: 'Count from 1 to 3.', maxNewTokens: 4 });
      expect((await host.trace(runId))?.model.name).toBe(before.name);
    } finally {
      await host.close();
    }
  });

  it('the session tells the load\'s progress, and cancelLoad keeps the current model', async () => {
    const session = new HostSession({ defaultModelDirectory: MODEL_DIR });
    try {
      const info = await session.loadModel(null);
      const reports: { file: string | null }[] = [];
      session.onLoadProgress((progress) => {
        reports.push({ file: progress.file });
        if (progress.graphsDone === 1) void session.call({ method: 'cancelLoad' }, 'window-a');
      });
      const copy = await packageCopy();
      const error = await engineRejection(session.loadModel(copy));
      expect(error.code).toBe('load_cancelled');
      expect(session.currentModel).toBe(info);
      expect(reports.length).toBeGreaterThanOrEqual(2);
      // Not the folder's fault: asked again, it loads.
      reports.length = 0;
      session.onLoadProgress(() => undefined);
      expect((await session.call({ method: 'encode', prompt: 'Hi', chatTemplate: false }, 'window-a')) as object).toMatchObject({ rendered: 'Hi' });
    } finally {
      await session.close();
    }
  });
});

describe('the CLI progress line', () => {
  it('shows the graph opening, the share of bytes, and warming up at the end', () => {
    const base = { directory: '/m', graphsTotal: 7, bytesTotal: 28_000_000 };
    expect(progressLine({ ...base, file: 'base.onnx', graphsDone: 1, bytesDone: 1_000_000 })).toBe('loading [#.......................] base.onnx 2/7, 1 of 28 MB');
    expect(progressLine({ ...base, file: null, graphsDone: 7, bytesDone: 28_000_000 })).toBe('loading [########################] warming up, 28 of 28 MB');
  });
});
