// A hostile client against the browser-mode server, run as its own process (`server/main.ts`)
// so that "the server stays up" is what is checked: a seeded, bounded stream of malformed
// messages interleaved with valid calls on one connection, and on connections of their own
// every kind of malformed WebSocket frame and a handshake cut short. Every message must get
// a typed reply, or its connection alone is closed; a witness connection stays open
// throughout, and a valid generation works at the end. Loopback only.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROMPT_CHARS } from '../../engine/api.js';
import { MAX_CALL_DEPTH, SOCKET_MAX_MESSAGE_BYTES, socketMessageSchema, type SocketMessage } from '../../host/protocol.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';

const SEED = 20261207;
const MESSAGES = 300;

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let server: ServerProcess;

/** A client that keeps every typed message it receives. */
class Client {
  readonly ws: WebSocket;
  readonly received: SocketMessage[] = [];
  readonly untyped: string[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin: `http://127.0.0.1:${port}` });
    this.ws.on('message', (data) => {
      const parsed = socketMessageSchema.safeParse(JSON.parse(data.toString()));
      if (parsed.success) this.received.push(parsed.data);
      else this.untyped.push(data.toString().slice(0, 200));
      this.wake();
    });
    this.ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.ws.on('error', () => undefined);
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  replies(): Extract<SocketMessage, { kind: 'reply' }>[] {
    return this.received.flatMap((m) => (m.kind === 'reply' ? [m] : []));
  }

  until(done: () => boolean, timeoutMs = 30_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the server')), timeoutMs);
      const check = () => {
        const finished = done();
        if (!finished && !this.closed) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        if (finished) resolve();
        else reject(new Error(`the server closed this connection (server exit: ${String(server.exited())}; stderr: ${server.stderr().slice(-500)})`));
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** JSON of an object nested `depth` levels (written as text: JSON.stringify would recurse that deep). */
function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** One malformed (or, one time in four, valid) message; `id` is what its reply must carry (null: unreadable). */
function fuzzMessage(random: () => number, id: number): { data: string | Buffer; replyId: number | null; valid: boolean } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const junk = (): unknown =>
    pick([null, true, -1, 1.5, 2 ** 53, '', 'x'.repeat(Math.floor(random() * 64)), [], {}, [1, 'a'], { method: 'generate' }, NaN]);
  switch (Math.floor(random() * 12)) {
    case 0:
      return { data: randomBytes(1 + Math.floor(random() * 40)).toString('latin1'), replyId: null, valid: false };
    case 1:
      return { data: JSON.stringify({ id, call: { method: 'currentModel' } }).slice(0, 1 + Math.floor(random() * 30)), replyId: null, valid: false };
    case 2:
      return { data: Buffer.from(JSON.stringify({ id, call: { method: 'currentModel' } })), replyId: null, valid: false };
    case 3:
      return { data: JSON.stringify(junk()), replyId: null, valid: false };
    case 4:
      return { data: JSON.stringify({ id, call: junk() }), replyId: id, valid: false };
    case 5:
      return {
        data: JSON.stringify({ id, call: { method: pick(['generate', 'control', 'encode', 'cancelLoad', 'loadModel']), lane: junk(), action: junk(), request: junk(), prompt: junk(), lanes: junk(), directory: junk() } }),
        replyId: id,
        valid: false,
      };
    case 6:
      return { data: `{"id":${id},"call":{"method":"generate","lane":"playground","request":${deepJson(MAX_CALL_DEPTH + Math.floor(random() * 50_000))}}}`, replyId: id, valid: false };
    case 7:
      return { data: JSON.stringify({ id, call: { method: 'encode', prompt: 'a'.repeat(MAX_PROMPT_CHARS + 1) } }), replyId: id, valid: false };
    case 8:
      return { data: JSON.stringify({ id, call: { method: 'generate', lane: 'playground', request: { prompt: junk(), confidence: junk(), maxNewTokens: junk() } } }), replyId: id, valid: false };
    case 9:
      return { data: JSON.stringify({ id, call: { method: 'control', lane: pick(['playground', 'race-0', 'race-1', 'race-2']), action: pick(['pause', 'resume', 'stepMacro', 'cancel']) } }), replyId: id, valid: false };
    case 10:
      return { data: JSON.stringify({ id, call: { method: 'encode', prompt: `Count from ${id} to ${id + 3}.`, chatTemplate: random() < 0.5 } }), replyId: id, valid: true };
    default:
      return { data: JSON.stringify({ id, call: { method: 'currentModel' } }), replyId: id, valid: true };
  }
}

/** A client frame: FIN, RSV bits, opcode, masking, and a length field that may lie. */
function frame(options: { opcode: number; payload: Buffer; fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: bigint }): Buffer {
  const { opcode, payload, fin = true, rsv = 0, mask = true } = options;
  const length = options.declaredLength ?? BigInt(payload.length);
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  let extended = Buffer.alloc(0);
  if (length < 126n) head.push((mask ? 0x80 : 0) | Number(length));
  else if (length < 65536n) {
    head.push((mask ? 0x80 : 0) | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(Number(length));
  } else {
    head.push((mask ? 0x80 : 0) | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(length);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), extended, key, masked]);
}

const BAD_FRAMES: [string, Buffer][] = [
  ['text that is not UTF-8', frame({ opcode: 0x1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]) })],
  ['a message over the size limit', frame({ opcode: 0x1, payload: Buffer.alloc(0), declaredLength: BigInt(SOCKET_MAX_MESSAGE_BYTES + 1) })],
  ['a reserved data opcode', frame({ opcode: 0x3, payload: Buffer.from('{}') })],
  ['a reserved control opcode', frame({ opcode: 0xb, payload: Buffer.alloc(0) })],
  ['an unmasked client frame', frame({ opcode: 0x1, payload: Buffer.from('{"id":1}'), mask: false })],
  ['RSV1 without an extension', frame({ opcode: 0x1, payload: Buffer.from('{}'), rsv: 0b100 })],
  ['a ping over 125 bytes', frame({ opcode: 0x9, payload: Buffer.alloc(200, 1) })],
  ['a fragmented ping', frame({ opcode: 0x9, payload: Buffer.from('hi'), fin: false })],
  ['a continuation with nothing to continue', frame({ opcode: 0x0, payload: Buffer.from('{}') })],
  ['a close frame with an invalid code', frame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) })],
  ['a close frame of one byte', frame({ opcode: 0x8, payload: Buffer.from([0x03]) })],
  ['a 64-bit length with its top bit set', frame({ opcode: 0x2, payload: Buffer.alloc(0), declaredLength: 1n << 63n })],
  ['a message over the size limit in fragments', Buffer.concat([frame({ opcode: 0x1, payload: Buffer.alloc(SOCKET_MAX_MESSAGE_BYTES / 2 + 1, 0x20), fin: false }), frame({ opcode: 0x0, payload: Buffer.alloc(SOCKET_MAX_MESSAGE_BYTES / 2 + 1, 0x20) })])],
];

