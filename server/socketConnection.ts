// One browser window's WebSocket: every incoming message is parsed and validated before it
// reaches the session, every failure goes back as a typed error reply, and the runs this
// window started are cancelled when it goes away (nobody would see their events).
// A frame the WebSocket protocol itself refuses (invalid UTF-8, over the size limit, a
// reserved opcode, an unmasked client frame) closes this connection alone, with the close
// code the protocol gives; it never reaches the process.
import type { WebSocket } from 'ws';
import { socketRequestSchema, type SocketMessage } from '../host/protocol.js';
import { toErrorInfo } from '../engine/errors.js';
import { createEventBatcher } from '../host/eventBatcher.js';
import type { HostSession } from '../host/hostSession.js';

let connections = 0;

export function attachSocket(socket: WebSocket, session: HostSession): void {
  const client = `socket-${++connections}`;
  const write = (message: SocketMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const batcher = createEventBatcher((events) => write({ kind: 'events', events }));
  // Replies and model changes go after the events emitted before them, as they happened.
  const send = (message: SocketMessage): void => {
    batcher.flush();
    write(message);
  };
  const reject = (id: number | null, message: string): void =>
    send({ kind: 'reply', id, ok: false, error: { code: 'invalid_request', message } });

  const unsubscribeEvents = session.onEvent(batcher.push);
  const unsubscribeModel = session.onModel((model) => send({ kind: 'model', model }));
  const unsubscribeProgress = session.onLoadProgress((progress) => send({ kind: 'loadProgress', progress }));
  send({ kind: 'model', model: session.currentModel });

  socket.on('message', (data, isBinary) => {
    if (isBinary) return reject(null, 'messages must be JSON text, not binary');
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return reject(null, 'message is not valid JSON');
    }
    const parsed = socketRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : null;
      return reject(id, `bad message: ${issue.path.join('.') || '(top level)'}: ${issue.message}; expected {id, call}`);
    }
    const { id, call } = parsed.data;
    session.call(call, client).then(
      (value) => send({ kind: 'reply', id, ok: true, value }),
      (error: unknown) => send({ kind: 'reply', id, ok: false, error: toErrorInfo(error) }),
    );
  });

  // ws has already answered the peer with a close frame naming the protocol error; the
  // connection closes next. Without a listener the error would be thrown in the process.
  socket.on('error', () => socket.terminate());

  socket.on('close', () => {
    batcher.dispose();
    unsubscribeEvents();
    unsubscribeModel();
    unsubscribeProgress();
    void session.releaseClient(client);
  });
}
