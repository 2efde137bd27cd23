// Smoothness of the UI in Debian's Chromium while the shipped model generates 2,000 tokens
// (two runs of 1,000 tokens back to back: the model's context holds 1,024 positions): long
// tasks, frame intervals, and the latency of keys typed into the prompt box for as long as it
// generates.
// Usage: npm run smoothness [-- --json] [-- --trace FILE] [-- --url http://127.0.0.1:5170/] [-- --during-load DIR] [-- --view perplexity] [-- --race] [-- --repeat N]
// --repeat N: N times the 2,000 tokens on the same page, the figures pooled over all of them.
// One measurement types 50-70 keys, so its p95 is its third or fourth slowest key; pooled over
// N it is a figure that holds from one sitting to the next.
// --view perplexity: the perplexity-against-speed view open in place of the charts while it generates.
// --race: the race view, its three lanes (HAMburger, baseline, verify) each writing the tokens;
// the figures count the HAMburger lane's tokens, and the typing lasts until all three are done.
// --during-load DIR: instead of generating, load the package at DIR from the model picker (a
// real-size one: seconds of ONNX Runtime sessions opening in the engine's worker) and type for
// as long as it loads; the figures are those keys' latencies (target: p95 under 50 ms).
// --trace writes a Chromium performance trace (open it in DevTools' Performance panel) and
// prints the main thread's CPU time: per animation frame, per key event, and by kind.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CDPSession } from 'playwright-core';
import { startTestApp } from '../test/e2e/support/appServer.js';
import { launchChromium } from '../test/e2e/support/chromium.js';
import { mainThreadCpu, type TraceEvent } from './traceCpu.js';

const TOKENS_PER_REPEAT = 2000;
const MAX_TOKENS_PER_RUN = 1000;
// Each run is held to its full length by the min-new-tokens setting (end of sequence
// suppressed), so two runs make the 2,000 tokens whatever the model would say; the cap on
// runs only guards against a run that ends otherwise (cancelled, failed).
const MAX_RUNS_PER_REPEAT = 4;
// Plain text without the chat template (HAMburger mode, the playground's Generate).
const PROMPT = 'The';
const KEY_INTERVAL_MS = 60;
const TYPED_KEY = 'x';
// Keys typed before the first run, with nothing generating: the floor of this browser setup.
const IDLE_KEY = 'z';
const IDLE_KEYS = 40;

