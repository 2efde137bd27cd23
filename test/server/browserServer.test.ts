// The browser mode's server over a real WebSocket: every malformed message gets a clear
// error reply, bad calls name their field, foreign origins are refused, events arrive, and
// a window's runs are its own (another window neither controls nor cancels them).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { socketMessageSchema, type SocketMessage } from '../../host/protocol.js';
import { DEFAULT_MODEL_DIR } from '../../engine/defaultModel.js';
import { HostSession } from '../../host/hostSession.js';
import { startBrowserServer, type RunningServer } from '../../server/browserServer.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let session: HostSession;
let server: RunningServer;
let ws: WebSocket;
const inbox: SocketMessage[] = [];
/** Every message received, in order (the inbox loses what `next` takes). */
const received: SocketMessage[] = [];

function socketUrl(): string {
  return `ws://127.0.0.1:${server.port}/api`;
}

function next(predicate: (m: SocketMessage) => boolean, timeoutMs = 20_000): Promise<SocketMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such message')), timeoutMs);
    const check = () => {
      const index = inbox.findIndex(predicate);
      if (index < 0) return false;
      clearTimeout(timer);
      resolve(inbox.splice(index, 1)[0]!);
      return true;
    };
    if (check()) return;
    ws.on('message', function listener() {
      if (check()) ws.off('message', listener);
    });
  });
}

const reply = (id: number | null) => next((m) => m.kind === 'reply' && m.id === id);

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'renderer-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  session = new HostSession({ defaultModelDirectory: DEFAULT_MODEL_DIR });
  server = await startBrowserServer({ session, rendererRoot: root, host: '127.0.0.1', port: 0, allowRemote: false });
  ws = new WebSocket(socketUrl(), { origin: `http://127.0.0.1:${server.port}` });
  ws.on('message', (data) => {
    const message = socketMessageSchema.parse(JSON.parse(data.toString()));
    inbox.push(message);
    received.push(message);
  });
  await new Promise((resolve) => ws.once('open', resolve));
});

afterAll(async () => {
  ws.close();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await server.close();
  await session.close();
});

