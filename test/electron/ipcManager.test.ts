// The main process's IPC handlers with `electron` mocked: sender checks, calls passed to the
// engine session (which validates them with the hosts' one call parser) with the window as
// their client (cancel included), errors returned to the UI as data, a closed window's runs released.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelInfo } from '../../engine/api.js';
import type { LaneEvent } from '../../host/protocol.js';
import { EngineError } from '../../engine/errors.js';
import { parseHostCall } from '../../host/hostCall.js';

vi.mock('electron', () => import('./electronMock.js'));

const { IpcManager } = await import('../../electron/main/ipcManager.js');
const electron = await import('./electronMock.js');
const { INVOKE_CHANNELS, SEND_CHANNELS } = await import('../../electron/ipcChannels.js');
const { EVENT_FLUSH_MS } = await import('../../host/eventBatcher.js');

const PAGE = 'file:///app/dist/renderer/index.html';

class FakeSession {
  currentModel: ModelInfo | null = null;
  readonly calls: unknown[] = [];
  readonly clients: string[] = [];
  readonly released: string[] = [];
  eventListener: ((event: LaneEvent) => void) | null = null;
  failWith: EngineError | null = null;
  async call(raw: unknown, client: string): Promise<unknown> {
    const call = parseHostCall(raw);
    this.calls.push(call);
    this.clients.push(client);
    if (this.failWith !== null) throw this.failWith;
    return (call as { method: string }).method === 'generate' ? { runId: 'run-1' } : null;
  }
  onEvent(listener: (event: LaneEvent) => void): () => void {
    this.eventListener = listener;
    return () => (this.eventListener = null);
  }
  onModel(): () => void {
    return () => undefined;
  }
  onLoadProgress(): () => void {
    return () => undefined;
  }
  async releaseClient(client: string): Promise<void> {
    this.released.push(client);
  }
}

let session: FakeSession;
let window: InstanceType<typeof electron.BrowserWindow>;

function eventFrom(contents: unknown, url = PAGE, subframe = false) {
  const mainFrame = { url };
  const sender = contents === window.webContents ? Object.assign(window.webContents, { mainFrame }) : { mainFrame };
  return { sender, senderFrame: subframe ? { url } : sender.mainFrame };
}

const invoke = (channel: string, event: unknown, payload?: unknown) => electron.handlers.get(channel)!(event, payload);

beforeEach(() => {
  electron.handlers.clear();
  session = new FakeSession();
  window = new electron.BrowserWindow({ webPreferences: {} });
  const manager = new IpcManager(session, window as never, PAGE);
  manager.register();
});

describe('IpcManager', () => {
  it('registers only the allow-listed channels', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  });

  it('passes a valid call to the session and answers its value', async () => {
    const reply = await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), { method: 'generate', lane: 'playground', request: { prompt: 'hi' } });
    expect(reply).toEqual({ ok: true, value: { runId: 'run-1' } });
    expect(session.calls).toHaveLength(1);
    expect(session.clients).toEqual([`window-${window.webContents.id}`]);
  });

  it('releases the window\'s runs when it closes', () => {
    expect(session.released).toEqual([]);
    window.close();
    expect(session.released).toEqual([`window-${window.webContents.id}`]);
  });

  it('passes cancel through to the named lane', async () => {
    const reply = await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), { method: 'control', lane: 'race-1', action: 'cancel' });
    expect(reply).toEqual({ ok: true, value: null });
    expect(session.calls).toEqual([{ method: 'control', lane: 'race-1', action: 'cancel' }]);
  });

  it('refuses calls from another webContents, a subframe or a navigated page', async () => {
    const stranger = { id: 99 };
    for (const event of [eventFrom(stranger), eventFrom(window.webContents, PAGE, true), eventFrom(window.webContents, 'https://evil.example/')]) {
      const reply = (await invoke(INVOKE_CHANNELS.call, event, { method: 'currentModel' })) as { ok: boolean; error: { message: string } };
      expect(reply.ok).toBe(false);
      expect(reply.error.message).toMatch(/did not come from the app window/);
    }
    expect(session.calls).toHaveLength(0);
  });

  it('answers payloads the session refuses as data naming the field at fault', async () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /method must be one of/],
      [{ method: 'rm -rf' }, /method must be one of/],
      [{ method: 'control', lane: 'nowhere', action: 'cancel' }, /lane must be one of/],
      [{ method: 'control', lane: 'playground', action: 'explode' }, /control action must be one of/],
      [{ method: 'loadModel', directory: 42 }, /directory must be a string or null/],
      [{ method: 'currentModel', extra: true }, /extra/],
    ];
    for (const [payload, message] of cases) {
      const reply = (await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), payload)) as { ok: boolean; error: { code: string; message: string } };
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('invalid_request');
      expect(reply.error.message).toMatch(message);
    }
    expect(session.calls).toHaveLength(0);
  });

  it('surfaces engine errors to the UI with code, field and limit', async () => {
    session.failWith = new EngineError('invalid_max_new_tokens', 'maxNewTokens must be in [1, 1023], got 0', { field: 'maxNewTokens', limit: '1..1023' });
    const reply = await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), { method: 'generate', lane: 'playground', request: { prompt: 'x', maxNewTokens: 0 } });
    expect(reply).toEqual({
      ok: false,
      error: { code: 'invalid_max_new_tokens', message: 'maxNewTokens must be in [1, 1023], got 0', field: 'maxNewTokens', limit: '1..1023' },
    });
    session.failWith = null;
    session.call = async () => {
      throw new TypeError('boom');
    };
    expect(await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), { method: 'currentModel' })).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
  });

  it('forwards lane events to the window in batches, in order, and not after it is destroyed', () => {
    vi.useFakeTimers();
    try {
      const paused: LaneEvent = { lane: 'playground', event: { type: 'state', runId: 'r', state: 'paused' } };
      const running: LaneEvent = { lane: 'playground', event: { type: 'state', runId: 'r', state: 'running' } };
      session.eventListener!(paused);
      session.eventListener!(running);
      expect(window.webContents.sent).toEqual([]);
      vi.advanceTimersByTime(EVENT_FLUSH_MS);
      expect(window.webContents.sent).toEqual([[SEND_CHANNELS.events, [paused, running]]]);
      window.destroyed = true;
      session.eventListener!(paused);
      vi.advanceTimersByTime(EVENT_FLUSH_MS);
      expect(window.webContents.sent).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends the events queued before a reply ahead of it', async () => {
    const event: LaneEvent = { lane: 'playground', event: { type: 'state', runId: 'r', state: 'paused' } };
    session.eventListener!(event);
    await invoke(INVOKE_CHANNELS.call, eventFrom(window.webContents), { method: 'currentModel' });
    expect(window.webContents.sent).toEqual([[SEND_CHANNELS.events, [event]]]);
  });

  it('shows the folder dialog only for the app window and takes no payload', async () => {
    expect(await invoke(INVOKE_CHANNELS.pickModelFolder, eventFrom(window.webContents))).toBe('/chosen/model');
    expect(await invoke(INVOKE_CHANNELS.pickModelFolder, eventFrom({ id: 7 }))).toBeNull();
    expect(await invoke(INVOKE_CHANNELS.pickModelFolder, eventFrom(window.webContents), { path: '/etc' })).toBeNull();
    expect(electron.dialog.showOpenDialog).toHaveBeenCalledTimes(1);
  });
});