/** Opens a WebSocket by hand (so that any bytes can follow), sends `bytes`, and resolves when the server closes the connection. */
function rawConnection(port: number, bytes: Buffer | null, cutHandshake = false): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept a bad connection open'));
    }, 15_000);
    let response = '';
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.on('connect', () => {
      const request = [
        'GET /api HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `Origin: http://127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n');
      if (cutHandshake) {
        socket.write(request.slice(0, 40));
        setTimeout(() => socket.resetAndDestroy(), 50);
        return;
      }
      socket.write(request);
    });
    socket.on('data', (chunk) => {
      if (bytes === null) return;
      response += chunk.toString('latin1');
      if (response.startsWith('HTTP/1.1 101') && response.includes('\r\n\r\n')) {
        const frames = bytes;
        bytes = null;
        socket.write(frames);
      }
    });
  });
}

beforeAll(async () => {
  server = await startServerProcess();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('the browser-mode server under a hostile client', () => {
  it(`answers ${MESSAGES} seeded malformed and valid messages with typed replies, in one connection`, async () => {
    const random = seeded(SEED);
    const client = new Client(server.port);
    await client.open();
    const expected: (number | null)[] = [];
    let valid = 0;
    for (let id = 1; id <= MESSAGES; id++) {
      const message = fuzzMessage(random, id);
      client.ws.send(message.data, { binary: Buffer.isBuffer(message.data) });
      expected.push(message.replyId);
      if (message.valid) valid += 1;
      // Now and then wait for the backlog, so valid calls interleave with the junk as it is answered.
      if (id % 50 === 0) await client.until(() => client.replies().length >= expected.length);
    }
    await client.until(() => client.replies().length >= expected.length);
    expect(client.closed).toBe(false);
    expect(client.untyped).toEqual([]);
    const replies = client.replies();
    expect(replies).toHaveLength(expected.length);
    const byId = new Map(replies.filter((r) => r.id !== null).map((r) => [r.id, r]));
    for (const [index, id] of expected.entries()) {
      if (id === null) continue;
      const reply = byId.get(id);
      expect(reply, `message ${index + 1}`).toBeDefined();
      if (reply!.ok === false) {
        expect(reply!.error.code).not.toBe('internal');
        expect(reply!.error.message.length).toBeGreaterThan(0);
      }
    }
    expect(replies.filter((r) => r.id === null)).toHaveLength(expected.filter((id) => id === null).length);
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(valid);
    client.ws.close();
  }, 120_000);

  it('closes the connection of each malformed frame alone; the process and another window go on', async () => {
    const witness = new Client(server.port);
    await witness.open();
    for (const [what, bytes] of BAD_FRAMES) {
      await expect(rawConnection(server.port, bytes), what).resolves.toBe('closed');
      expect(server.exited(), `server after ${what}: ${server.stderr()}`).toBeNull();
      witness.ws.send(JSON.stringify({ id: 1, call: { method: 'currentModel' } }));
      const before = witness.replies().length;
      await witness.until(() => witness.replies().length > before);
      expect(witness.closed).toBe(false);
    }
    await expect(rawConnection(server.port, null, true)).resolves.toBe('closed');
    expect(server.exited()).toBeNull();
    witness.ws.close();
  }, 120_000);

  it('still generates after all of it', async () => {
    const client = new Client(server.port);
    await client.open();
    client.ws.send(JSON.stringify({ id: 1, call: { method: 'generate', lane: 'playground', request: { prompt: 'Count from 1 to 5.', maxNewTokens: 8 } } }));
    await client.until(() => client.received.some((m) => m.kind === 'events' && m.events.some((e) => e.event.type === 'finished')));
    const finished = client.received.flatMap((m) => (m.kind === 'events' ? m.events : [])).find((e) => e.event.type === 'finished');
    expect(finished?.event.type === 'finished' && finished.event.result.tokens).toBe(8);
    expect(server.exited()).toBeNull();
    client.ws.close();
  }, 60_000);
});
