// A load that opens the baseline's graphs on first use (`openOnDemand`, how the app loads):
// only HAMburger's graphs open at load; a baseline or verify run before `prepare` is a named
// error; prepared, it gives the tokens of a load that opened everything; a baseline graph
// that cannot open fails its `prepare` by name and leaves the model running HAMburger.
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadProgress, Mode } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { engineRejection } from '../support/engineRejection.js';
import { packageCopy, removeCopies } from '../support/packageCopy.js';
import { MODEL_DIR } from '../support/shippedModel.js';

afterAll(removeCopies);

const request = (mode: Mode, audit = false) => ({ prompt: 'Name three colours.', mode, audit, maxNewTokens: 16 });

describe('graphs opened on demand', () => {
  it('opens HAMburger\'s graphs at load and the baseline\'s when a run first needs them, with the same tokens', async () => {
    const reports: LoadProgress[] = [];
    const lazy = await HamburgerEngine.load(MODEL_DIR, { threads: 1, openOnDemand: true, onProgress: (p) => reports.push(p) });
    const eager = await HamburgerEngine.load(MODEL_DIR, { threads: 1 });
    try {
      expect(reports.at(-1)).toMatchObject({ file: null, graphsDone: 3, graphsTotal: 3 });
      const hamburger = await lazy.generate(request('hamburger'), () => undefined).done;
      expect(hamburger.tokenIds).toEqual((await eager.generate(request('hamburger'), () => undefined).done).tokenIds);
      expect(() => lazy.generate(request('verify'), () => undefined)).toThrow(/needs the baseline graphs, which are not open yet/);
      const opening: LoadProgress[] = [];
      for (const [mode, audit] of [['verify', false], ['baseline', false], ['hamburger', true]] as const) {
        await lazy.prepare(request(mode, audit), (p) => opening.push(p));
        const result = await lazy.generate(request(mode, audit), () => undefined).done;
        expect(result.tokenIds, `${mode}${audit ? ' audited' : ''}`).toEqual((await eager.generate(request(mode, audit), () => undefined).done).tokenIds);
      }
      // Told once, when the first of them opened the baseline: before (its first file) and after.
      const bytes = lazy.info.weightsBytes - reports.at(-1)!.bytesTotal - opening[0]!.bytesTotal;
      expect(opening.map((p) => [p.file, p.graphsDone, p.graphsTotal])).toEqual([
        ['baseline_embed.onnx', 0, 3],
        [null, 3, 3],
      ]);
      // The heads graph is the only one neither at load nor in the baseline.
      expect(bytes).toBeGreaterThan(0);
    } finally {
      await Promise.all([lazy.dispose(), eager.dispose()]);
    }
  });

  it('a baseline graph that cannot open fails prepare by name, and HAMburger runs go on', async () => {
    const dir = await packageCopy();
    await unlink(path.join(dir, 'baseline_base.onnx'));
    await writeFile(path.join(dir, 'baseline_base.onnx'), 'not a protobuf at all');
    const engine = await HamburgerEngine.load(dir, { threads: 1, openOnDemand: true });
    try {
      const first = await engineRejection(engine.prepare(request('verify')));
      expect(first).toMatchObject({ code: 'graph_unreadable', field: 'baseline.graphs.base' });
      // Not remembered: asked again, it tries again.
      expect((await engineRejection(engine.prepare(request('baseline')))).code).toBe('graph_unreadable');
      expect((await engine.generate(request('hamburger'), () => undefined).done).tokens).toBeGreaterThan(0);
    } finally {
      await engine.dispose();
    }
  });
});
