// The baseline as a checker, on the real package: one forward over [pending..., checked...]
// gives the baseline's own next-token distributions (those of its golden traces), rejected
// drafts leave no trace in its cache, and a package without baseline graphs verifies with
// the HAMburger graphs one token per step.
import { copyFile, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineVerifier } from '../../engine/baselineVerifier.js';
import { createRunDecoders, prepareDecoding } from '../../engine/decoderSet.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { loadModelPackage, releaseModelPackage, type ModelPackage } from '../../engine/modelPackage.js';
import { summarizeLogits, tokenProbability } from '../../engine/sampling/distribution.js';
import { SessionClock } from '../../engine/timedSession.js';
import { recordRun } from '../support/runRecorder.js';
import { goldenTraceFiles, MODEL_DIR, readGoldenTrace, type GoldenTrace } from '../support/shippedModel.js';

const TOLERANCE = 1e-4;
let pkg: ModelPackage;
let verifier: BaselineVerifier;
let vocab: number;
let golden: GoldenTrace;

beforeAll(async () => {
  pkg = await loadModelPackage(MODEL_DIR, { threads: 1 });
  verifier = createRunDecoders(await prepareDecoding(pkg), { decoder: 'baseline', verifier: true }, new SessionClock()).verifier!;
  vocab = verifier.vocabSize;
  // The longest baseline golden: room for several checks.
  const goldens = goldenTraceFiles().map(readGoldenTrace).filter((g) => g.mode === 'baseline');
  golden = goldens.reduce((a, b) => (b.output_ids.length > a.output_ids.length ? b : a));
});
afterAll(async () => {
  await releaseModelPackage(pkg);
});

const row = (rows: Float32Array, i: number): Float32Array => rows.subarray(i * vocab, (i + 1) * vocab);
const argmax = (logits: Float32Array): number => summarizeLogits(logits, 1).top[0]!.tokenId;

describe('BaselineVerifier', () => {
  it('a check gives, at each checked place, the distribution greedy baseline decoding had there', async () => {
    const out = golden.output_ids;
    expect(out.length).toBeGreaterThanOrEqual(8);
    verifier.reset(golden.prompt_ids);
    // prompt pending, four tokens checked with the place after them
    const first = await verifier.check(out.slice(0, 4), true);
    expect(first.length).toBe(5 * vocab);
    for (let i = 0; i < 5; i++) {
      const logits = row(first, i);
      expect(argmax(logits)).toBe(out[i]);
      expect(Math.abs(tokenProbability(logits, summarizeLogits(logits, 5), out[i]!) - golden.steps[i]!.micro[0]!.prob)).toBeLessThan(TOLERANCE);
    }
    verifier.settle(4, [out[4]!]);
    // without the place after: k tokens checked, k - 1 of them fed
    const second = await verifier.check(out.slice(5, 8), false);
    expect(second.length).toBe(3 * vocab);
    for (let i = 0; i < 3; i++) expect(argmax(row(second, i))).toBe(out[5 + i]);
  });

  it('rejected drafts are forgotten: the next check sees only what was kept', async () => {
    const out = golden.output_ids;
    verifier.reset(golden.prompt_ids);
    await verifier.check(out.slice(0, 2), true);
    verifier.settle(2, [out[2]!]);
    const clean = Array.from(await verifier.check(out.slice(3, 5), true));

    verifier.reset(golden.prompt_ids);
    await verifier.check(out.slice(0, 2), true);
    verifier.settle(2, [out[2]!]);
    // two wrong drafts after out[2], all rejected; the baseline's own token is out[3]
    const wrong = [(out[3]! + 1) % vocab, (out[4]! + 1) % vocab];
    await verifier.check(wrong, true);
    verifier.settle(0, [out[3]!]);
    const after = await verifier.check([out[4]!], true);
    // The clean run's rows 1 and 2 are this run's rows 0 and 1 (same places, same context).
    for (let i = 0; i < 2; i++) {
      const a = row(Float32Array.from(clean), i + 1);
      const b = row(after, i);
      let worst = 0;
      for (let j = 0; j < vocab; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('refuses checks of no or too many tokens, and settling what was not checked', async () => {
    verifier.reset(golden.prompt_ids);
    await expect(verifier.check([], true)).rejects.toThrow(RangeError);
    await expect(verifier.check(Array(pkg.manifest.architecture.max_steps + 1).fill(golden.output_ids[0]!), true)).rejects.toThrow(RangeError);
    expect(() => verifier.settle(0, [1])).toThrow('settle without a check');
    await verifier.check(golden.output_ids.slice(0, 2), false);
    expect(() => verifier.settle(2, [1])).toThrow(RangeError);
    expect(() => verifier.settle(1, [])).toThrow(RangeError);
  });
});

describe('a package without baseline graphs', () => {
  let dir: string;
  let engine: HamburgerEngine;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hamburger-nobaseline-'));
    for (const name of await readdir(MODEL_DIR)) {
      if (name.endsWith('.json')) await copyFile(path.join(MODEL_DIR, name), path.join(dir, name));
      else if (name.endsWith('.onnx')) await symlink(path.join(MODEL_DIR, name), path.join(dir, name));
    }
    const manifestFile = path.join(dir, 'hamburger.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
    delete manifest['baseline'];
    await writeFile(manifestFile, JSON.stringify(manifest));
    engine = await HamburgerEngine.load(dir, { threads: 1 });
  });
  afterAll(async () => {
    await engine.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies with the HAMburger graphs one token per step: the output of its baseline mode', async () => {
    const request = { prompt: golden.prompt, confidence: 0.5, maxNewTokens: 24 };
    const base = await recordRun(engine, { ...request, mode: 'baseline' });
    const verified = await recordRun(engine, { ...request, mode: 'verify' });
    const started = verified.events.find((e) => e.type === 'started');
    expect(started?.type === 'started' ? started.settings.verifier : null).toBe('hamburger-single-token');
    expect(verified.result.tokenIds).toEqual(base.result.tokenIds);
    expect(verified.result.verification!.baselineForwards).toBe(verified.steps.length);
  });
});
