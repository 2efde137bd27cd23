// The browser mode's HostApi: engine/api.ts host calls and lane events over a WebSocket to
// the server that served this page. Reconnects on its own; calls made while the connection
// is down, or pending when it drops, answer with a clear error instead of hanging.
import { type EngineErrorInfo, type LoadProgress, type ModelInfo } from '../../../engine/api';
import { SOCKET_MAX_MESSAGE_BYTES, socketMessageSchema, type ConnectionState, type HostApi, type HostCall, type HostMethod, type HostResult, type LaneEvent } from '../../../host/protocol';

const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000];

type Resolver = (result: HostResult<HostMethod>) => void;

function lostError(message: string): EngineErrorInfo {
  return { code: 'internal', message };
}

export function socketUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api`;
}

export function createSocketHostApi(url: string): HostApi {
  const eventListeners = new Set<(event: LaneEvent) => void>();
  const modelListeners = new Set<(model: ModelInfo | null) => void>();
  const progressListeners = new Set<(progress: LoadProgress) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const pending = new Map<number, Resolver>();
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let nextId = 1;
  let attempt = 0;

  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  const failPending = (message: string): void => {
    for (const resolve of pending.values()) resolve({ ok: false, error: lostError(message) });
    pending.clear();
  };

  const receive = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = socketMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    switch (message.kind) {
      case 'events':
        for (const event of message.events) for (const listener of eventListeners) listener(event);
        return;
      case 'model':
        for (const listener of modelListeners) listener(message.model);
        return;
      case 'loadProgress':
        for (const listener of progressListeners) listener(message.progress);
        return;
      case 'reply': {
        if (message.id === null) return;
        const resolve = pending.get(message.id);
        if (resolve === undefined) return;
        pending.delete(message.id);
        resolve(message.ok ? { ok: true, value: message.value as never } : { ok: false, error: message.error });
      }
    }
  };

  const connect = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open');
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      failPending('the connection to the engine was lost before it answered');
      setState('lost');
      const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]!;
      attempt += 1;
      setTimeout(connect, delay);
    };
  };
  connect();

  return {
    transport: 'websocket',
    call<M extends HostMethod>(call: Extract<HostCall, { method: M }>): Promise<HostResult<M>> {
      if (socket === null || socket.readyState !== WebSocket.OPEN) {
        return Promise.resolve({ ok: false, error: lostError('not connected to the engine (reconnecting); try again in a moment') });
      }
      const id = nextId++;
      const message = JSON.stringify({ id, call });
      // The server closes a connection that sends more (and fails every call pending on it).
      const bytes = new TextEncoder().encode(message).length;
      if (bytes > SOCKET_MAX_MESSAGE_BYTES) {
        const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
        return Promise.resolve({
          ok: false,
          error: { code: 'invalid_request', message: `this call is ${mib(bytes)}; a message to the engine may carry at most ${mib(SOCKET_MAX_MESSAGE_BYTES)}`, limit: `<= ${mib(SOCKET_MAX_MESSAGE_BYTES)}` },
        });
      }
      const open = socket;
      return new Promise<HostResult<M>>((resolve) => {
        pending.set(id, resolve as Resolver);
        open.send(message);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onModel(listener) {
      modelListeners.add(listener);
      return () => modelListeners.delete(listener);
    },
    onLoadProgress(listener) {
      progressListeners.add(listener);
      return () => progressListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
    onCommand: () => () => undefined,
    pickModelFolder: null,
  };
}
