/// <reference lib="dom" />
// Time to first token and the group position convention in the app, in Debian's Chromium
// against the browser mode with the shipped model: the run status and the race tallies show
// the engine's own time to first token; the position setting goes with a playground run and
// with every race lane, and moves each fed-back group one position up.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, GenerationResult, MacroStep, StartedEvent } from '../../engine/api.js';
import type { LaneEvent } from '../../host/protocol.js';
import { firstTokenText } from '../../renderer/src/model/firstTokenTime.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const PROMPT = 'Count from 1 to 12.';

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];
const sent: LaneEvent[] = [];

beforeAll(async () => {
  app = await startTestApp();
  app.session.onEvent((event) => sent.push(event));
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultNavigationTimeout(90_000);
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  expect(pageErrors).toEqual([]);
});

interface LaneRun {
  started: StartedEvent;
  steps: MacroStep[];
  result: GenerationResult;
}

/** What the host sent for a lane's run, by the run id its status shows. */
async function laneRun(lane: string): Promise<LaneRun> {
  const runId = await page.getAttribute(`[data-testid="status-${lane}"]`, 'data-run');
  const events: EngineEvent[] = sent.filter((e) => e.lane === lane && e.event.runId === runId).map((e) => e.event);
  const started = events.find((e): e is StartedEvent => e.type === 'started')!;
  const steps = events.flatMap((e) => (e.type === 'macro' ? [e.step] : []));
  const finished = events.find((e) => e.type === 'finished');
  if (finished?.type !== 'finished') throw new Error(`${lane}: no finished event for ${runId}`);
  return { started, steps, result: finished.result };
}

/** Clicks generate and waits for the playground's next run to finish. */
async function generateAndWait(): Promise<LaneRun> {
  const status = page.locator('[data-testid="status-playground"]');
  const previous = (await status.count()) === 0 ? '' : ((await status.getAttribute('data-run')) ?? '');
  await page.click('[data-testid="generate"]');
  await page.waitForSelector(`[data-testid="status-playground"][data-run]:not([data-run="${previous}"])[data-phase="finished"]`, { timeout: 30_000 });
  return laneRun('playground');
}

describe('time to first token and the group position', () => {
  it("the run status shows the engine's time to first token", async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.fill('[data-testid="setting-maxNewTokens"]', '32');
    await page.fill('[data-testid="setting-confidence"]', '0.5');
    const run = await generateAndWait();
    const shown = page.locator('[data-testid="first-token-playground"]');
    const ms = Number(await shown.getAttribute('data-ms'));
    expect(ms).toBe(run.result.firstTokenMs);
    // Plausible: at least the prefill forward, at most the whole first macro step.
    expect(ms).toBeGreaterThanOrEqual(run.result.prefillMs);
    expect(ms).toBeLessThanOrEqual(run.steps[0]!.timings.totalMs);
    expect((await shown.innerText()).trim()).toBe(`· first token ${firstTokenText(run.result)}`);
    expect(run.started.settings.positionConvention).toBe('last_token');
    expect(await page.locator('[data-testid="positions-playground"]').count()).toBe(0);
  });

  it('tokens so far, chosen in the settings, puts each fed-back group one position above its last token', async () => {
    await page.selectOption('[data-testid="setting-positionConvention"]', 'tokens_so_far');
    const run = await generateAndWait();
    expect(run.started.settings.positionConvention).toBe('tokens_so_far');
    await page.waitForSelector('[data-testid="positions-playground"]:has-text("tokens so far")');
    const n = run.started.prompt.tokenIds.length;
    let tokensSoFar = 0;
    for (const step of run.steps.slice(1)) {
      tokensSoFar += run.steps[step.index - 1]!.tokenIds.length;
      expect(step.positionId).toBe(n + tokensSoFar);
    }
    expect(run.steps.length).toBeGreaterThan(1);
  });

  it('every race lane takes the setting (the baseline runs plain positions) and shows its time to first token', async () => {
    await page.click('[data-testid="view-race"]');
    await page.click('[data-testid="generate"]');
    const lanes = { 'race-0': 'tokens_so_far', 'race-2': 'tokens_so_far', 'race-1': 'last_token' } as const;
    for (const [lane, convention] of Object.entries(lanes)) {
      await page.waitForSelector(`[data-testid="status-${lane}"][data-phase="finished"]`, { timeout: 90_000 });
      const run = await laneRun(lane);
      expect(run.started.settings.positionConvention).toBe(convention);
      const tally = await page.innerText(`[data-testid="tally-${lane}"] [data-tally="first token"]`);
      expect(tally).toBe(firstTokenText(run.result));
      expect(tally).toMatch(/^\d+\.\d+ m?s$/);
      expect(run.result.firstTokenMs!).toBeGreaterThan(0);
    }
    // Verify is still lossless: its text is the baseline's.
    const laneText = (lane: string) => page.locator(`[data-testid="stream-${lane}"] .token`).allInnerTexts();
    expect(await laneText('race-2')).toEqual(await laneText('race-1'));
  });
});
