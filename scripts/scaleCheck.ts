// `npm run scale-check`: the whole real-size path on this machine, measured. Builds the
// synthetic HAMburger-1B release (the authors' exact shapes, seeded random weights), imports
// it into a package (int8 by default), loads it in the engine in a process of its own
// (scripts/scaleProbe.ts) and generates in hamburger, baseline and verify modes, runs the app's
// three-lane race through its host session (scripts/raceProbe.ts), then writes
// docs/eval/scale-1b.json. Random weights make no useful stop decision, so the group sizes
// are forced from the shipped model's recorded copy trace: every speed here is a timing
// simulation of the model's cost, not of its acceptance. With int8 weights it also compares
// the base graph's logits with PyTorch's on the float32 weights (training/hamburger/int8_drift.py).
// Options: --work DIR (default $TMPDIR/hamburger-scale-1b; the release and the package are
// kept there and reused), --weights int8|fp16|fp32, --threads 1,2 (one probe each),
// --tokens N (default 32), --json FILE (default docs/eval/scale-1b.json).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../engine/cli/atomicWrite.js';
import { DEFAULT_MODEL_DIR } from '../engine/defaultModel.js';

const REPO = path.resolve(import.meta.dirname, '..');
const PYTHON = path.join(REPO, 'training', '.venv', 'bin', 'python');
const SCHEDULE_TRACE = path.join(DEFAULT_MODEL_DIR, 'golden', 'copy-hamburger.json');

const { values } = parseArgs({
  options: {
    work: { type: 'string', default: path.join(tmpdir(), 'hamburger-scale-1b') },
    weights: { type: 'string', default: 'int8' },
    threads: { type: 'string', default: '1,2' },
    tokens: { type: 'string', default: '32' },
    json: { type: 'string', default: path.join(REPO, 'docs', 'eval', 'scale-1b.json') },
  },
});
const work = path.resolve(values.work);
const release = path.join(work, 'release');
const pkg = path.join(work, `package-${values.weights}`);
const threads = values.threads.split(',').map(Number);

