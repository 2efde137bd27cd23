// A screenshot of the app's race on a package as a timing simulation, through the browser mode
// as a user drives it: the server in this process (test/e2e/support/appServer.ts), Debian's
// Chromium, the package loaded from the model picker (its progress bar seen), the race view,
// then the Race button. The forced group sizes go in the page's address (`?forced-groups=`,
// renderer/src/model/timingSimulation.ts), so the page's own race sends them and the race view
// labels the runs; --random-weights adds `weights=random`, for a synthetic package such as
// `npm run scale-check`'s, whose manifest does not say so. Waits for the three lanes to finish,
// writes the PNG and prints one JSON object: the load's wall time and the engine's, the progress
// texts seen during the load and the toolbar's note while the race opened the baseline's graphs,
// each lane's tokens/s, and this process's peak RSS (the engine's worker is its thread).
// Usage: npm run race-screenshot -- --model DIR --forced-groups 4,2,2 [--tokens 32] [--random-weights] [--out docs/screenshots/race-1b-shape.png]
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { GenerationResult } from '../engine/api.js';
import type { LaneId } from '../host/protocol.js';
import { groupSizesFlag } from '../engine/cli/requestOptions.js';
import { startTestApp } from '../test/e2e/support/appServer.js';
import { launchChromium } from '../test/e2e/support/chromium.js';
import type { Page } from 'playwright-core';

const PROMPT = 'Write a short story about a cat.';
// Wider than the other screenshots: a random model's tokens are long, odd strings.
const VIEWPORT = { width: 1440, height: 900 };
const PROGRESS_POLL_MS = 200;
const LOAD_TIMEOUT_MS = 600_000;
const RACE_TIMEOUT_MS = 900_000;

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'forced-groups': { type: 'string' },
    tokens: { type: 'string', default: '32' },
    'random-weights': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/screenshots/race-1b-shape.png' },
  },
});
if (values.model === undefined || values['forced-groups'] === undefined) throw new Error('--model and --forced-groups are required');
const modelDir = path.resolve(values.model);
const forcedGroupSizes = groupSizesFlag(values['forced-groups']);
const tokens = Number(values.tokens);
if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`--tokens must be a positive integer, got ${values.tokens}`);

const query = new URLSearchParams({ 'forced-groups': forcedGroupSizes.join(',') });
if (values['random-weights']) query.set('weights', 'random');

/** Each text `selector` shows until `until` settles, once per change. */
async function textsSeen(page: Page, selector: string, until: Promise<unknown>): Promise<string[]> {
  let done = false;
  void until.finally(() => (done = true));
  const seen: string[] = [];
  while (!done) {
    const text = await page
      .locator(selector)
      .innerText({ timeout: PROGRESS_POLL_MS })
      .catch(() => null);
    if (text !== null && seen.at(-1) !== text) seen.push(text);
    await page.waitForTimeout(PROGRESS_POLL_MS);
  }
  return seen;
}

const app = await startTestApp();
const browser = await launchChromium(VIEWPORT);
try {
  const results = new Map<LaneId, GenerationResult>();
  app.session.onEvent(({ lane, event }) => {
    if (event.type === 'finished') results.set(lane, event.result);
  });
  const page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(`${app.url}?${query.toString()}`);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');

  await page.fill('[data-testid="model-folder"]', modelDir);
  const loadStart = Date.now();
  await page.click('[data-testid="load-folder"]');
  // The button is disabled from the click until the load has ended, loaded or failed.
  const loaded = page.waitForSelector('[data-testid="load-folder"]:enabled', { timeout: LOAD_TIMEOUT_MS });
  // What the progress bar said while the package loaded, each text once.
  const progressTexts = await textsSeen(page, '[data-testid="load-progress"] span', loaded);
  await loaded;
  const loadWallMs = Date.now() - loadStart;
  const error = await page.$('[data-testid="model-error"]');
  if (error !== null) throw new Error(`the load failed: ${await error.innerText()}`);
  if (progressTexts.length === 0) throw new Error('the load progress bar never showed');

  await page.click('[data-testid="view-race"]');
  await page.fill('[data-testid="prompt"]', PROMPT);
  await page.fill('[data-testid="setting-maxNewTokens"]', String(tokens));
  // End of sequence held off: a random model would otherwise stop wherever its head says.
  await page.fill('[data-testid="setting-minNewTokens"]', String(tokens));
  await page.click('[data-testid="generate"]');
  // The baseline's graphs open on the race's first use; the toolbar says so meanwhile.
  const started = page.waitForSelector(`[data-testid="status-race-1"]`, { timeout: RACE_TIMEOUT_MS });
  const openingTexts = await textsSeen(page, '[data-testid="graph-opening"]', started);
  await page.waitForSelector('[data-testid="simulation-banner"]');
  // The lanes as the page shows them: id and title.
  const lanes: { lane: LaneId; title: string }[] = [];
  for (const section of await page.locator('.race-lane').all()) {
    lanes.push({ lane: ((await section.getAttribute('data-testid')) ?? '').replace(/^lane-/, '') as LaneId, title: await section.locator('h2').innerText() });
  }
  for (const { lane } of lanes) {
    const status = page.locator(`[data-testid="status-${lane}"]`);
    await page.waitForSelector(`[data-testid="status-${lane}"]:not([data-phase="running"])`, { timeout: RACE_TIMEOUT_MS });
    const phase = await status.getAttribute('data-phase');
    if (phase !== 'finished') throw new Error(`${lane} ended ${phase}: ${await status.innerText()}`);
    // The tally shows the last step once the display has caught up with the engine.
    const result = results.get(lane)!;
    await page.waitForSelector(`[data-testid="tally-${lane}"] [data-tally="tokens"]:text-is("${result.tokens}")`);
  }
  // The charts follow the runs at most ten times a second.
  await page.waitForTimeout(1000);
  const out = path.resolve(values.out);
  await page.screenshot({ path: out });

  const model = app.session.currentModel!;
  console.log(
    JSON.stringify(
      {
        model: `${model.name} (${model.directory})`,
        screenshot: out,
        screenshot_bytes: statSync(out).size,
        load_wall_ms: loadWallMs,
        engine_load_ms: Math.round(model.loadMs),
        progress_seen: progressTexts,
        opening_seen: openingTexts,
        forced_group_sizes: forcedGroupSizes,
        lanes: Object.fromEntries(
          lanes.map(({ lane, title }) => {
            const result = results.get(lane)!;
            return [title, { lane, tokens: result.tokens, macro_steps: result.macroSteps, tokens_per_second: Math.round(result.tokensPerSecond * 10) / 10 }];
          }),
        ),
        peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await app.close();
}
