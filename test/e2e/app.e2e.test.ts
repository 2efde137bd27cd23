/// <reference lib="dom" />
// The app end to end in Debian's Chromium against the browser mode with the shipped model:
// generate, the KV strip's count, cell selection, the trust audit and verify mode, the race,
// step-through, traces, presentation mode, and bad input through the UI. With
// HAMBURGER_SCREENSHOTS=1 it also writes the main views to docs/screenshots (`npm run screenshots`);
// a plain test run leaves them alone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROMPT_CHARS, type EncodedPromptInfo } from '../../engine/api.js';
import { DEFAULT_MODEL_DIR } from '../../engine/defaultModel.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));
const PROMPT = 'Make a JSON object with pet = owl, score = 11.';
const MAX_NEW_TOKENS = 48;
const FEATURE_LAYERS = (JSON.parse(readFileSync(path.join(DEFAULT_MODEL_DIR, 'hamburger.json'), 'utf8')) as { architecture: { feature_layers: number[] } }).architecture.feature_layers;

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];
/** Every Content-Security-Policy violation the page reports, whole run: there must be none. */
const cspViolations: string[] = [];

async function shot(name: string): Promise<void> {
  if (process.env.HAMBURGER_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

async function setNumber(testId: string, value: string): Promise<void> {
  await page.fill(`[data-testid="${testId}"]`, value);
}

async function stepCount(): Promise<{ shown: number; total: number }> {
  const text = await page.innerText('[data-testid="step-count"]');
  const [, shown, total] = /step (\d+) \/ (\d+)/.exec(text)!;
  return { shown: Number(shown), total: Number(total) };
}

/** The KV entry selected in the strip (the DOM element over its canvas cell). */
async function selectedCell(): Promise<{ index: number; kind: string; tokens: number }> {
  const cell = page.locator('[data-kv-selected]');
  return {
    index: Number(await cell.getAttribute('data-index')),
    kind: (await cell.getAttribute('data-kv-cell')) ?? '',
    tokens: Number(await cell.getAttribute('data-tokens')),
  };
}

/** Opacity of the strip's canvas at a page position (0: nothing drawn there). */
async function canvasAlpha(strip: Locator, x: number, y: number): Promise<number> {
  return strip.locator('canvas').evaluate(
    (canvas: HTMLCanvasElement, [px, py]) => {
      const box = canvas.getBoundingClientRect();
      const scale = canvas.width / box.width;
      const pixel = canvas.getContext('2d')!.getImageData(Math.floor((px - box.left) * scale), Math.floor((py - box.top) * scale), 1, 1);
      return pixel.data[3]!;
    },
    [x, y] as const,
  );
}

/** Clicks a start button and waits for that run (not the one before it) to finish. */
async function startAndWait(button = '[data-testid="generate"]'): Promise<void> {
  const status = page.locator('[data-testid="status-playground"]');
  const previous = (await status.count()) === 0 ? '' : ((await status.getAttribute('data-run')) ?? '');
  await page.click(button);
  await page.waitForSelector(`[data-testid="status-playground"][data-run]:not([data-run="${previous}"])[data-phase="finished"]`, { timeout: 30_000 });
}

const generateAndWait = (): Promise<void> => startAndWait();

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.exposeFunction('reportCspViolation', (violation: string) => cspViolations.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportCspViolation(violation: string): void }).reportCspViolation;
      report(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  // A loaded 2-core machine can take longer than playwright's 30 s default to load the page.
  page.setDefaultNavigationTimeout(90_000);
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
  await page.waitForSelector('[data-testid="model-name"]:has-text("hamburger-tiny")');
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  expect(cspViolations, 'CSP violations during the run').toEqual([]);
});

