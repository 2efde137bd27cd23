// `npm run cli -- generate --fork-from / --reply-to` as scripts use them: real processes on the
// shipped package. A fork with unchanged settings writes what the saved run wrote after its
// step; a reply keeps the answer's groups as entries (smashed) or its tokens (unmerged); bad
// flags and files are refused by name.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOutcome } from '../../support/cliProcess.js';

const PROMPT = 'Count: 1 2 3';

interface GenerateJson {
  token_ids: number[];
  macro_steps: number;
  kv_entries: { prompt: number; generated: number };
  steps: { token_ids: number[] }[];
}

const cli = (...args: string[]): Promise<CliOutcome> => runCli('generate', ...args);

async function generate(...args: string[]): Promise<GenerateJson> {
  const { stdout, stderr, code } = await cli(...args, '--json');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as GenerateJson;
}

let dir: string;
let trace: string;
let original: GenerateJson;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hamburger-continue-'));
  trace = path.join(dir, 'original.json');
  original = await generate('--prompt', PROMPT, '--max-new-tokens', '20', '--trace', trace);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cli generate --fork-from', () => {
  it('with unchanged settings writes what the saved run wrote after the step', async () => {
    expect(original.macro_steps).toBeGreaterThan(4);
    const step = 3;
    const before = original.steps.slice(0, step).flatMap((s) => s.token_ids);
    // The fork's own tokens count against its limit: it stops where the original did.
    const fork = await generate('--fork-from', trace, '--fork-step', String(step), '--max-new-tokens', String(original.token_ids.length - before.length));
    expect(fork.kv_entries.prompt).toBe(original.kv_entries.prompt + step);
    expect(fork.token_ids).toEqual(original.token_ids.slice(before.length));
    expect(fork.steps.map((s) => s.token_ids)).toEqual(original.steps.slice(step).map((s) => s.token_ids));
  }, 60_000);

  it('refuses a step outside the run, a missing file, and flags that do not go together, by name', async () => {
    const outside = await cli('--fork-from', trace, '--fork-step', '99');
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`error [invalid_fork] (fork.fromStep, limit 0..${original.macro_steps - 1})`);
    const missing = await cli('--fork-from', path.join(dir, 'none.json'), '--fork-step', '1');
    expect(missing.stderr).toContain('error [invalid_request] (fork-from): --fork-from');
    const notTrace = path.join(dir, 'not-a-trace.json');
    await writeFile(notTrace, '{"format": "something else"}');
    expect((await cli('--fork-from', notTrace, '--fork-step', '1')).stderr).toContain('error [trace_invalid]');
    expect((await cli('--fork-from', trace, '--fork-step', '1', '--prompt', 'x')).stderr).toContain('(prompt)');
    expect((await cli('--fork-from', trace)).stderr).toContain('(fork-step)');
    expect((await cli('--fork-step', '1', '--prompt', 'x')).stderr).toContain('--fork-step goes with --fork-from');
    expect((await cli('--fork-from', trace, '--reply-to', trace, '--fork-step', '1')).stderr).toContain('not both');
  }, 60_000);
});

describe('cli generate --reply-to', () => {
  it('keeps the answer as its smashed entries, or re-prefills its tokens unmerged', async () => {
    const smashed = await generate('--reply-to', trace, '--prompt', 'again', '--max-new-tokens', '5');
    const unmerged = await generate('--reply-to', trace, '--prompt', 'again', '--max-new-tokens', '5', '--turn-cache', 'unmerged');
    expect(smashed.kv_entries.prompt).toBeGreaterThan(original.kv_entries.prompt + original.macro_steps);
    // The same conversation: one entry per answer group smashed, one per answer token unmerged.
    expect(unmerged.kv_entries.prompt - smashed.kv_entries.prompt).toBe(original.token_ids.length - original.macro_steps);
    const bad = await cli('--reply-to', trace, '--prompt', 'x', '--turn-cache', 'merged');
    expect(bad.stderr).toContain('error [invalid_request] (turn-cache, limit smashed | unmerged)');
    expect((await cli('--prompt', 'x', '--turn-cache', 'unmerged')).stderr).toContain('--turn-cache goes with --reply-to');
  }, 60_000);
});
