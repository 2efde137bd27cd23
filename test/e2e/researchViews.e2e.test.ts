/// <reference lib="dom" />
// The research views end to end in Debian's Chromium against the browser mode with the shipped
// model: the perplexity-against-speed view's series equal the run's recorded steps, and the
// one-file HTML export, opened from disk with every network request refused, replays the run
// to its last step. With HAMBURGER_SCREENSHOTS=1 it writes docs/screenshots/perplexity-speed.png
// and html-export.png.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceSchema } from '../../engine/api.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));
const PROMPT = 'Make a markdown table with columns city, year from these records: Berlin, 1946; Madrid, 1903; Vienna, 1954; Berlin, 1923.';
const MAX_NEW_TOKENS = 60;
const WINDOW = 8;

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];
const saved: string[] = [];

async function shot(target: Page, name: string): Promise<void> {
  if (process.env.HAMBURGER_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Saves what a click downloads into the temp folder; the file's path. */
async function download(selector: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const target = path.join(tmpdir(), `e2e-research-${Date.now()}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  saved.push(target);
  return target;
}

/** A number list as the view writes it on its data attributes (empty: no value). */
const numbers = (text: string | null): (number | null)[] => (text ?? '').split(',').map((v) => (v === '' ? null : Number(v)));

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium({ width: 1400, height: 860 });
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
  for (const file of saved) rmSync(file, { force: true });
  expect(pageErrors).toEqual([]);
});

describe('perplexity against speed', () => {
  it('draws, per macro step, the rolling perplexity, group size, rate and mean entropy of the recorded steps', async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.fill('[data-testid="setting-maxNewTokens"]', String(MAX_NEW_TOKENS));
    await page.click('[data-testid="toggle-perplexity"]');
    await page.fill('[data-testid="perplexity-window"]', String(WINDOW));
    await page.click('[data-testid="generate"]');
    await page.waitForSelector('[data-testid="status-playground"][data-phase="finished"]', { timeout: 30_000 });
    const trace = traceSchema.parse(JSON.parse(readFileSync(await download('[data-testid="save-trace"]'), 'utf8')));
    const steps = trace.steps;
    const view = page.locator('[data-testid="perplexity-playground"]');
    await expect.poll(() => view.getAttribute('data-steps'), { timeout: 10_000 }).toBe(String(steps.length));
    expect(await view.getAttribute('data-window')).toBe(String(WINDOW));

    // The expected series straight from the events: every emitted token's -ln p, windowed.
    const surprisals = steps.flatMap((s) => s.micro.map((m) => -Math.log(m.prob)));
    let emitted = 0;
    const perplexity = steps.map((s) => {
      emitted += s.micro.length;
      const window = surprisals.slice(Math.max(0, emitted - WINDOW), emitted);
      return Math.exp(window.reduce((a, b) => a + b, 0) / window.length);
    });
    const rate = steps.map((s, i) => (s.micro.length * 1000) / (s.totals.elapsedMs - (i === 0 ? 0 : steps[i - 1]!.totals.elapsedMs)));
    const entropy = steps.map((s) => s.micro.reduce((a, m) => a + m.entropy, 0) / s.micro.length);

    expect(numbers(await view.getAttribute('data-group-size'))).toEqual(steps.map((s) => s.tokenIds.length));
    const close = (got: (number | null)[], want: number[]) => {
      expect(got).toHaveLength(want.length);
      got.forEach((v, i) => expect(v, `step ${i}`).toBeCloseTo(want[i]!, 9));
    };
    close(numbers(await view.getAttribute('data-perplexity')), perplexity);
    close(numbers(await view.getAttribute('data-tokens-per-second')), rate);
    close(numbers(await view.getAttribute('data-mean-entropy')), entropy);
    // Three stacked panels on one step axis, the scatter with a dot a step.
    expect(await view.locator('.ppl-panel').count()).toBe(3);
    const dots = (await view.locator('.ppl-scatter path.dot').getAttribute('d')) ?? '';
    expect(dots.match(/M/g)).toHaveLength(steps.length);
    for (const close of await page.locator('.notice button[aria-label="Dismiss"]').all()) await close.click();
    await shot(page, 'perplexity-speed');
  }, 90_000);

  it('refuses a window that is not a whole number of tokens, and keeps the last good one', async () => {
    await page.fill('[data-testid="perplexity-window"]', '0');
    await expect.poll(() => page.textContent('[data-testid="perplexity-window-error"]')).toContain('whole number of tokens from 1 to 4096');
    expect(await page.getAttribute('[data-testid="perplexity-playground"]', 'data-window')).toBe(String(WINDOW));
    await page.fill('[data-testid="perplexity-window"]', String(WINDOW));
    await expect.poll(() => page.locator('[data-testid="perplexity-window-error"]').count()).toBe(0);
  });
});

describe('SVG for papers', () => {
  it('exports the KV strip as vector cells and the token stream over a chosen range of steps', async () => {
    const strip = page.locator('[data-testid="kv-strip-playground"]');
    const entries = ['data-prompt-entries', 'data-group-entries', 'data-pending-entries'];
    const cells = (await Promise.all(entries.map((name) => strip.getAttribute(name)))).reduce((sum, v) => sum + Number(v), 0);
    const kv = readFileSync(await download('[data-testid="export-kv-svg"]'), 'utf8');
    expect(kv.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect([...kv.matchAll(/<g><title>/g)]).toHaveLength(cells);
    expect([...kv.matchAll(/<title>prompt entry /g)]).toHaveLength(Number(await strip.getAttribute('data-prompt-entries')));

    await page.fill('[data-testid="stream-svg-from"]', '2');
    await page.fill('[data-testid="stream-svg-to"]', '4');
    const stream = readFileSync(await download('[data-testid="export-stream-svg"]'), 'utf8');
    expect([...stream.matchAll(/<g data-step="(\d+)">/g)].map((m) => Number(m[1]))).toEqual([2, 3, 4]);
    const trace = traceSchema.parse(JSON.parse(readFileSync(await download('[data-testid="save-trace"]'), 'utf8')));
    const tokens = [...stream.matchAll(/<title>p = [\d.]+<\/title>/g)];
    expect(tokens).toHaveLength(trace.steps.slice(2, 5).reduce((sum, step) => sum + step.micro.length, 0));
  });
});

/** Opens a file in a Chromium of its own, offline, with any request but the file itself refused and recorded. */
async function openOffline(file: string): Promise<{ replay: Page; requests: string[]; errors: string[]; close(): Promise<void> }> {
  const reader = await launchChromium({ width: 1400, height: 860 });
  const replay = await reader.context.newPage();
  await reader.context.setOffline(true);
  const requests: string[] = [];
  await replay.route(/^(?!file:|data:|blob:)/, (route) => {
    requests.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const errors: string[] = [];
  replay.on('pageerror', (error) => errors.push(error.message));
  await replay.goto(pathToFileURL(file).href);
  return { replay, requests, errors, close: () => reader.close() };
}

describe('one-file HTML export', () => {
  it('opened from disk with the network refused, replays the run to its last step', async () => {
    const total = (await page.getAttribute('[data-testid="perplexity-playground"]', 'data-steps'))!;
    const file = await download('[data-testid="export-html"]');
    expect(path.basename(file)).toMatch(/hamburger-run-.*\.html$/);
    const { replay, requests, errors, close } = await openOffline(file);
    await replay.waitForFunction((n) => document.querySelector('[data-testid="step-count"]')?.textContent === `step ${n} / ${n}`, total, { timeout: 30_000 });
    expect(await replay.locator('[data-testid="kv-strip-playground"]').count()).toBe(1);
    expect(await replay.locator('.token').count()).toBeGreaterThan(0);
    expect(await replay.locator('figure.chart').count()).toBeGreaterThanOrEqual(4);
    await shot(replay, 'html-export');
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  }, 90_000);

  it('a race: one perplexity view per lane, and the export replays every lane to its last step offline', async () => {
    const lanes = ['race-0', 'race-1', 'race-2'];
    await page.click('[data-testid="view-race"]');
    await page.click('[data-testid="generate"]');
    const steps: Record<string, string> = {};
    for (const lane of lanes) {
      await page.waitForSelector(`[data-testid="status-${lane}"][data-phase="finished"]`, { timeout: 90_000 });
      steps[lane] = await page.innerText(`[data-testid="tally-${lane}"] [data-tally="forwards"]`);
      await expect.poll(() => page.getAttribute(`[data-testid="perplexity-${lane}"]`, 'data-steps'), { timeout: 10_000 }).toBe(steps[lane]);
    }
    const file = await download('[data-testid="export-html"]');
    expect(path.basename(file)).toMatch(/hamburger-race-.*\.html$/);
    const { replay, requests, errors, close } = await openOffline(file);
    for (const lane of lanes) {
      await replay.waitForFunction(([id, n]) => document.querySelector(`[data-testid="step-count-${id}"]`)?.textContent === `step ${n} / ${n}`, [lane, steps[lane]!] as const, { timeout: 30_000 });
      expect(await replay.locator(`[data-testid="kv-strip-${lane}"]`).count()).toBe(1);
    }
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  }, 180_000);
});