describe('playground', () => {
  it('generates, and the KV strip holds the prompt tokens plus one entry per fed-back group', async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await setNumber('setting-maxNewTokens', String(MAX_NEW_TOKENS));
    await generateAndWait();
    const encoded = (await app.session.call({ method: 'encode', prompt: PROMPT, chatTemplate: true }, 'e2e-test')) as EncodedPromptInfo;
    const { shown, total } = await stepCount();
    expect(shown).toBe(total);
    expect(total).toBeGreaterThan(0);
    const strip = page.locator('[data-testid="kv-strip-playground"]');
    const promptCells = Number(await strip.getAttribute('data-prompt-entries'));
    const groupCells = Number(await strip.getAttribute('data-group-entries'));
    expect(promptCells).toBe(encoded.tokenIds.length);
    // Every macro step's group but the last has been fed back as one entry; the last is pending.
    expect(promptCells + groupCells).toBe(encoded.tokenIds.length + total - 1);
    expect(await strip.getAttribute('data-pending-entries')).toBe('1');
    const tokens = await page.locator('[data-testid="stream-playground"] .token').count();
    expect(tokens).toBeGreaterThan(0);
    await page.hover('[data-testid="stream-playground"] .token >> nth=0');
    await page.waitForSelector('[data-testid="token-card"]');
    expect(await page.innerText('[data-testid="token-card"]')).toMatch(/probability[\s\S]*entropy[\s\S]*stop probability/);
    await shot('playground-dark');
  });

  it('exports a chart as SVG, styles inline, and as PNG, under the page\'s CSP', async () => {
    const chart = page.locator('figure.chart').first();
    const [svg] = await Promise.all([page.waitForEvent('download'), chart.locator('button[title="Export as SVG"]').click()]);
    const text = readFileSync((await svg.path())!, 'utf8');
    expect(text).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(text).toMatch(/style="[^"]*fill: rgb/);
    const [png] = await Promise.all([page.waitForEvent('download'), chart.locator('button[title="Export as PNG"]').click()]);
    expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');
  });

  it('selecting a KV cell shows its tokens and position and highlights them in the stream', async () => {
    const strip = page.locator('[data-testid="kv-strip-playground"]');
    const promptCells = Number(await strip.getAttribute('data-prompt-entries'));
    const groupCells = Number(await strip.getAttribute('data-group-entries'));
    const before = await stepCount();
    // The canvas holds every entry: End selects the pending group, Home the first prompt entry.
    await strip.focus();
    await page.keyboard.press('End');
    await expect.poll(selectedCell).toMatchObject({ index: promptCells + groupCells, kind: 'pending' });
    await page.keyboard.press('Home');
    await expect.poll(selectedCell).toMatchObject({ index: 0, kind: 'prompt', tokens: 1 });
    // The third smashed entry, by keyboard: the arrows move the selection, not the scrubber.
    for (let i = 0; i < promptCells + 2; i++) await page.keyboard.press('ArrowRight');
    await expect.poll(selectedCell).toMatchObject({ index: promptCells + 2, kind: 'group' });
    const target = await selectedCell();
    expect(await stepCount()).toEqual(before);
    // The canvas drew a cell where the selection sits, and a click there hits that cell.
    const box = (await page.locator('[data-kv-selected]').boundingBox())!;
    expect(await canvasAlpha(strip, box.x + box.width / 2, box.y + box.height / 2)).toBeGreaterThan(0);
    await page.keyboard.press('Home');
    await expect.poll(selectedCell).toMatchObject({ index: 0 });
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(selectedCell).toEqual(target);
    const details = await page.innerText('[data-testid="kv-details"]');
    expect(details).toContain(`Entry ${target.index}`);
    expect(details).toMatch(/position id \d+/);
    const highlighted = await page.locator('.group.highlighted .token').allInnerTexts();
    const chips = await page.locator('[data-testid="kv-detail-tokens"] .token-chip').allInnerTexts();
    expect(highlighted.length).toBe(target.tokens);
    expect(chips.map((chip) => chip.replace(/\s*p=[\d.]+$/, ''))).toEqual(highlighted);
  });

  it('light theme', async () => {
    await page.click('button:has-text("Light")');
    await shot('playground-light');
    await page.click('button:has-text("Dark")');
  });

  it('a long run keeps its newest group on screen, with only the rows in view in the DOM', async () => {
    await page.getByLabel('Wrap in the chat template').setChecked(false);
    await page.fill('[data-testid="prompt"]', 'The');
    // A token is a character or more, so 1,000 of them fill many more rows than the view
    // holds whatever the model writes (a model that writes one-character tokens gives ~18).
    await setNumber('setting-maxNewTokens', '1000');
    await setNumber('setting-minNewTokens', '1000');
    try {
      await generateAndWait();
      const { total } = await stepCount();
      const stream = page.locator('[data-testid="stream-playground"]');
      const inView = async (step: number) => {
        const view = (await stream.boundingBox())!;
        const box = await page.locator(`[data-testid="stream-playground"] [data-group="${step}"]`).boundingBox();
        return box !== null && box.y >= view.y - 1 && box.y + box.height <= view.y + view.height + 1;
      };
      await expect.poll(() => inView(total - 1)).toBe(true);
      // Virtualised: the first rows are out of the DOM while the end is in view.
      expect(await stream.locator('[data-group="0"]').count()).toBe(0);
      // Scrolled to the top by the user, the stream shows the first group and drops the last.
      await stream.evaluate((element) => {
        element.scrollTop = 0;
      });
      await expect.poll(() => inView(0)).toBe(true);
      await expect.poll(() => stream.locator(`[data-group="${total - 1}"]`).count()).toBe(0);
    } finally {
      await setNumber('setting-minNewTokens', '0');
      await setNumber('setting-maxNewTokens', String(MAX_NEW_TOKENS));
      await page.getByLabel('Wrap in the chat template').setChecked(true);
    }
  });
});

