// The browser-mode server as its own process (`server/main.ts`, as `npm run serve` starts
// it), for checks that must see whether the process survives: the WebSocket fuzz test and
// `npm run soak`. The renderer is built first when its build is stale.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from '../e2e/support/rendererBuild.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** Exit code (or signal) once it has exited; null while it runs. */
  exited(): number | string | null;
  /** Resident memory of the process (all its threads), from /proc. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export async function startServerProcess(args: string[] = []): Promise<ServerProcess> {
  await ensureRendererBuilt();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exit: number | string | null = null;
  child.on('exit', (code, signal) => (exit = code ?? signal ?? 'unknown'));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    // Ready once the model is loaded (or refused): the first calls then meet the server, not the load.
    const check = (): void => {
      const match = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match !== null && (/model .* loaded/.test(out) || /model not loaded/.test(err))) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      check();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      check();
    });
    child.on('exit', () => reject(new Error(`server exited before it started: ${err}`)));
  });
  return {
    port,
    child,
    stderr: () => err,
    exited: () => exit,
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
    stop: async () => {
      if (exit !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
