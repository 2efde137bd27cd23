/// <reference lib="dom" />
// Analysing a text in the playground, end to end in Debian's Chromium against the browser mode
// with the shipped model: the groups, KV entries and perplexity on screen are the engine's for
// the same request, a bad text is refused next to its box. With HAMBURGER_SCREENSHOTS=1 it
// writes docs/screenshots/analyse.png (`npm run screenshots`); a plain run leaves it alone.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyseRequestInput, GenerationResult, MacroStep } from '../../engine/api.js';
import { visibleToken } from '../../renderer/src/model/tokenText.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));
const PROMPT = 'Count down from 18 to 4.';
// The model counts "18, 17, 16, ..."; skipping 16 cuts a group where it would have gone on.
const TEXT = '18, 17, 15, 14, 13, 12, 11, 10';

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

/** The same analysis straight from the host session (on a lane the page does not show). */
async function engineAnalysis(request: AnalyseRequestInput): Promise<{ steps: MacroStep[]; result: GenerationResult }> {
  const steps: MacroStep[] = [];
  let result: GenerationResult | null = null;
  const finished = new Promise<void>((resolve) => {
    const stop = app.session.onEvent(({ lane, event }) => {
      if (lane !== 'race-2') return;
      if (event.type === 'macro') steps.push(event.step);
      if (event.type === 'finished') {
        result = event.result;
        stop();
        resolve();
      }
    });
  });
  await app.session.call({ method: 'analyse', lane: 'race-2', request }, 'e2e-test');
  await finished;
  return { steps, result: result! };
}

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultNavigationTimeout(90_000);
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
  await page.waitForSelector('[data-testid="model-name"]:has-text("hamburger-tiny")');
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
});

describe('analyse a text', () => {
  it("shows the engine's groups, KV entries and perplexity for the text", async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.fill('[data-testid="analysis-text"]', TEXT);
    await page.click('[data-testid="analyse"]');
    await page.waitForSelector('[data-testid="status-playground"][data-phase="finished"]', { timeout: 30_000 });
    const confidence = Number(await page.inputValue('[data-testid="setting-confidence"]'));
    const want = await engineAnalysis({ prompt: PROMPT, text: TEXT, confidence });
    const analysis = want.result.analysis!;
    expect(analysis.divergences).toBeGreaterThan(0);

    // Every group on screen once the replay cursor reaches the end.
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="stream-playground"] [data-group]').length === n, want.steps.length, { timeout: 30_000 });
    const groups = await page.$$eval('[data-testid="stream-playground"] [data-group]', (spans) => spans.map((s) => Array.from(s.querySelectorAll('.token'), (t) => t.textContent).join('')));
    expect(groups).toEqual(want.steps.map((s) => s.micro.map((m) => visibleToken(m.text)).join('')));
    const strip = page.locator('[data-testid="kv-strip-playground"]');
    expect(Number(await strip.getAttribute('data-group-entries')) + Number(await strip.getAttribute('data-pending-entries'))).toBe(analysis.kvEntries);

    const figures = page.locator('[data-testid="analysis-figures"]');
    // The same sums in the page as in the engine; the browser's Math.log and Math.exp may differ in the last bit from Node's.
    expect(Number(await figures.getAttribute('data-perplexity'))).toBeCloseTo(analysis.perplexity, 12);
    expect(Number(await figures.getAttribute('data-kv-entries'))).toBe(analysis.kvEntries);
    expect(await page.innerText('[data-testid="analysis-perplexity"]')).toBe(analysis.perplexity.toFixed(3));
    expect(await page.innerText('[data-testid="analysis-divergences"]')).toBe(String(analysis.divergences));
    expect(await page.locator('[data-testid="analysis-tokens"] tbody tr').count()).toBe(analysis.tokens);
    expect(await page.innerText('[data-testid="status-playground"]')).toContain('analysis');
    expect(await page.innerText('[data-testid="finish-playground"]')).toBe('ended: end of the text');
    expect(pageErrors).toEqual([]);
    if (process.env.HAMBURGER_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'analyse.png') });
    }
  });

  it('refuses a blank text next to its box, and the run on screen stays', async () => {
    const run = await page.getAttribute('[data-testid="status-playground"]', 'data-run');
    await page.fill('[data-testid="analysis-text"]', '   ');
    await page.click('[data-testid="analyse"]');
    await page.waitForSelector('[data-testid="analysis-error"]');
    expect(await page.innerText('[data-testid="analysis-error"]')).toContain('text is empty');
    expect(await page.getAttribute('[data-testid="status-playground"]', 'data-run')).toBe(run);
  });
});
