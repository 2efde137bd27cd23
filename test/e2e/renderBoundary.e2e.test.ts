/// <reference lib="dom" />
// What the app does with runs it cannot draw, in Debian's Chromium against the browser mode
// (the shipped build, no test hooks in the page): a trace file whose parts disagree, or one
// over the size limit, is refused with a message; and a run that reaches a view below those
// checks (live events are checked for shape only, so a broken or hostile host can send one)
// fails in that view's place, says what failed and why, and leaves the rest of the app working.
// The broken runs are real runs of the shipped model, changed in one place and sent through
// the server's own WebSocket by the test's host.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, Trace } from '../../engine/api.js';
import type { LaneEvent } from '../../host/protocol.js';
import { startTestApp, type TestApp } from './support/appServer.js';
import { launchChromium, type TestBrowser } from './support/chromium.js';

const PROSE = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';

let app: TestApp;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];
/** Every lane event the host sent, and the listeners of the page's sockets (to send one more run). */
const sent: LaneEvent[] = [];
const socketListeners = new Set<(event: LaneEvent) => void>();
/** The events of a plain run made in the page, to send again broken. */
let proseRun: EngineEvent[] = [];

beforeAll(async () => {
  app = await startTestApp();
  app.session.onEvent((event) => sent.push(event));
  // The page's socket subscribes when it connects; the test keeps its listener to send through it.
  const subscribe = app.session.onEvent.bind(app.session);
  app.session.onEvent = (listener) => {
    socketListeners.add(listener);
    const unsubscribe = subscribe(listener);
    return () => {
      socketListeners.delete(listener);
      unsubscribe();
    };
  };
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
});

/** Starts a playground run with a button and waits for it to finish; returns the events the host sent for it. */
async function runInThePage(button: string): Promise<EngineEvent[]> {
  const status = page.locator('[data-testid="status-playground"]');
  const previous = (await status.count()) === 0 ? '' : ((await status.getAttribute('data-run')) ?? '');
  await page.click(button);
  await page.waitForSelector(`[data-testid="status-playground"][data-run]:not([data-run="${previous}"])[data-phase="finished"]`, { timeout: 30_000 });
  const runId = await status.getAttribute('data-run');
  return sent.filter(({ lane, event }) => lane === 'playground' && event.runId === runId).map(({ event }) => event);
}

/** The events of a run sent again as another run, with `change` applied to its macro steps. */
function sendBroken(events: readonly EngineEvent[], runId: string, change: (step: Extract<EngineEvent, { type: 'macro' }>['step']) => void): void {
  const broken = events.map((event) => {
    const copy = structuredClone({ ...event, runId });
    if (copy.type === 'macro') change(copy.step);
    return copy;
  });
  for (const listener of socketListeners) for (const event of broken) listener({ lane: 'playground', event });
}

const visible = (selector: string) => page.locator(selector).isVisible();

