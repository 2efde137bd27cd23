// `npm run soak`: the browser-mode server (its own process, as `npm run serve` starts it)
// through 1,000 generations and 1,000 failed model loads over one WebSocket, printing the
// server's resident memory at the start, every 100 rounds and at the end. The failed loads
// cycle through a missing folder, a manifest that is not JSON, and a package whose last
// graph is not ONNX (the graphs before it load first). Target: RSS grows less than 10% from
// the end of the warm-up (round 100) to the end.
// Options: --rounds N (default 1000), --tokens N (per generation, default 16), --json FILE.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { socketMessageSchema, type SocketMessage } from '../host/protocol.js';
import { DEFAULT_MODEL_DIR } from '../engine/defaultModel.js';
import { startServerProcess } from '../test/support/serverProcess.js';

const WARM_UP_ROUNDS = 100;
const REPORT_EVERY = 100;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '16' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const tokens = Number(values.tokens);
if (!Number.isInteger(rounds) || rounds < WARM_UP_ROUNDS) throw new Error(`--rounds must be an integer >= ${WARM_UP_ROUNDS}`);
if (!Number.isInteger(tokens) || tokens < 1) throw new Error('--tokens must be a positive integer');

/** A copy of the shipped package (JSON copied, graphs linked), broken by `breakIt`. */
function brokenCopy(root: string, name: string, breakIt: (dir: string) => void): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  for (const file of readdirSync(DEFAULT_MODEL_DIR)) {
    if (file.endsWith('.json')) copyFileSync(path.join(DEFAULT_MODEL_DIR, file), path.join(dir, file));
    else if (file.endsWith('.onnx')) symlinkSync(path.join(DEFAULT_MODEL_DIR, file), path.join(dir, file));
  }
  breakIt(dir);
  return dir;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'soak-'));
const brokenFolders = [
  path.join(scratch, 'missing'),
  brokenCopy(scratch, 'manifest-not-json', (dir) => writeFileSync(path.join(dir, 'hamburger.json'), '{"format": ')),
  brokenCopy(scratch, 'graph-not-onnx', (dir) => {
    rmSync(path.join(dir, 'heads.onnx'));
    writeFileSync(path.join(dir, 'heads.onnx'), 'not a protobuf');
  }),
];

const server = await startServerProcess();
const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { origin: `http://127.0.0.1:${server.port}` });
const waiting = new Map<number, (message: SocketMessage) => void>();
let onFinished: (() => void) | null = null;
socket.on('message', (data) => {
  const message = socketMessageSchema.parse(JSON.parse(data.toString()));
  if (message.kind === 'reply' && message.id !== null) waiting.get(message.id)?.(message);
  if (message.kind === 'events' && message.events.some((e) => e.event.type === 'finished' || e.event.type === 'failed')) onFinished?.();
});
await new Promise((resolve, reject) => {
  socket.once('open', resolve);
  socket.once('error', reject);
});

let nextId = 1;
function ask(call: unknown): Promise<SocketMessage> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, (message) => {
      waiting.delete(id);
      resolve(message);
    });
    socket.send(JSON.stringify({ id, call }));
  });
}

async function generation(round: number): Promise<void> {
  const finished = new Promise<void>((resolve) => (onFinished = resolve));
  const reply = await ask({ method: 'generate', lane: 'playground', request: { prompt: `Count from ${round % 50} to ${(round % 50) + 9}.`, maxNewTokens: tokens, minNewTokens: tokens } });
  if (reply.kind !== 'reply' || !reply.ok) throw new Error(`generation ${round} refused: ${JSON.stringify(reply)}`);
  await finished;
}

async function failedLoad(round: number): Promise<void> {
  const reply = await ask({ method: 'loadModel', directory: brokenFolders[round % brokenFolders.length] });
  if (reply.kind !== 'reply' || reply.ok) throw new Error(`load ${round} did not fail: ${JSON.stringify(reply)}`);
}

const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
const samples: { round: number; rssBytes: number }[] = [{ round: 0, rssBytes: server.rssBytes() }];
console.log(`server pid ${server.child.pid}, port ${server.port}; rounds of one generation (${tokens} tokens) and one failed load`);
console.log(`round     0: RSS ${mb(samples[0]!.rssBytes)} MB`);
const start = performance.now();
try {
  for (let round = 1; round <= rounds; round++) {
    await generation(round);
    await failedLoad(round);
    if (round % REPORT_EVERY === 0 || round === rounds) {
      const rssBytes = server.rssBytes();
      samples.push({ round, rssBytes });
      console.log(`round ${String(round).padStart(5)}: RSS ${mb(rssBytes)} MB (${((performance.now() - start) / 1000).toFixed(0)} s)`);
    }
  }
} finally {
  socket.close();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}

const warm = samples.find((s) => s.round === WARM_UP_ROUNDS)!;
const end = samples.at(-1)!;
const growth = (end.rssBytes - warm.rssBytes) / warm.rssBytes;
const report = {
  rounds,
  tokens_per_generation: tokens,
  generations: rounds,
  failed_loads: rounds,
  rss_start_bytes: samples[0]!.rssBytes,
  rss_after_warm_up_bytes: warm.rssBytes,
  rss_end_bytes: end.rssBytes,
  growth_after_warm_up: Number(growth.toFixed(4)),
  target_growth: 0.1,
  samples: samples.map((s) => ({ round: s.round, rss_bytes: s.rssBytes })),
  seconds: Number(((performance.now() - start) / 1000).toFixed(1)),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
};
console.log(`growth after warm-up (round ${WARM_UP_ROUNDS} to ${end.round}): ${(growth * 100).toFixed(1)}% (target < 10%)`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