describe('browser-mode server', () => {
  it('greets with the current model', async () => {
    expect(await next((m) => m.kind === 'model')).toEqual({ kind: 'model', model: null });
  });

  it('answers malformed messages with errors instead of dropping them', async () => {
    ws.send('not json');
    expect(await reply(null)).toMatchObject({ ok: false, error: { code: 'invalid_request', message: 'message is not valid JSON' } });
    ws.send(JSON.stringify({ id: 5 }));
    expect(await reply(5)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/expected \{id, call\}/) } });
    ws.send(JSON.stringify({ id: 6, call: { method: 'control', lane: 'playground', action: 'detonate' } }));
    expect(await reply(6)).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'action' } });
  });

  it('runs calls and streams lane events; engine refusals name the field', async () => {
    ws.send(JSON.stringify({ id: 7, call: { method: 'generate', lane: 'playground', request: { prompt: 'Count down from 5 to 1.', confidence: 3 } } }));
    expect(await reply(7)).toMatchObject({ ok: false, error: { code: 'invalid_confidence', field: 'confidence' } });
    ws.send(JSON.stringify({ id: 8, call: { method: 'generate', lane: 'playground', request: { prompt: 'Count down from 5 to 1.', maxNewTokens: 8 } } }));
    expect(await reply(8)).toMatchObject({ ok: true });
    const batch = await next((m) => m.kind === 'events' && m.events.some((e) => e.event.type === 'finished'));
    const events = batch.kind === 'events' ? batch.events : [];
    expect(events.find((e) => e.event.type === 'finished')).toMatchObject({ lane: 'playground', event: { result: { tokens: 8 } } });
  });

  it('sends a run\'s events in order, several to a message', async () => {
    const from = received.length;
    ws.send(JSON.stringify({ id: 11, call: { method: 'generate', lane: 'playground', request: { prompt: 'Count from 1 to 40.', maxNewTokens: 32, confidence: 0 } } }));
    expect(await reply(11)).toMatchObject({ ok: true });
    await next((m) => m.kind === 'events' && m.events.some((e) => e.event.type === 'finished'));
    const batches = received.slice(from).flatMap((m) => (m.kind === 'events' ? [m.events] : []));
    const events = batches.flat().map((e) => e.event);
    expect(events[0]!.type).toBe('started');
    const finished = events.at(-1)!;
    expect(finished.type).toBe('finished');
    expect(events.filter((e) => e.type === 'micro').length).toBe(finished.type === 'finished' ? finished.result.tokens : -1);
    expect(events.filter((e) => e.type === 'micro').length).toBe(32);
    expect(batches.length).toBeLessThan(events.length);
  });

  it('names the methods there are when a call names another (lanes need no preparing: they share the engine)', async () => {
    ws.send(JSON.stringify({ id: 9, call: { method: 'prepare', lanes: ['race-0', 'race-1'] } }));
    const answer = await reply(9);
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'method' } });
    expect(answer.kind === 'reply' && !answer.ok ? answer.error.message : '').toBe('bad call: method: method must be one of: currentModel, loadModel, cancelLoad, encode, generate, control, analyse');
  });

  it('keeps a run when another window closes; only the window that started it controls it', async () => {
    const open = async () => {
      const socket = new WebSocket(socketUrl(), { origin: `http://127.0.0.1:${server.port}` });
      const messages: SocketMessage[] = [];
      socket.on('message', (data) => messages.push(socketMessageSchema.parse(JSON.parse(data.toString()))));
      await new Promise((resolve) => socket.once('open', resolve));
      const ask = async (id: number, call: unknown) => {
        socket.send(JSON.stringify({ id, call }));
        return vi.waitFor(() => messages.find((m) => m.kind === 'reply' && m.id === id) ?? Promise.reject(new Error('no reply yet')), { timeout: 20_000 });
      };
      const events = () => messages.flatMap((m) => (m.kind === 'events' ? m.events.map((e) => e.event) : []));
      return { socket, ask, events };
    };
    const a = await open();
    const b = await open();
    // B has used the lane before: its run there is over, and A's is not B's to cancel.
    expect(await b.ask(1, { method: 'generate', lane: 'race-0', request: { prompt: 'Count from 1 to 3.', maxNewTokens: 4 } })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(b.events().some((e) => e.type === 'finished')).toBe(true), { timeout: 20_000 });
    const started = await a.ask(1, { method: 'generate', lane: 'race-0', request: { prompt: 'Count from 1 to 20.', startPaused: true, maxNewTokens: 40 } });
    expect(started).toMatchObject({ ok: true });
    const runId = started.kind === 'reply' && started.ok ? (started.value as { runId: string }).runId : '';
    expect(await b.ask(2, { method: 'control', lane: 'race-0', action: 'cancel' })).toMatchObject({ ok: false, error: { code: 'not_owner' } });
    b.socket.close();
    await new Promise((resolve) => b.socket.once('close', resolve));
    expect(await a.ask(3, { method: 'control', lane: 'race-0', action: 'stepMacro' })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(a.events().some((e) => e.type === 'macro' && e.runId === runId)).toBe(true), { timeout: 20_000 });
    expect(a.events().some((e) => e.type === 'finished' && e.runId === runId)).toBe(false);
    a.socket.close();
    await vi.waitFor(() => {
      const finished = received.flatMap((m) => (m.kind === 'events' ? m.events.map((e) => e.event) : [])).find((e) => e.type === 'finished' && e.runId === runId);
      expect(finished?.type === 'finished' && finished.result.finishReason).toBe('cancelled');
    }, { timeout: 20_000 });
  });

  it('refuses a WebSocket from a foreign origin', async () => {
    const foreign = new WebSocket(socketUrl(), { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) => {
      foreign.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      foreign.on('open', () => resolve(101));
      foreign.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });
});
