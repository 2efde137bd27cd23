// A three-lane race as the app runs it, for `npm run scale-check` (scripts/scaleCheck.ts): the
// host session of the browser mode and Electron (every lane on one engine worker that holds
// the model once), the package loaded, then HAMburger, verify and baseline started together
// with forced group sizes (a timing simulation). Prints one JSON object: the process's peak
// resident memory (the engine worker is its thread) and each lane's tokens/s.
// Usage: tsx scripts/raceProbe.ts --model DIR --forced-groups 4,2,2 [--tokens 32] [--threads N]
import { parseArgs } from 'node:util';
import type { GenerationResult, Mode } from '../engine/api.js';
import type { LaneId } from '../host/protocol.js';
import { groupSizesFlag } from '../engine/cli/requestOptions.js';
import { DEFAULT_MODEL_DIR } from '../engine/defaultModel.js';
import { engineWorkerUrl } from '../host/engineWorkerUrl.js';
import { HostSession } from '../host/hostSession.js';

const LANES: [LaneId, Mode][] = [
  ['race-0', 'hamburger'],
  ['race-1', 'verify'],
  ['race-2', 'baseline'],
];
const CLIENT = 'race-probe';

const { values } = parseArgs({
  options: { model: { type: 'string' }, 'forced-groups': { type: 'string' }, tokens: { type: 'string', default: '32' }, threads: { type: 'string' } },
});
if (values.model === undefined || values['forced-groups'] === undefined) throw new Error('--model and --forced-groups are required');
const forcedGroupSizes = groupSizesFlag(values['forced-groups']);
const tokens = Number(values.tokens);

const threads = values.threads === undefined ? undefined : Number(values.threads);
const session = new HostSession({ defaultModelDirectory: DEFAULT_MODEL_DIR, workerUrl: engineWorkerUrl(), ...(threads === undefined ? {} : { threads }) });
try {
  const start = performance.now();
  await session.call({ method: 'loadModel', directory: values.model }, CLIENT);
  const loadMs = performance.now() - start;
  const results = new Map<LaneId, GenerationResult>();
  const finished = new Promise<void>((resolve, reject) => {
    session.onEvent(({ lane, event }) => {
      if (event.type === 'failed') reject(new Error(`${lane}: ${event.error.message}`));
      if (event.type !== 'finished') return;
      results.set(lane, event.result);
      if (results.size === LANES.length) resolve();
    });
  });
  await Promise.all(
    LANES.map(([lane, mode]) =>
      session.call({ method: 'generate', lane, request: { prompt: 'Write a short story about a cat.', mode, confidence: 0.9, maxNewTokens: tokens, minNewTokens: tokens, forcedGroupSizes } }, CLIENT),
    ),
  );
  await finished;
  process.stdout.write(
    `${JSON.stringify({
      load_ms: loadMs,
      race_peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      lanes: Object.fromEntries(LANES.map(([lane, mode]) => [mode, { lane, tokens: results.get(lane)!.tokens, tokens_per_second: results.get(lane)!.tokensPerSecond }])),
    })}\n`,
  );
} finally {
  await session.close();
}
