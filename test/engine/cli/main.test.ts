// The CLI as scripts use it: real processes, real package, the documented JSON field names.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli as cli } from '../../support/cliProcess.js';
import { firstPerFamily, readHeldout } from '../../../engine/cli/heldoutSet.js';
import { parseTrace } from '../../../engine/traceRecorder.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

const run = promisify(execFile);

/** Runs `check` in a new folder under the system's temporary folder, removed after. */
async function inTempFolder(prefix: string, check: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    await check(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('cli generate', () => {
  it('--json prints one object with the documented fields', async () => {
    const { stdout, code } = await cli('generate', '--prompt', 'Count from 1 to 9.', '--confidence', '0', '--max-new-tokens', '10', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.tokens).toBe(10);
    expect(out.macro_steps).toBe(3);
    expect(out.tokens_per_step).toBeCloseTo(10 / 3, 10);
    expect(out.kv_entries.generated).toBe(3);
    expect(out.kv_entries.prompt).toBeGreaterThan(5);
    expect(out.tokens_per_second).toBeGreaterThan(0);
    expect(typeof out.text).toBe('string');
    expect(out.steps).toHaveLength(3);
    expect(out.steps[0].token_ids).toHaveLength(4);
    expect(out.steps.map((s: { text: string }) => s.text).join('')).toBe(out.text);
    const micro = out.steps[0].micro[0];
    expect(Object.keys(micro).sort()).toEqual(['entropy', 'prob', 'stop_prob', 'stop_reason', 'text', 'token_id', 'top'].sort());
    expect(micro.top).toHaveLength(5);
  });

  it('human output separates macro steps and ends with the totals line; saves a replayable trace', async () => {
    await inTempFolder('hamburger-cli-', async (dir) => {
      const traceFile = path.join(dir, 'run.json');
      const { stdout, code } = await cli('generate', '--prompt', 'Count from 1 to 9.', '--confidence', '0', '--max-new-tokens', '8', '--trace', traceFile);
      expect(code).toBe(0);
      expect(stdout).toContain('|');
      expect(stdout).toMatch(/8 tokens in 2 macro steps \(4 tokens\/step\) · KV entries \d+ prompt \+ 2 generated · [\d.]+ tokens\/s/);
      const trace = parseTrace(await readFile(traceFile, 'utf8'));
      expect(trace.steps).toHaveLength(2);
    });
  });

  /** A short count run, JSON out, with long enough groups for drafts to be kept and rejected. */
  const countJson = ['generate', '--prompt', 'Count from 1 to 9.', '--max-new-tokens', '12', '--confidence', '0.5', '--json'];

  it('--mode verify gives the baseline tokens and the verify figures', async () => {
    const base = JSON.parse((await cli(...countJson, '--mode', 'baseline')).stdout);
    const verified = JSON.parse((await cli(...countJson, '--mode', 'verify')).stdout);
    expect(verified.token_ids).toEqual(base.token_ids);
    expect(Object.keys(verified.verification).sort()).toEqual(
      ['accepted', 'acceptance_rate', 'agreed', 'agreement_rate', 'baseline_forwards', 'baseline_forwards_per_token', 'baseline_ms', 'checked', 'kind', 'mean_accepted_prefix', 'steps', 'verifier'].sort(),
    );
    expect(verified.verification.kind).toBe('verify');
    expect(verified.verification.baseline_forwards).toBe(verified.macro_steps);
    expect(verified.verification.baseline_forwards_per_token).toBeCloseTo(verified.macro_steps / verified.tokens, 10);
    const step = verified.steps[0].verification;
    expect(Object.keys(step).sort()).toEqual(['accepted_prefix', 'baseline_ms', 'draft_stop_reason', 'kind', 'outcome', 'verdicts']);
    expect(Object.keys(step.verdicts[0]).sort()).toEqual(['accepted', 'agrees', 'baseline_prob', 'baseline_top_id', 'baseline_top_prob', 'draft_prob', 'text', 'token_id']);
    const human = await cli('generate', '--prompt', 'Count from 1 to 9.', '--max-new-tokens', '12', '--mode', 'verify');
    expect(human.stdout).toMatch(/verify: kept \d+\/\d+ drafts \([\d.]+%\), [\d.]+ per step · \d+ baseline forwards \([\d.]+ per token\)/);
  });

  it('--audit adds the baseline verdicts and changes no token', async () => {
    const plain = JSON.parse((await cli(...countJson)).stdout);
    const audited = JSON.parse((await cli(...countJson, '--audit')).stdout);
    expect(audited.token_ids).toEqual(plain.token_ids);
    expect(plain.verification).toBeUndefined();
    expect(audited.verification.kind).toBe('audit');
    expect(audited.verification.checked).toBe(audited.tokens);
    expect(audited.steps.map((s: { verification: { verdicts: unknown[] } }) => s.verification.verdicts.length)).toEqual(
      audited.steps.map((s: { token_ids: unknown[] }) => s.token_ids.length),
    );
  });

  it('greedy baseline and seeded sampling flags', async () => {
    const base = JSON.parse((await cli('generate', '--prompt', 'hi', '--mode', 'baseline', '--max-new-tokens', '4', '--json')).stdout);
    expect(base.macro_steps).toBe(4);
    const a = JSON.parse((await cli('generate', '--prompt', 'hi', '--max-new-tokens', '6', '--temperature', '1.2', '--seed', '9', '--json')).stdout);
    const b = JSON.parse((await cli('generate', '--prompt', 'hi', '--max-new-tokens', '6', '--temperature', '1.2', '--seed', '9', '--json')).stdout);
    expect(a.token_ids).toEqual(b.token_ids);
  });

  it('--min-new-tokens keeps end of sequence out until that many tokens', async () => {
    const free = JSON.parse((await cli('generate', '--prompt', 'hi', '--max-new-tokens', '40', '--json')).stdout);
    expect(free.finish_reason).toBe('eos');
    const held = JSON.parse((await cli('generate', '--prompt', 'hi', '--max-new-tokens', '40', '--min-new-tokens', '40', '--json')).stdout);
    expect(held.tokens).toBe(40);
    expect(held.finish_reason).toBe('max_new_tokens');
  });

  it.each([
    [['generate', '--prompt', '', '--json'], 'empty_prompt'],
    [['generate', '--prompt', 'hi', '--confidence', '1.5'], 'invalid_confidence'],
    [['generate', '--prompt', 'hi', '--mode', 'fast'], 'unknown_mode'],
    [['generate', '--prompt', 'hi', '--mode', 'baseline', '--audit'], 'invalid_request'],
    [['generate', '--prompt', 'hi', '--max-new-tokens', '4', '--min-new-tokens', '5'], 'invalid_min_new_tokens'],
    [['generate', '--prompt', 'hi', '--top-p', 'lots'], 'invalid_request'],
    [['generate', '--prompt', 'hi', '--model', '/nonexistent'], 'manifest_missing'],
    [['eval', '--examples', '--json'], 'invalid_request'],
    [['eval', '--confidences', '0.9,1', '--examples'], 'invalid_request'],
    [['eval', '--file', '/nonexistent.jsonl'], 'invalid_request'],
  ])('reports %j as error [%s] with exit code 1', async (args, code) => {
    const result = await cli(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error [${code}]`);
  });

  it('unknown commands and flags are usage errors (exit 2)', async () => {
    expect((await cli('dance')).code).toBe(2);
    expect((await cli('generate', '--prompt', 'hi', '--colour')).code).toBe(2);
  });
});

describe('cli generate --trace writes its file whole or not at all', () => {
  const TRACE_RUN = ['generate', '--prompt', 'Count from 1 to 9.', '--confidence', '0', '--max-new-tokens', '8'];

  /** The CLI with at most `kib` KiB per file it writes (bash's ulimit -f; Node turns SIGXFSZ into an EFBIG write error). */
  async function cliWithFileLimit(kib: number, ...args: string[]): Promise<{ stderr: string; code: number }> {
    try {
      const { stderr } = await run('/bin/bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', 'engine/cli/main.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
      return { stderr, code: 0 };
    } catch (error) {
      const e = error as { stderr: string; code: number };
      return { stderr: e.stderr, code: e.code };
    }
  }

  it('replaces an existing file and leaves nothing else in its folder', async () => {
    await inTempFolder('hamburger-cli-', async (dir) => {
      const traceFile = path.join(dir, 'run.json');
      await writeFile(traceFile, 'an older trace');
      expect((await cli(...TRACE_RUN, '--trace', traceFile)).code).toBe(0);
      expect(parseTrace(await readFile(traceFile, 'utf8')).steps).toHaveLength(2);
      expect(await readdir(dir)).toEqual(['run.json']);
    });
  });

  it('a write that fails half way leaves the old file as it was and no half-written file', async () => {
    await inTempFolder('hamburger-cli-', async (dir) => {
      const traceFile = path.join(dir, 'run.json');
      await writeFile(traceFile, 'an older trace');
      // The trace is larger than 4 KiB: its write stops at the limit with EFBIG.
      const { stderr, code } = await cliWithFileLimit(4, ...TRACE_RUN, '--trace', traceFile);
      expect(code).toBe(1);
      expect(stderr).toContain(`error [invalid_request] (trace): could not write ${traceFile}: EFBIG`);
      expect(await readFile(traceFile, 'utf8')).toBe('an older trace');
      expect(await readdir(dir)).toEqual(['run.json']);
    });
  });

  it('a file that cannot be written (no such folder; a folder in its place) is an error naming it', async () => {
    await inTempFolder('hamburger-cli-', async (dir) => {
      const missing = path.join(dir, 'no-such-folder', 'run.json');
      const noFolder = await cli(...TRACE_RUN, '--trace', missing);
      expect(noFolder.code).toBe(1);
      expect(noFolder.stderr).toContain(`error [invalid_request] (trace): could not write ${missing}: ENOENT`);
      const folder = path.join(dir, 'run.json');
      await mkdir(path.join(folder, 'inside'), { recursive: true });
      const inTheWay = await cli(...TRACE_RUN, '--trace', folder);
      expect(inTheWay.code).toBe(1);
      expect(inTheWay.stderr).toContain(`could not write ${folder}:`);
      expect(await readdir(dir)).toEqual(['run.json']);
      expect(await readdir(folder)).toEqual(['inside']);
    });
  });
});

describe('cli bench and eval', () => {
  it('bench --json reports the documented fields', async () => {
    const { stdout, code } = await cli('bench', '--reps', '1', '--max-new-tokens', '6', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    for (const key of ['hamburger_tps', 'baseline_tps', 'tps_ratio', 'kv_ratio', 'tokens_per_step', 'engine_overhead', 'verify_tps', 'verify_tps_ratio',
      'verify_baseline_forwards_per_token', 'verify_acceptance_rate', 'verify_mean_accepted_prefix']) {
      expect(typeof out[key]).toBe('number');
    }
    expect(out.verify_matches_baseline).toBe(true);
    expect(out.verify_tokens).toBe(out.baseline_tokens);
    expect(out.verify_tps_ratio).toBeCloseTo(out.verify_tps / out.baseline_tps, 2);
    expect(out.verify_baseline_forwards_per_token).toBeGreaterThan(0);
    expect(out.verify_baseline_forwards_per_token).toBeLessThanOrEqual(1);
    expect(out.tps_ratio).toBeCloseTo(out.hamburger_tps / out.baseline_tps, 2);
    // The shipped BPE spends 1-8 bytes of text per token; bytes/s is tok/s times that.
    expect(out.baseline_bytes_per_token).toBeGreaterThanOrEqual(1);
    expect(out.baseline_bytes_per_token).toBeLessThan(8);
    expect(out.baseline_text_bytes_per_s / out.baseline_tps).toBeCloseTo(out.baseline_bytes_per_token, 1);
    expect(out.hamburger_text_bytes_per_s).toBeGreaterThan(0);
    expect(out.kv_ratio).toBeCloseTo(1 / out.tokens_per_step, 3);
    expect(out.engine_overhead).toBeGreaterThan(0);
    expect(out.engine_overhead).toBeLessThan(1);
    // One row per bench prompt, in order; their tokens add up to the mix's.
    expect(out.families.map((f: { family: string }) => f.family)).toEqual(['count', 'json', 'table', 'arithmetic', 'copy', 'spell', 'continue']);
    const sum = (key: string): number => out.families.reduce((n: number, f: Record<string, number>) => n + f[key]!, 0);
    expect(sum('hamburger_tokens')).toBe(out.hamburger_tokens);
    expect(sum('baseline_tokens')).toBe(out.baseline_tokens);
    for (const f of out.families) expect(f.tps_ratio).toBeCloseTo(f.hamburger_tps / f.baseline_tps, 2);
    // With one repetition, the structured ratio is the mix less `continue`, rebuilt from the rows' tokens and tok/s.
    const rows = out.families.filter((f: { family: string }) => f.family !== 'continue');
    const tps = (mode: string): number =>
      rows.reduce((n: number, f: Record<string, number>) => n + f[`${mode}_tokens`]!, 0) /
      rows.reduce((s: number, f: Record<string, number>) => s + f[`${mode}_tokens`]! / f[`${mode}_tps`]!, 0);
    expect(out.structured_tps_ratio).toBeCloseTo(tps('hamburger') / tps('baseline'), 2);
  });

  it('eval --json scores a held-out file per family and overall', async () => {
    await inTempFolder('hamburger-eval-', async (dir) => {
      const file = path.join(dir, 'heldout.jsonl');
      const lines = (await readFile(path.join(MODEL_DIR, 'eval', 'heldout.jsonl'), 'utf8')).split('\n').filter(Boolean);
      const families = new Map<string, string>();
      for (const line of lines) {
        const family = JSON.parse(line).family as string;
        if (!families.has(family)) families.set(family, line);
      }
      const picked = [...families.values()].slice(0, 2);
      await writeFile(file, picked.join('\n') + '\n');
      const { stdout, code } = await cli('eval', '--file', file, '--max-new-tokens', '8', '--confidence', '0', '--json');
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      expect(out.families).toHaveLength(2);
      for (const f of [...out.families, out.overall]) {
        expect(Object.keys(f).sort()).toEqual([
          'audit_agreement_rate', 'audit_mean_accepted_prefix', 'baseline_accuracy', 'baseline_only', 'family', 'hamburger_accuracy', 'hamburger_only', 'kv_per_token', 'n', 'tokens_per_step',
          'verify_acceptance_rate', 'verify_accuracy', 'verify_baseline_forwards_per_token', 'verify_matches_baseline',
        ]);
        expect(f.baseline_accuracy).toBeGreaterThanOrEqual(0);
        expect(f.hamburger_accuracy).toBeLessThanOrEqual(1);
        // verify mode's output is the baseline's
        expect(f.verify_matches_baseline).toBe(1);
        expect(f.verify_accuracy).toBe(f.baseline_accuracy);
        expect(f.audit_agreement_rate).toBeGreaterThanOrEqual(0);
        expect(f.audit_agreement_rate).toBeLessThanOrEqual(1);
      }
      expect(out.overall.n).toBe(2);
      expect(out.overall.kv_per_token).toBeCloseTo(1 / out.overall.tokens_per_step, 10);
    });
  });
});

describe('cli eval against the Python reference decoders', () => {
  // A longer limit: eval runs each example three times (baseline, audited HAMburger, verify).
  it('gives the figures of eval/reference.json (written by the exporter) on the same examples', async () => {
    const reference = JSON.parse(await readFile(path.join(MODEL_DIR, 'eval', 'reference.json'), 'utf8'));
    const c = reference.confidences[0];
    const { stdout, code } = await cli('eval', '--limit', String(reference.limit), '--confidence', String(c),
      '--max-new-tokens', String(reference.max_new_tokens), '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    const want = [...reference.families, reference.overall];
    const got = [...out.families, out.overall];
    expect(got.map((f: { family: string }) => f.family)).toEqual(want.map((f: { family: string }) => f.family));
    for (const [i, f] of got.entries()) {
      const w = want[i];
      expect(f.n).toBe(w.n);
      expect(f.baseline_accuracy).toBeCloseTo(w.baseline_accuracy, 12);
      expect(f.hamburger_accuracy).toBeCloseTo(w[`hamburger_accuracy@${c}`], 12);
      expect(f.tokens_per_step).toBeCloseTo(w[`tokens_per_step@${c}`], 12);
      expect(f.kv_per_token).toBeCloseTo(w[`kv_per_token@${c}`], 12);
      expect([f.hamburger_only, f.baseline_only]).toEqual([w[`hamburger_only@${c}`], w[`baseline_only@${c}`]]);
    }
  }, 240_000);
});

describe('cli eval --confidences', () => {
  it('gives the Python reference figures, and the discordant pairs that Python counts (training/tests/test_evaluate.py)', async () => {
    const reference = JSON.parse(await readFile(path.join(MODEL_DIR, 'eval', 'reference.json'), 'utf8'));
    const { stdout, code } = await cli('eval', '--limit', String(reference.limit), '--confidences', '0.9,1', '--json', '--examples');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.confidences).toEqual([0.9, 1]);
    // --examples: one outcome per example, summing to the family figures
    const firstTwo = firstPerFamily(await readHeldout(path.join(MODEL_DIR, 'eval', 'heldout.jsonl')), 2);
    expect(out.examples.map((e: { id: string }) => e.id)).toEqual(firstTwo.map((e) => e.id));
    for (const f of out.families) {
      const mine = out.examples.filter((e: { family: string }) => e.family === f.family);
      expect(mine.filter((e: { baseline: boolean }) => e.baseline).length / f.n).toBe(f.baseline_accuracy);
      expect(mine.filter((e: { hamburger: Record<string, boolean> }) => e.hamburger['0.9']).length / f.n).toBe(f['hamburger_accuracy@0.9']);
      expect(mine.filter((e: { baseline: boolean; hamburger: Record<string, boolean> }) => e.hamburger['1.0'] && !e.baseline).length).toBe(f['hamburger_only@1.0']);
    }
    const want = [...reference.families, reference.overall];
    const got = [...out.families, out.overall];
    for (const [i, f] of got.entries()) {
      for (const key of ['n', 'baseline_accuracy', 'hamburger_accuracy@0.9', 'tokens_per_step@0.9', 'kv_per_token@0.9']) {
        expect(f[key], `${f.family} ${key}`).toBeCloseTo(want[i][key], 12);
      }
      expect(f['tokens_per_step@1.0']).toBe(1);
    }
    const pairs = Object.fromEntries(got.map((f) => [f.family, [f['hamburger_only@0.9'], f['baseline_only@0.9']]]));
    expect(pairs).toEqual({
      copy: [0, 0], count: [1, 0], json: [0, 0], table: [0, 0], sort: [0, 1], reverse: [0, 0], arithmetic: [0, 0], spell: [0, 0], continue: [0, 0], overall: [1, 1],
    });
  }, 120_000);

  it('prints the paired difference from the baseline under the accuracy table', async () => {
    const { stdout, code } = await cli('eval', '--limit', '2', '--confidences', '0.9,1');
    expect(code).toBe(0);
    expect(stdout).toContain('HAMburger minus baseline on the same examples, in points, with a 95% interval (Newcombe, paired):');
    expect(stdout).toContain('| count | 2 | +50.0 [-27.3, +90.5] | +50.0 [-27.3, +90.5] |');
    expect(stdout).toContain('| overall | 18 | 0.0 [-17.6, +17.6] | 0.0 [-17.6, +17.6] |');
  }, 120_000);
});
