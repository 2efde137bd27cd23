// Smoothness of the UI in Debian's Chromium while the shipped model generates 2,000 tokens
// (two back-to-back runs: the model's context holds 1,024 positions): long tasks, frame
// intervals, and input latency of keys typed into the prompt box during generation.
// Usage: npm run smoothness [-- --json]
import { startTestApp } from '../test/e2e/support/appServer.js';
import { launchChromium } from '../test/e2e/support/chromium.js';

const RUNS = 2;
const TOKENS_PER_RUN = 1000;
const PROMPT = 'Count';

interface PageStats {
  frames: number[];
  longTasks: number[];
  events: number[];
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Collects frame intervals, long tasks and slow input events into window.__stats. */
const OBSERVE_SCRIPT = `
  const stats = { frames: [], longTasks: [], events: [] };
  window.__stats = stats;
  new PerformanceObserver((list) => list.getEntries().forEach((e) => stats.longTasks.push(e.duration))).observe({ type: 'longtask' });
  new PerformanceObserver((list) => list.getEntries().forEach((e) => stats.events.push(e.duration))).observe({ type: 'event', durationThreshold: 16 });
  let last = performance.now();
  const tick = (now) => { stats.frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
`;

const app = await startTestApp();
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
  // A string, not a function: tsx's transform would add helpers the page does not have.
  await page.evaluate(OBSERVE_SCRIPT);
  await page.fill('[data-testid="setting-maxNewTokens"]', String(TOKENS_PER_RUN));
  let tokens = 0;
  const start = Date.now();
  for (let run = 0; run < RUNS; run++) {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.click('[data-testid="generate"]');
    // Type while it generates: each key is an input whose latency Chromium measures.
    for (let i = 0; i < 20; i++) {
      await page.type('[data-testid="prompt"]', 'x', { delay: 40 });
      if ((await page.getAttribute('[data-testid="status-playground"]', 'data-phase')) === 'finished') break;
    }
    await page.waitForSelector('[data-testid="status-playground"][data-phase="finished"]', { timeout: 120_000 });
    const figures = await page.innerText('[data-testid="status-playground"] .figures');
    tokens += Number(/^(\d+) tokens/.exec(figures)?.[1] ?? 0);
  }
  const wallMs = Date.now() - start;
  const stats = (await page.evaluate('window.__stats')) as PageStats;
  const frames = stats.frames.slice(1);
  const result = {
    browser: 'Debian Chromium (headless, --disable-gpu)',
    tokens,
    wallMs,
    frames: frames.length,
    frameP50Ms: percentile(frames, 50),
    frameP95Ms: percentile(frames, 95),
    frameMaxMs: Math.max(...frames),
    framesOver50Ms: frames.filter((f) => f > 50).length,
    longTasks: stats.longTasks.length,
    longTaskMaxMs: Math.max(0, ...stats.longTasks),
    longTaskTotalMs: stats.longTasks.reduce((a, b) => a + b, 0),
    slowInputs: stats.events.length,
    inputLatencyMaxMs: Math.max(0, ...stats.events),
    domNodesAtEnd: (await page.evaluate('document.getElementsByTagName("*").length')) as number,
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(18)} ${typeof value === 'number' ? Math.round(value * 10) / 10 : value}`);
} finally {
  await browser.close();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await app.close();
}