describe('trust audit', () => {
  // Free text at confidence 0 (every group as long as max_steps allows): HAMburger's drafts
  // and the baseline disagree somewhere, whatever the model (the CLI's `generate --audit`
  // shows where on the shipped one).
  const AUDIT_PROMPT = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';

  it('an audited run marks what the baseline rejects in the stream and the strip, with the agreement chart', async () => {
    await page.fill('[data-testid="prompt"]', AUDIT_PROMPT);
    await setNumber('setting-confidence', '0');
    await page.check('[data-testid="setting-audit"]');
    await generateAndWait();
    const strip = page.locator('[data-testid="kv-strip-playground"]');
    const stream = page.locator('[data-testid="stream-playground"]');
    const flagged = Number(await strip.getAttribute('data-flagged-entries'));
    expect(flagged).toBeGreaterThan(0);
    // One flagged entry (pending included) per group holding a rejected or dropped token.
    expect(await stream.locator('.group:has(.check-rejected, .check-discarded)').count()).toBe(flagged);
    expect(await stream.locator('.check-rejected').count()).toBeGreaterThan(0);
    await stream.locator('.check-rejected >> nth=0').hover();
    const card = page.locator('[data-testid="card-verdict"]');
    await expect.poll(() => card.getAttribute('data-check')).toBe('rejected');
    expect(await card.innerText()).toMatch(/rejected[\s\S]*baseline's choice/);
    expect(await page.innerText('[data-testid="agreement-rate"]')).toMatch(/^overall \d+% · [\d.]+ kept\/step$/);
    await shot('audit');
    await page.mouse.move(0, 0);
    await page.uncheck('[data-testid="setting-audit"]');
  });

  it('a verify run shows the rejected drafts struck through before the baseline token', async () => {
    await startAndWait('[data-testid="generate-verify"]');
    const stream = page.locator('[data-testid="stream-playground"]');
    const corrections = await stream.locator('.rejected-drafts').count();
    expect(corrections).toBeGreaterThan(0);
    // Each struck-through run of drafts is followed by the baseline's own token.
    expect(await stream.locator('.rejected-drafts + .check-verifier').count()).toBe(corrections);
    const pending = Number(await page.getAttribute('[data-testid="kv-strip-playground"]', 'data-pending-entries'));
    expect([1, 2]).toContain(pending);
    await setNumber('setting-confidence', '0.9');
    await page.fill('[data-testid="prompt"]', PROMPT);
  });
});

describe('race', () => {
  it('runs HAMburger, verified drafts and the baseline at once; verify writes the baseline text', async () => {
    await page.click('[data-testid="view-race"]');
    await page.click('[data-testid="generate"]');
    for (const lane of ['race-0', 'race-1', 'race-2']) {
      await page.waitForSelector(`[data-testid="status-${lane}"][data-phase="finished"]`, { timeout: 90_000 });
      const forwards = await page.innerText(`[data-testid="tally-${lane}"] [data-tally="forwards"]`);
      expect(Number(forwards)).toBeGreaterThan(0);
    }
    const tally = (lane: string, name: string) => page.innerText(`[data-testid="tally-${lane}"] [data-tally="${name}"]`);
    const baselineTokens = Number(await tally('race-1', 'tokens'));
    expect(Number(await tally('race-1', 'forwards'))).toBe(baselineTokens);
    // Lossless: the verify lane's text is the baseline's, token for token, in fewer baseline forwards.
    const laneText = (lane: string) => page.locator(`[data-testid="stream-${lane}"] .token`).allInnerTexts();
    expect(await laneText('race-2')).toEqual(await laneText('race-1'));
    expect(Number(await tally('race-2', 'tokens'))).toBe(baselineTokens);
    expect(Number(await tally('race-2', 'baseline fwd/token'))).toBeLessThanOrEqual(1);
    expect(await tally('race-2', 'drafts kept')).toMatch(/^\d+%$/);
    await shot('race');
  });

  it('a timing simulation asked for in the address: every lane forced to the schedule, a banner over the race', async () => {
    const simulated = await browser.context.newPage();
    try {
      await simulated.goto(`${app.url}?forced-groups=2,1&weights=random`);
      await simulated.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
      await simulated.click('[data-testid="view-race"]');
      await simulated.fill('[data-testid="prompt"]', PROMPT);
      await simulated.fill('[data-testid="setting-maxNewTokens"]', '12');
      await simulated.fill('[data-testid="setting-minNewTokens"]', '12');
      await simulated.click('[data-testid="generate"]');
      for (const lane of ['race-0', 'race-1', 'race-2']) {
        await simulated.waitForSelector(`[data-testid="status-${lane}"][data-phase="finished"]`, { timeout: 90_000 });
      }
      // 12 tokens in groups of 2, 1, 2, 1, ...: 8 forwards.
      await simulated.waitForSelector('[data-testid="tally-race-0"] [data-tally="forwards"]:text-is("8")');
      expect(await simulated.innerText('[data-testid="simulation-banner"]')).toMatch(/^Timing simulation with random weights: .*\(2, 1, repeated\)/);
    } finally {
      await simulated.close();
    }
  });
});

describe('step-through debugger', () => {
  it('starts paused and steps three macro steps, then resumes', async () => {
    await page.click('[data-testid="view-debugger"]');
    await page.click('[data-testid="generate"]');
    await page.waitForSelector('[data-testid="status-playground"][data-phase="paused"]');
    expect((await stepCount()).total).toBe(0);
    for (let i = 1; i <= 3; i++) {
      await page.click('[data-testid="step-macro"]:not([disabled])');
      await page.waitForFunction((n) => document.querySelector('[data-testid="step-count"]')?.textContent?.includes(`/ ${n}`), i);
    }
    expect(await stepCount()).toEqual({ shown: 3, total: 3 });
    expect(await page.locator('[data-testid="debug-micro"]').count()).toBeGreaterThan(0);
    expect(await page.innerText('[data-testid="debug-group"]')).toMatch(/one KV entry/);
    // One micro step: either a group is being composed, or (one-token step) the step closed.
    await page.click('[data-testid="step-micro"]:not([disabled])');
    await page.waitForFunction(() => document.querySelector('.group.composing') !== null || document.querySelector('[data-testid="step-count"]')?.textContent?.includes('/ 4'));
    // Mid-step too, the features the micro decoder started from: one row per feature layer.
    const layers = (await page.locator('[data-testid="debug-features"] tr td:first-child').allInnerTexts()).map((t) => Number(t.replace('layer ', '')));
    expect(layers).toEqual(FEATURE_LAYERS);
    await shot('step-through');
    await page.click('[data-testid="resume"]');
    await page.waitForSelector('[data-testid="status-playground"][data-phase="finished"]', { timeout: 30_000 });
  });
});

describe('traces', () => {
  it('saves a run and opens it again as a replay without the model', async () => {
    await page.click('[data-testid="view-playground"]');
    const { total } = await stepCount();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="save-trace"]')]);
    const file = path.join(tmpdir(), `e2e-${Date.now()}-${download.suggestedFilename()}`);
    await download.saveAs(file);
    await page.setInputFiles('[data-testid="trace-file"]', file);
    await page.waitForSelector('[data-testid="status-playground"]:has-text("replay")');
    await page.waitForFunction((n) => document.querySelector('[data-testid="step-count"]')?.textContent?.includes(`step ${n} / ${n}`), total, { timeout: 20_000 });
    // Scrub back: the strip shrinks with the cursor.
    await page.fill('[data-testid="scrubber"]', '2');
    await page.waitForFunction(() => document.querySelector('[data-testid="step-count"]')?.textContent?.startsWith('step 2 /'));
    // The strip follows the cursor on the next animation frame.
    await expect.poll(() => page.getAttribute('[data-testid="kv-strip-playground"]', 'data-group-entries'), { timeout: 5_000 }).toBe('1');
  });

  it('a corrupt trace file gets a clear message and changes nothing', async () => {
    const before = await stepCount();
    const bad = path.join(tmpdir(), `e2e-corrupt-${Date.now()}.json`);
    writeFileSync(bad, '{"format": "hamburger-trace", "version": 1, "steps": [');
    await page.setInputFiles('[data-testid="trace-file"]', bad);
    await page.waitForSelector('[data-testid="notice-error"]:has-text("not valid JSON")');
    const wrong = path.join(tmpdir(), `e2e-wrong-${Date.now()}.json`);
    writeFileSync(wrong, JSON.stringify({ format: 'hamburger-trace', version: 1, steps: 'none' }));
    await page.setInputFiles('[data-testid="trace-file"]', wrong);
    await page.waitForSelector('[data-testid="notice-error"]:has-text("not a hamburger-trace v2 file")');
    expect(await stepCount()).toEqual(before);
  });
});