/** Runs a `python3 -m hamburger` command in training/; returns the seconds and peak memory its last stderr line reports. */
function hamburger(args: string[]): { seconds: number; peak_rss_bytes: number } {
  console.error(`$ python3 -m hamburger ${args.join(' ')}`);
  const run = spawnSync(PYTHON, ['-m', 'hamburger', ...args], { cwd: path.join(REPO, 'training'), encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  process.stderr.write(run.stderr);
  if (run.status !== 0) throw new Error(`python3 -m hamburger ${args[0]} failed (${run.status ?? run.signal})`);
  const m = /took (\d+) s, peak memory (\d+) MiB/.exec(run.stderr);
  if (m === null) throw new Error(`python3 -m hamburger ${args[0]} did not report its time and memory`);
  return { seconds: Number(m[1]), peak_rss_bytes: Number(m[2]) * 1024 * 1024 };
}

if (!existsSync(PYTHON)) throw new Error('training/.venv is missing: run training/setup-venv.sh first');
const build: Record<string, unknown> = {};
if (!existsSync(path.join(release, 'hamburger.ckpt'))) {
  build['synthetic_release'] = hamburger(['synthetic-release', '--out', release, '--shape', '1b', '--overwrite']);
}
if (!existsSync(path.join(pkg, 'hamburger.json'))) {
  build['import_reference'] = hamburger([
    'import-reference', '--checkpoint', path.join(release, 'hamburger.ckpt'), '--hf-dir', path.join(release, 'hf'),
    '--baseline-from', path.join(release, 'hf'), '--out', pkg, '--weights', values.weights, '--overwrite',
  ]);
}

const figures = JSON.parse(execFileSync(PYTHON, ['-m', 'hamburger.measure', pkg], { cwd: path.join(REPO, 'training'), encoding: 'utf8' })) as {
  params: Record<string, number>;
  weights: string;
  graph_weight_bytes: Record<string, number>;
  read_bandwidth_gbps: number;
};
const packageBytes = Object.fromEntries(readdirSync(pkg).map((f) => [f, statSync(path.join(pkg, f)).size]));
const graphBytes = Object.entries(packageBytes).filter(([f]) => f.endsWith('.onnx') || f.endsWith('.onnx.data'));
const schedule = (JSON.parse(readFileSync(SCHEDULE_TRACE, 'utf8')) as { steps: { token_ids: number[] }[] }).steps.map((s) => s.token_ids.length);

interface ModeFigures {
  tokens_per_second: number;
  base_step_ms: number;
  micro_step_ms: number | null;
  engine_overhead: number | null;
}
interface Probe {
  load_ms: number;
  peak_rss_hamburger_bytes: number;
  baseline_open_ms: number;
  peak_rss_bytes: number;
  modes: Record<'hamburger' | 'baseline' | 'verify', ModeFigures>;
}
const probes: Record<string, Probe> = {};
for (const n of threads) {
  console.error(`engine, ${n} thread(s): load and ${values.tokens} tokens per mode`);
  const run = spawnSync('npx', ['tsx', 'scripts/scaleProbe.ts', '--model', pkg, '--forced-groups', schedule.join(','), '--tokens', values.tokens, '--threads', String(n)], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`the engine probe failed (${run.status ?? run.signal})`);
  probes[`threads_${n}`] = JSON.parse(run.stdout) as Probe;
}

// The headline figures: the fastest thread count's.
const [bestKey, best] = Object.entries(probes).sort(([, a], [, b]) => b.modes.hamburger.tokens_per_second - a.modes.hamburger.tokens_per_second)[0]!;
const headlineThreads = Number(bestKey.replace('threads_', ''));

// The app's race: the playground and three race lanes on one engine worker, at the headline thread count.
console.error(`race: three lanes on the app's shared engine, ${headlineThreads} thread(s)`);
const raceRun = spawnSync(
  'npx',
  ['tsx', 'scripts/raceProbe.ts', '--model', pkg, '--forced-groups', schedule.join(','), '--tokens', values.tokens, '--threads', String(headlineThreads)],
  { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (raceRun.status !== 0) throw new Error(`the race probe failed (${raceRun.status ?? raceRun.signal})`);
const race = JSON.parse(raceRun.stdout) as { race_peak_rss_bytes: number; load_ms: number; lanes: Record<string, unknown> };

// int8's effect on the outputs at this size: the base graph against PyTorch on the checkpoint's float32 weights.
const drift =
  values.weights === 'int8'
    ? (JSON.parse(
        execFileSync(PYTHON, ['-m', 'hamburger.int8_drift', '--checkpoint', path.join(release, 'hamburger.ckpt'), '--package', pkg, '--steps', '4'], {
          cwd: path.join(REPO, 'training'),
          encoding: 'utf8',
        }),
      ) as Record<string, unknown>)
    : null;

const baseBytes = figures.graph_weight_bytes['base']!;
const floorMs = (baseBytes / (figures.read_bandwidth_gbps * 1e9)) * 1000;
const report = {
  what: 'The HAMburger-1B shape (synthetic release, seeded random weights) imported and run in the engine. Timing simulation: group sizes forced from the shipped model\'s copy trace; tokens/s measure the cost of the computation, not what a trained model would accept.',
  command: `npm run scale-check -- --weights ${values.weights} --threads ${values.threads} --tokens ${values.tokens}`,
  params: figures.params,
  weights: figures.weights,
  package_bytes: { total: graphBytes.reduce((s, [, b]) => s + b, 0), files: packageBytes },
  // One 1B package loaded, running HAMburger: its baseline's graphs open when a run first asks for them.
  peak_rss_bytes: best.peak_rss_hamburger_bytes,
  peak_rss_with_baseline_bytes: best.peak_rss_bytes,
  load_ms: Math.round(best.load_ms),
  baseline_open_ms: Math.round(best.baseline_open_ms),
  base_step_ms: best.modes.hamburger.base_step_ms,
  micro_step_ms: best.modes.hamburger.micro_step_ms,
  tokens_per_second: {
    hamburger: best.modes.hamburger.tokens_per_second,
    baseline: best.modes.baseline.tokens_per_second,
    verify: best.modes.verify.tokens_per_second,
  },
  read_bandwidth_gbps: figures.read_bandwidth_gbps,
  base_step_bytes: baseBytes,
  base_step_floor_ms: floorMs,
  base_step_vs_floor: best.modes.hamburger.base_step_ms / floorMs,
  engine_overhead: best.modes.hamburger.engine_overhead,
  headline_threads: bestKey,
  race_peak_rss_bytes: race.race_peak_rss_bytes,
  // The probe's engine ends with verify (both models' weights): its peak is one verify lane's.
  race_vs_verify_lane: race.race_peak_rss_bytes / best.peak_rss_bytes,
  race,
  int8_logit_drift: drift,
  forced_groups: { source: path.relative(REPO, SCHEDULE_TRACE), sizes: schedule },
  probes,
  build,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_bytes: totalmem(), node: process.version, platform: process.platform },
};
await writeFileAtomic(values.json, `${JSON.stringify(report, null, 2)}\n`, 'scale-check report');
console.log(JSON.stringify({ ...report, probes: undefined, build: undefined }, null, 2));
