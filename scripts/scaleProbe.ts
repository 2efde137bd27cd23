// The engine side of `npm run scale-check` (scripts/scaleCheck.ts), in a process of its own so
// that its peak resident memory is the engine's: loads one package as the app does (the
// baseline's graphs opened when first needed), generates in HAMburger mode, then opens the
// baseline and generates in baseline and verify modes, with group sizes forced from a
// recorded schedule (a timing simulation: random weights make no useful stop decision), and
// prints one JSON object on stdout: the peak RSS with HAMburger's weights alone and with both.
// Usage: tsx scripts/scaleProbe.ts --model DIR --forced-groups 4,2,2 [--tokens 32] [--threads N] [--context N]
// (context: default the package's max_position, 8192 for an imported 1B).
import { parseArgs } from 'node:util';
import type { MacroStep, Mode } from '../engine/api.js';
import { groupSizesFlag } from '../engine/cli/requestOptions.js';
import { HamburgerEngine } from '../engine/engine.js';

const MODES: Mode[] = ['hamburger', 'baseline', 'verify'];
const PROMPT = 'Write a short story about a cat who learns to play the piano.';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'forced-groups': { type: 'string' },
    tokens: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    context: { type: 'string' },
  },
});
if (values.model === undefined || values['forced-groups'] === undefined) throw new Error('--model and --forced-groups are required');
const forcedGroupSizes = groupSizesFlag(values['forced-groups']);
const tokens = Number(values.tokens);

const rssBytes = (): number => process.memoryUsage.rss();
const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const start = performance.now();
const engine = await HamburgerEngine.load(values.model, {
  threads: Number(values.threads),
  openOnDemand: true,
  ...(values.context === undefined ? {} : { context: Number(values.context) }),
});
const loadMs = performance.now() - start;
const afterLoad = { rss_bytes: rssBytes(), peak_rss_bytes: peakRssBytes() };

const modes: Record<string, unknown> = {};
let hamburgerOnly: { peak_rss_bytes: number } | null = null;
let baselineOpenMs: number | null = null;
for (const mode of MODES) {
  const steps: MacroStep[] = [];
  const request = { prompt: PROMPT, mode, confidence: 0.9, maxNewTokens: tokens, minNewTokens: tokens, forcedGroupSizes };
  if (mode !== 'hamburger' && baselineOpenMs === null) {
    hamburgerOnly = { peak_rss_bytes: peakRssBytes() };
    const opening = performance.now();
    await engine.prepare(request);
    baselineOpenMs = performance.now() - opening;
  }
  const result = await engine.generate(
    request,
    (event) => {
      if (event.type === 'macro') steps.push(event.step);
    },
  ).done;
  const decode = steps.slice(1); // step 0 holds the prefill
  const microCalls = sum(decode.map((s) => s.micro.length - 1));
  const total = sum(decode.map((s) => s.timings.totalMs));
  modes[mode] = {
    tokens: result.tokens,
    macro_steps: result.macroSteps,
    tokens_per_step: result.tokensPerStep,
    tokens_per_second: result.tokensPerSecond,
    prefill_ms: steps[0]?.timings.baseMs ?? null,
    base_step_ms: median(decode.map((s) => s.timings.baseMs)),
    micro_step_ms: microCalls > 0 ? sum(decode.map((s) => s.timings.microMs)) / microCalls : null,
    // Time outside session.run: sampling, bookkeeping, events.
    engine_overhead: total > 0 ? 1 - sum(decode.map((s) => s.timings.sessionMs)) / total : null,
    finish_reason: result.finishReason,
  };
}
process.stdout.write(
  `${JSON.stringify({
    load_ms: loadMs,
    weights_bytes: engine.info.weightsBytes,
    after_load: afterLoad,
    // HAMburger mode: the package loaded, its baseline not yet asked for.
    peak_rss_hamburger_bytes: hamburgerOnly?.peak_rss_bytes ?? null,
    // The baseline's graphs opened (and warmed) when baseline mode first asked.
    baseline_open_ms: baselineOpenMs,
    peak_rss_bytes: peakRssBytes(),
    modes,
  })}\n`,
);
await engine.dispose();