describe('presentation mode', () => {
  it('goes full screen with large type and is driven by the keyboard', async () => {
    await page.click('[data-testid="present"]');
    await page.waitForSelector('[data-testid="presentation-hint"]');
    expect(await page.getAttribute('html', 'data-presentation')).toBe('on');
    const start = (await stepCount()).shown;
    const shownIs = (n: number) => page.waitForFunction((k) => document.querySelector('[data-testid="step-count"]')?.textContent?.startsWith(`step ${k} /`), n);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press(' ');
    await shownIs(start + 2);
    await page.keyboard.press('ArrowLeft');
    await shownIs(start + 1);
    // Clear the notices of earlier tests for a clean picture (info notices may vanish on their own meanwhile).
    for (const dismiss of await page.locator('.notice button[aria-label="Dismiss"]').all()) await dismiss.click({ timeout: 1000 }).catch(() => undefined);
    await shot('presentation');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.documentElement.dataset.presentation === 'off');
  });
});

describe('bad input', () => {
  it('an empty prompt is refused with a message at the prompt', async () => {
    await page.fill('[data-testid="prompt"]', '   ');
    await page.click('[data-testid="generate"]');
    await page.waitForSelector('[data-testid="prompt-error"]:has-text("prompt is empty")');
  });

  it('a pasted prompt over the limit is named at the prompt and never sent; the app keeps working', async () => {
    await page.fill('[data-testid="prompt"]', 'x'.repeat(MAX_PROMPT_CHARS + 1));
    expect(await page.innerText('[data-testid="prompt-length"]')).toBe(`${(MAX_PROMPT_CHARS + 1).toLocaleString('en')} characters: the limit is ${MAX_PROMPT_CHARS.toLocaleString('en')}.`);
    await page.click('[data-testid="generate"]');
    await page.waitForSelector(`[data-testid="prompt-error"]:has-text("the limit is ${MAX_PROMPT_CHARS.toLocaleString('en')}")`);
    await page.fill('[data-testid="prompt"]', PROMPT);
    expect(await page.locator('[data-testid="prompt-length"]').count()).toBe(0);
    await generateAndWait();
    expect(await page.locator('[data-testid="connection"]:has-text("engine ready")').count()).toBe(1);
  });

  it('absurd settings are refused naming the field and the limit', async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await setNumber('setting-maxNewTokens', '99999999');
    await page.click('[data-testid="generate"]');
    await page.waitForSelector('[data-testid="field-error"]:has-text("maxNewTokens")');
    await setNumber('setting-maxNewTokens', String(MAX_NEW_TOKENS));
    await setNumber('setting-confidence', '7');
    await page.click('[data-testid="generate"]');
    await page.waitForSelector('[data-testid="field-error"]:has-text("confidence")');
    await shot('bad-settings');
    await setNumber('setting-confidence', '0.9');
  });

  it('loads a model with a context asked for, and the bar under the strip shows the run in it', async () => {
    await page.fill('[data-testid="model-context-input"]', '4096');
    await page.click('[data-testid="load-shipped"]');
    await page.waitForSelector('[data-testid="model-error"]:has-text("context")');
    await page.fill('[data-testid="model-context-input"]', '200');
    await page.click('[data-testid="load-shipped"]');
    await page.waitForSelector('[data-testid="model-context"]:has-text("context 200 of 1,024 positions")');
    await page.fill('[data-testid="prompt"]', PROMPT);
    await generateAndWait();
    const bar = page.locator('[data-testid="context-bar"]');
    const encoded = (await app.session.call({ method: 'encode', prompt: PROMPT, chatTemplate: true }, 'e2e-test')) as EncodedPromptInfo;
    const tokens = Number(/(\d+) tokens in/.exec(await page.innerText('[data-testid="kv-summary"]'))![1]);
    expect(Number(await bar.getAttribute('data-context-limit'))).toBe(200);
    expect(Number(await bar.getAttribute('data-context-used'))).toBe(encoded.tokenIds.length + tokens);
    expect(await bar.innerText()).toMatch(/KV [\d.]+ MB in use \/ [\d.]+ MB reserved · weights [\d.]+ MB/);
    await page.fill('[data-testid="model-context-input"]', '');
    await page.click('[data-testid="load-shipped"]');
    await page.waitForSelector('[data-testid="model-context"]:has-text("context 1,024 of 1,024 positions")');
  });

  it('a folder that is not a model is refused and the current model stays', async () => {
    await page.fill('[data-testid="model-folder"]', tmpdir());
    await page.click('[data-testid="load-folder"]');
    await page.waitForSelector('[data-testid="model-error"]');
    expect(await page.innerText('[data-testid="model-error"]')).toMatch(/hamburger\.json/);
    expect(await page.innerText('[data-testid="model-name"]')).toContain('hamburger-tiny');
  });

  it('a dropped WebSocket shows a message, reconnects, and the app keeps working', async () => {
    await app.restart(600);
    await page.waitForSelector('[data-testid="connection-lost"]');
    await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")', { timeout: 15_000 });
    expect(await page.locator('[data-testid="stream-playground"] .token').count()).toBeGreaterThan(0);
    await generateAndWait();
    expect(pageErrors).toEqual([]);
  });
});