interface PageStats {
  frames: number[];
  longTasks: number[];
  /** Longest event-timing entry per interaction (only those over 16 ms are reported). */
  interactions: Record<string, number>;
  /** The interactions that were keys typed by this script (not its clicks, fills, shortcuts). */
  typed: number[];
  /** The same for the keys typed before any run. */
  idle: number[];
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The reported latencies of `typed` keys (those over 16 ms), and all `count` of them with the unreported ones as 0. */
function keyLatencies(stats: PageStats, typed: number[], count: number): { slow: number[]; all: number[] } {
  const slow = [...new Set(typed)].map((id) => stats.interactions[id]!);
  // Keys Chromium did not report took under 16 ms.
  return { slow, all: [...slow, ...Array<number>(Math.max(0, count - slow.length)).fill(0)] };
}

/** Collects frame intervals, long tasks and slow interactions into window.__stats. */
const OBSERVE_SCRIPT = `
  const stats = { frames: [], longTasks: [], interactions: {}, typed: [], idle: [] };
  window.__stats = stats;
  const typedAt = [];
  const idleAt = [];
  addEventListener('keydown', (e) => {
    if (e.key === '${TYPED_KEY}') typedAt.push(e.timeStamp);
    if (e.key === '${IDLE_KEY}') idleAt.push(e.timeStamp);
  }, true);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => stats.longTasks.push(e.duration))).observe({ type: 'longtask' });
  new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    if (e.interactionId === 0) return;
    stats.interactions[e.interactionId] = Math.max(stats.interactions[e.interactionId] ?? 0, e.duration);
    // An entry's startTime is its event's timeStamp.
    if (e.name === 'keydown' && typedAt.some((t) => Math.abs(t - e.startTime) < 1)) stats.typed.push(e.interactionId);
    if (e.name === 'keydown' && idleAt.some((t) => Math.abs(t - e.startTime) < 1)) stats.idle.push(e.interactionId);
  })).observe({ type: 'event', durationThreshold: 16 });
  let last = performance.now();
  const tick = (now) => { stats.frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
`;

async function startTrace(cdp: CDPSession): Promise<() => Promise<TraceEvent[]>> {
  const events: TraceEvent[] = [];
  // The protocol types trace events as string maps; they carry numbers (pid, tid, dur).
  cdp.on('Tracing.dataCollected', (data) => events.push(...(data.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing'] },
    transferMode: 'ReportEvents',
  });
  return async () => {
    await cdp.send('Tracing.end');
    await complete;
    return events;
  };
}

const { values: options } = parseArgs({
  options: { json: { type: 'boolean' }, trace: { type: 'string' }, url: { type: 'string' }, 'during-load': { type: 'string' }, view: { type: 'string', default: 'charts' }, race: { type: 'boolean', default: false }, repeat: { type: 'string', default: '1' } },
});
const SIDE_VIEWS = ['charts', 'perplexity'];
if (!SIDE_VIEWS.includes(options.view)) throw new Error(`--view ${options.view}: the side column shows one of ${SIDE_VIEWS.join(', ')}`);
const repeat = Number(options.repeat);
if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50) throw new Error(`--repeat ${options.repeat}: an integer from 1 to 50`);
const TOTAL_TOKENS = TOKENS_PER_REPEAT * repeat;
const MAX_RUNS = MAX_RUNS_PER_REPEAT * repeat;
const traceFile = options.trace;
// The lanes the runs go to; the first one's tokens are counted.
const LANES = options.race ? ['race-0', 'race-1', 'race-2'] : ['playground'];

// By default the browser mode runs inside this script's process; with --url the page is
// served by a server of its own (`npm run serve`), so each process's CPU can be told apart.
const app = options.url === undefined ? await startTestApp() : null;
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(options.url ?? app!.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
  // A string, not a function: tsx's transform would add helpers the page does not have.
  await page.evaluate(OBSERVE_SCRIPT);
  await page.getByLabel('Wrap in the chat template').setChecked(false);
  if (options.race) await page.click('[data-testid="view-race"]');
  if (options.view === 'perplexity') await page.click('[data-testid="toggle-perplexity"]');
  const stopTrace = traceFile === undefined ? null : await startTrace(await browser.context.newCDPSession(page));
  await page.focus('[data-testid="prompt"]');
  for (let i = 0; i < IDLE_KEYS; i++) {
    await page.keyboard.press(IDLE_KEY);
    await page.waitForTimeout(KEY_INTERVAL_MS);
  }
  let keys = 0;
  /** Types one key every KEY_INTERVAL_MS until `until` settles; each is an interaction whose latency Chromium measures. */
  const typeUntil = async (until: Promise<unknown>): Promise<void> => {
    let settled = false;
    void until.finally(() => (settled = true));
    while (!settled) {
      await page.keyboard.press(TYPED_KEY);
      keys += 1;
      await page.waitForTimeout(KEY_INTERVAL_MS);
    }
    await until;
  };
  const loadDir = options['during-load'];
  if (loadDir !== undefined) {
    const before = await page.innerText('[data-testid="model-name"]');
    await page.fill('[data-testid="model-folder"]', loadDir);
    const start = Date.now();
    await page.click('[data-testid="load-folder"]');
    await page.focus('[data-testid="prompt"]');
    const loadedOrFailed = page.locator('[data-testid="model-name"]', { hasNotText: before }).or(page.locator('[data-testid="model-error"]'));
    await typeUntil(loadedOrFailed.waitFor({ timeout: 600_000 }));
    const error = await page.$('[data-testid="model-error"]');
    if (error !== null) throw new Error(`the load failed: ${await error.innerText()}`);
    const stats = (await page.evaluate('window.__stats')) as PageStats;
    const { slow, all } = keyLatencies(stats, stats.typed, keys);
    const frames = stats.frames.slice(1);
    const result = {
      model: await page.innerText('[data-testid="model-name"]'),
      loadWallMs: Date.now() - start,
      keysTyped: keys,
      keysOver16Ms: slow.length,
      keysOver50Ms: slow.filter((d) => d > 50).length,
      keyLatencyP95Ms: percentile(all, 95),
      keyLatencyMaxMs: Math.max(0, ...slow),
      frameP95Ms: percentile(frames, 95),
      longTasks: stats.longTasks.length,
      longTaskMaxMs: Math.max(0, ...stats.longTasks),
    };
    console.log(JSON.stringify(result, null, options.json === true ? 2 : undefined));
  } else {
    let tokens = 0;
    let runs = 0;
    let longestRun = 0;
    const start = Date.now();
    while (tokens < TOTAL_TOKENS && runs < MAX_RUNS) {
      const runLength = String(Math.min(MAX_TOKENS_PER_RUN, TOTAL_TOKENS - tokens));
      await page.fill('[data-testid="setting-maxNewTokens"]', runLength);
      await page.fill('[data-testid="setting-minNewTokens"]', runLength);
      await page.fill('[data-testid="prompt"]', PROMPT);
      const previous = await Promise.all(LANES.map(async (lane) => (await page.evaluate(`document.querySelector('[data-testid="status-${lane}"]')?.dataset.run ?? ''`)) as string));
      // Ctrl+Enter starts the run (the race) and leaves the focus in the prompt box.
      await page.keyboard.press('Control+Enter');
      const statuses = LANES.map((lane, i) => `[data-testid="status-${lane}"][data-run]:not([data-run="${previous[i]}"])`);
      // Generous limits: on a loaded machine a busy page answers slowly.
      for (const status of statuses) await page.waitForSelector(status, { timeout: 120_000 });
      // Type for as long as it generates.
      await typeUntil(Promise.all(statuses.map((status) => page.waitForSelector(`${status}:not([data-phase="running"])`, { timeout: 900_000 }))));
      for (const lane of LANES) {
        const phase = await page.getAttribute(`[data-testid="status-${lane}"]`, 'data-phase');
        if (phase !== 'finished') throw new Error(`run ${runs + 1} on ${lane} ended ${phase}: ${await page.innerText(`[data-testid="status-${lane}"]`)}`);
      }
      const figures = await page.innerText(`[data-testid="status-${LANES[0]}"] .figures`);
      const runTokens = Number(/^(\d+) tokens/.exec(figures)?.[1] ?? 0);
      tokens += runTokens;
      runs += 1;
      longestRun = Math.max(longestRun, runTokens);
    }
    const wallMs = Date.now() - start;
    const events = stopTrace === null ? null : await stopTrace();
    const stats = (await page.evaluate('window.__stats')) as PageStats;
    const frames = stats.frames.slice(1);
    const { slow: slowKeys, all: latencies } = keyLatencies(stats, stats.typed, keys);
    const { slow: slowIdleKeys, all: idleLatencies } = keyLatencies(stats, stats.idle, IDLE_KEYS);
    const result = {
      view: options.view,
      race: options.race,
      repeat,
      browser: `Debian Chromium ${/Chrome\/(\d+)/.exec((await page.evaluate('navigator.userAgent')) as string)?.[1] ?? '?'} (headless, --disable-gpu)`,
      tokens,
      runs,
      longestRun,
      wallMs,
      frames: frames.length,
      frameP50Ms: percentile(frames, 50),
      frameP95Ms: percentile(frames, 95),
      frameMaxMs: Math.max(...frames),
      framesOver50Ms: frames.filter((f) => f > 50).length,
      longTasks: stats.longTasks.length,
      longTaskMaxMs: Math.max(0, ...stats.longTasks),
      longTaskTotalMs: stats.longTasks.reduce((a, b) => a + b, 0),
      keysTyped: keys,
      keysOver16Ms: slowKeys.length,
      keysOver50Ms: slowKeys.filter((d) => d > 50).length,
      keyLatencyP95Ms: percentile(latencies, 95),
      keyLatencyMaxMs: Math.max(0, ...slowKeys),
      idleKeysTyped: IDLE_KEYS,
      idleKeysOver16Ms: slowIdleKeys.length,
      idleKeyLatencyP95Ms: percentile(idleLatencies, 95),
      domNodesAtEnd: (await page.evaluate('document.getElementsByTagName("*").length')) as number,
    };
    if (options.json === true) console.log(JSON.stringify(result, null, 2));
    else for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(18)} ${typeof value === 'number' ? Math.round(value * 10) / 10 : value}`);
    if (events !== null && traceFile !== undefined) {
      writeFileSync(traceFile, JSON.stringify({ traceEvents: events }));
      const cpu = mainThreadCpu(events);
      const spread = (values: number[]) => `${values.length} tasks, p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms`;
      console.log(`\ntrace written to ${traceFile}`);
      console.log(`main thread CPU time  ${Math.round(cpu.totalMs)} ms (${(cpu.totalMs / Math.max(1, tokens)).toFixed(2)} ms per token)`);
      console.log(`  animation frames    ${spread(cpu.frameTasksMs)}`);
      console.log(`  key events          ${spread(cpu.keyTasksMs)}`);
      console.log(`  self time, ms       ${cpu.selfMs.slice(0, 8).map(([name, ms]) => `${name} ${Math.round(ms)}`).join(', ')}`);
    }
  }
} finally {
  await browser.close();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await app?.close();
}
