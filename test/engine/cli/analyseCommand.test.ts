// `npm run cli -- analyse` as scripts use it: a real process on the shipped package, the
// documented JSON fields, the reference's figures, a replayable trace, errors by name.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, type CliOutcome } from '../../support/cliProcess.js';
import { parseTrace } from '../../../engine/traceRecorder.js';

const GOLDEN = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/analysis/hamburger-tiny.json'), 'utf8')) as {
  cases: { name: string; prompt: string; text: string; confidence: number; groups: { token_ids: number[] }[]; summary: { perplexity: number; kv_entries: number } }[];
};

const cli = (...args: string[]): Promise<CliOutcome> => runCli('analyse', ...args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hamburger-analyse-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cli analyse', () => {
  const spell = GOLDEN.cases.find((c) => c.name === 'spell-c0.9')!;

  it('--json gives the reference analysis: groups, KV entries, perplexity, per-token scores', async () => {
    const { stdout, code } = await cli('--prompt', spell.prompt, '--text', spell.text, '--confidence', String(spell.confidence), '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.groups.map((g: { token_ids: number[] }) => g.token_ids)).toEqual(spell.groups.map((g) => g.token_ids));
    expect(out.kv_entries).toBe(spell.summary.kv_entries);
    expect(out.mean_group_size).toBe(out.tokens_per_step);
    expect(Math.abs(out.perplexity / spell.summary.perplexity - 1)).toBeLessThan(1e-4);
    expect(out.token_scores).toHaveLength(out.tokens);
    expect(Object.keys(out.token_scores[0]).sort()).toEqual(['entropy', 'greedy_id', 'greedy_text', 'group', 'prob', 'stop_prob', 'stop_reason', 'text', 'token_id'].sort());
    expect(out.groups.filter((g: { stop_reason: string }) => g.stop_reason === 'diverged')).toHaveLength(out.divergences);
  });

  it('--text-file reads the text; the human output ends with the figures; --trace saves a valid trace', async () => {
    const textFile = path.join(dir, 'text.txt');
    const traceFile = path.join(dir, 'analysis.json');
    await writeFile(textFile, spell.text);
    const { stdout, code } = await cli('--prompt', spell.prompt, '--text-file', textFile, '--trace', traceFile);
    expect(code).toBe(0);
    expect(stdout).toContain('|');
    expect(stdout).toMatch(new RegExp(`in ${spell.summary.kv_entries} groups = KV entries .* perplexity ${spell.summary.perplexity.toFixed(3).replace(/0+$/, '')}`));
    const trace = parseTrace(await readFile(traceFile, 'utf8'));
    expect(trace.started.settings.analysis).toBe(true);
    expect(trace.result!.analysis!.kvEntries).toBe(spell.summary.kv_entries);
  });

  const errors: [string, string[], RegExp][] = [
    ['no text', ['--prompt', 'Hi'], /error \[empty_text\] \(text\): --text or --text-file is required/],
    ['both --text and --text-file', ['--text', 'a', '--text-file', 'x'], /error \[invalid_request\] \(text\): give the text once/],
    ['a text file that is not there', ['--text-file', '/nonexistent/text.txt'], /error \[invalid_request\] \(text-file\): --text-file \/nonexistent\/text.txt cannot be read/],
    ['a blank text', ['--text', '   '], /error \[empty_text\] \(text, limit at least one non-space character\)/],
    ['a confidence that is not a number', ['--text', 'a', '--confidence', 'high'], /error \[invalid_request\] \(confidence\): --confidence must be a number/],
  ];
  for (const [what, args, message] of errors) {
    it(`refuses ${what} (exit 1)`, async () => {
      const { stderr, code } = await cli(...args);
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
    });
  }
});
