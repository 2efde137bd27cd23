// The CLI as scripts run it: a real process (`node --import tsx engine/cli/main.ts ARGS`) in the
// repository's root with colour off; what it printed and its exit code.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface CliOutcome {
  stdout: string;
  stderr: string;
  code: number;
}

export async function runCli(...args: string[]): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as CliOutcome;
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