describe('trace files the app refuses', () => {
  it('a saved trace changed to hold a group entry in step 0 is refused, naming the field, and nothing changes', async () => {
    await page.fill('[data-testid="prompt"]', PROSE);
    await page.fill('[data-testid="setting-maxNewTokens"]', '24');
    proseRun = await runInThePage('[data-testid="generate"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="save-trace"]')]);
    const trace = JSON.parse(await readFile((await download.path())!, 'utf8')) as Trace;
    trace.steps[0]!.appended[1]!.kind = 'group';
    const file = path.join(tmpdir(), `e2e-inconsistent-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(trace));
    const runBefore = await page.getAttribute('[data-testid="status-playground"]', 'data-run');
    await page.setInputFiles('[data-testid="trace-file"]', file);
    const notice = page.locator('[data-testid="notice-error"]', { hasText: 'steps.0.appended.1.kind' });
    await notice.waitFor();
    expect(await notice.innerText()).toContain('step 0 appends only the prompt\'s entries; kind: expected "prompt", got "group"');
    expect(await page.getAttribute('[data-testid="status-playground"]', 'data-run')).toBe(runBefore);
  });

  it('a file over the size limit is refused before it is read', async () => {
    const file = path.join(tmpdir(), `e2e-too-large-${Date.now()}.json`);
    writeFileSync(file, Buffer.alloc(65 * 1024 * 1024, 0x20));
    await page.setInputFiles('[data-testid="trace-file"]', file);
    await page.waitForSelector('[data-testid="notice-error"]:has-text("trace file too large: 65.0 MiB (the limit is 64.0 MiB)")');
  });
});

describe('a run a view cannot draw', () => {
  it('fails in that view only, saying what failed and why; the other views show the run', async () => {
    // The KV strip draws each group entry from the micro steps of the step before it: one
    // that holds more tokens than that step emitted cannot be drawn.
    sendBroken(proseRun, 'run-broken-strip', (step) => {
      if (step.index === 1) step.appended[0]!.tokenIds.push(...step.appended[0]!.tokenIds, 1);
    });
    const error = page.locator('[data-testid="render-error"][data-what="the KV cache strip"]');
    await error.waitFor();
    expect(await error.innerText()).toContain('Could not draw the KV cache strip.');
    expect(await page.innerText('[data-testid="render-error-message"]')).toMatch(/^Error: KV entry \d+ of step 1 holds \d+ tokens from the 0th on, but step 0 emitted \d+/);
    expect(await page.getAttribute('[data-testid="status-playground"]', 'data-run')).toBe('run-broken-strip');
    expect(await page.locator('[data-testid="stream-playground"] .token').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-chart="tokens-per-step"]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('the toolbar and the prompt still work: another view, then a new run that draws', async () => {
    await page.click('[data-testid="view-race"]');
    await page.waitForSelector('[data-testid="lane-race-0"]');
    await page.click('[data-testid="view-playground"]');
    await page.waitForSelector('[data-testid="render-error"][data-what="the KV cache strip"]');
    await page.fill('[data-testid="setting-maxNewTokens"]', '12');
    await runInThePage('[data-testid="generate"]');
    expect(await visible('[data-testid="render-error"]')).toBe(false);
    expect(Number(await page.getAttribute('[data-testid="kv-strip-playground"]', 'data-prompt-entries'))).toBeGreaterThan(0);
  });

  it('a kept draft without its verdict fails the playground when its token is hovered; "Clear this run" clears it', async () => {
    await page.fill('[data-testid="setting-maxNewTokens"]', '24');
    const verify = await runInThePage('[data-testid="generate-verify"]');
    const kept = verify.find((event) => event.type === 'macro' && event.step.verification!.acceptedPrefix > 0);
    if (kept?.type !== 'macro') throw new Error('the verify run kept no draft; pick another prompt');
    const s = kept.step.index;
    // The hover card shows a kept draft's verdict: this step claims kept drafts but has no verdicts.
    sendBroken(verify, 'run-broken-verify', (step) => {
      if (step.index === s) step.verification!.verdicts = [];
    });
    await page.waitForSelector('[data-testid="status-playground"][data-run="run-broken-verify"]');
    // The pointer over the token once (the hover card that fails takes the token away with it).
    const box = (await page.locator(`[data-testid="stream-playground"] .token[data-step="${s}"][data-micro="0"]`).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const error = page.locator('[data-testid="render-error"][data-what="the playground"]');
    await error.waitFor();
    expect(await page.innerText('[data-testid="render-error-message"]')).toMatch(/^TypeError: /);
    // The toolbar and the prompt panel are outside it.
    expect(await visible('[data-testid="prompt"]')).toBe(true);
    await page.mouse.move(0, 0);
    await page.click('[data-testid="render-error-clear"]');
    await page.waitForSelector('[data-testid="render-error"]', { state: 'detached' });
    await page.waitForSelector('.run-status:has-text("No run yet.")');
    expect(pageErrors).toEqual([]);
  });
});
