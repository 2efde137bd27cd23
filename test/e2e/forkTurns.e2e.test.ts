/// <reference lib="dom" />
// Forks and conversations end to end in Debian's Chromium against the browser mode with the
// shipped model: a run forked from a step shows beside the original, its shared prefix marked
// in its strip; a two-turn conversation whose KV counts add up (turn 1's prompt entries and
// answer entries, then the next turn's tokens), with the turn marked in the strip. With
// HAMBURGER_SCREENSHOTS=1 it writes docs/screenshots/fork.png and conversation.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedPromptInfo } from '../../engine/api.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));
const PROMPT = 'Tell me a short story about a fox.';

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  if (process.env.HAMBURGER_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Clicks a button and waits for the lane's next run (not the one before it) to finish. */
async function startAndWait(button: string, lane = 'playground'): Promise<void> {
  const status = page.locator(`[data-testid="status-${lane}"]`);
  const previous = (await status.count()) === 0 ? '' : ((await status.getAttribute('data-run')) ?? '');
  await page.click(button);
  await page.waitForSelector(`[data-testid="status-${lane}"][data-run]:not([data-run="${previous}"])[data-phase="finished"]`, { timeout: 60_000 });
}

async function stripCounts(lane: string): Promise<{ prompt: number; groups: number; pending: number; marks: number[] }> {
  const strip = page.locator(`[data-testid="kv-strip-${lane}"]`);
  const marks = (await strip.getAttribute('data-context-marks')) ?? '';
  return {
    prompt: Number(await strip.getAttribute('data-prompt-entries')),
    groups: Number(await strip.getAttribute('data-group-entries')),
    pending: Number(await strip.getAttribute('data-pending-entries')),
    marks: marks === '' ? [] : marks.split(' ').map(Number),
  };
}

/** Positions the run in the lane uses now: its context tokens and its answer's. */
async function contextUsed(): Promise<number> {
  return Number(await page.getAttribute('[data-testid="context-bar"]', 'data-context-used'));
}

async function stepCount(): Promise<{ shown: number; total: number }> {
  const [, shown, total] = /step (\d+) \/ (\d+)/.exec(await page.innerText('[data-testid="step-count"]'))!;
  return { shown: Number(shown), total: Number(total) };
}

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium({ width: 1440, height: 800 });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.setDefaultNavigationTimeout(90_000);
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="connection"]:has-text("engine ready")');
  await page.waitForSelector('[data-testid="model-name"]:has-text("hamburger-tiny")');
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  expect(pageErrors).toEqual([]);
});

describe('a fork from a step', () => {
  it('shows beside the original, its shared prefix marked, and starts with the forced token', async () => {
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.fill('[data-testid="setting-maxNewTokens"]', '40');
    await startAndWait('[data-testid="generate"]');
    const { total } = await stepCount();
    expect(total).toBeGreaterThan(4);
    // Put the cursor on step 3 (the scrubber shows steps 0..2 and step 3), fork from there.
    await page.locator('[data-testid="scrubber"]').fill('4');
    await page.waitForSelector('[data-testid="fork-controls"][data-step="3"]');
    const forced = await page.locator('[data-testid="fork-token"] option').nth(2).getAttribute('value');
    await page.selectOption('[data-testid="fork-token"]', forced!);
    const forcedText = (await page.locator(`[data-testid="fork-token"] option[value="${forced}"]`).innerText()).replace(/^force /, '').replace(/ \([^)]*\)$/, '');
    await startAndWait('[data-testid="fork-here"]', 'fork');
    const column = page.locator('[data-testid="fork-column"]');
    expect(await column.getAttribute('data-from-step')).toBe('3');
    // The original stays on screen beside it.
    expect(await page.locator('[data-testid="stream-playground"] .token').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="stream-fork"] .token').count()).toBeGreaterThan(0);
    // Its context: the prompt's entries, then the original's groups of steps 0..2, the prefix marked where it starts.
    const encoded = (await app.session.call({ method: 'encode', prompt: PROMPT, chatTemplate: true }, 'e2e-test')) as EncodedPromptInfo;
    const fork = await stripCounts('fork');
    expect(fork.prompt).toBe(encoded.tokenIds.length + 3);
    expect(fork.marks).toEqual([encoded.tokenIds.length]);
    expect(await page.locator('[data-testid="kv-strip-fork"] [data-testid="kv-mark"]').count()).toBe(1);
    expect((await page.innerText('[data-testid="fork-prefix"]')).length).toBeGreaterThan('shared prefix · '.length);
    // The first token of the fork is the one forced.
    const first = await page.locator('[data-testid="stream-fork"] .token').first().innerText();
    expect(first).toBe(forcedText);
    await shot('fork');
  });

  it('a step beyond the run is refused by name', async () => {
    // The engine names a fork's bad token too; the app offers only the step's own alternatives.
    const reply = (await app.session.call({ method: 'generate', lane: 'fork', request: { prompt: PROMPT, fork: { groups: [[5]], token: 1_000_000 } } }, 'e2e-test').catch((e: unknown) => e)) as { code?: string; field?: string };
    expect(reply).toMatchObject({ code: 'invalid_fork', field: 'fork.token' });
  });
});

describe('a conversation', () => {
  it('keeps turn 1 smashed: turn 2 KV counts add up, the turn marked in the strip', async () => {
    await page.click('[aria-label="Close the fork"]');
    await page.fill('[data-testid="prompt"]', PROMPT);
    await page.fill('[data-testid="setting-maxNewTokens"]', '24');
    await startAndWait('[data-testid="generate"]');
    const turn1 = await stripCounts('playground');
    const steps1 = (await stepCount()).total;
    const used1 = await contextUsed();
    // turn 1: its prompt's entries, the groups fed back, the last pending.
    expect(turn1.groups).toBe(steps1 - 1);
    expect(turn1.pending).toBe(1);
    await page.fill('[data-testid="next-turn-input"]', 'And what did the fox eat?');
    await startAndWait('[data-testid="send-turn"]');
    expect(await page.getAttribute('[data-testid="conversation"]', 'data-turn')).toBe('2');
    const turn2 = await stripCounts('playground');
    // The next turn's tokens: turn 2's context (positions used less its answer) after turn 1's prompt and answer.
    const answer2 = Number(/^(\d+) tokens in/.exec(await page.innerText('[data-testid="kv-summary"]'))![1]);
    const nextTurnTokens = (await contextUsed()) - answer2 - used1;
    expect(nextTurnTokens).toBeGreaterThan(0);
    // Turn 2's context entries: turn 1's prompt entries + its answer's entries (the pending one written now) + one per next-turn token.
    expect(turn2.prompt).toBe(turn1.prompt + turn1.groups + turn1.pending + nextTurnTokens);
    expect(turn2.marks).toEqual([turn1.prompt + turn1.groups + turn1.pending]);
    expect(await page.locator('[data-testid="kv-strip-playground"] [data-testid="kv-mark"]').count()).toBe(1);
    await page.click('[data-testid="conversation"] summary');
    expect(await page.locator('[data-testid="turn-text"]').count()).toBe(2);
    expect(await page.locator('[data-testid="turn-text"]').nth(1).innerText()).toContain('And what did the fox eat?');
    await shot('conversation');
  });
});
