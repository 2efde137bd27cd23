// The browser mode: one HTTP server on 127.0.0.1 that serves the built renderer and carries
// the app's API (engine/api.ts host calls and lane events) over a WebSocket at /api.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { HostSession } from '../host/hostSession.js';
import { refusal, type AccessPolicy } from './localOnly.js';
import { attachSocket } from './socketConnection.js';
import { send, serveStatic } from './staticFiles.js';

export const SOCKET_PATH = '/api';
/** Largest message a window may send: calls are small; this bounds a hostile one. */
const MAX_MESSAGE_BYTES = 1 << 20;

export interface BrowserServerOptions {
  session: HostSession;
  rendererRoot: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  allowRemote: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<RunningServer> {
  const policy: AccessPolicy = { allowRemote: options.allowRemote, port: options.port };
  const server: Server = createServer((request, response) => {
    const why = refusal(request, policy, false);
    if (why !== null) return send(response, 403, why);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed');
    void serveStatic(options.rendererRoot, request.url ?? '/', response);
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    const why = (request.url ?? '') === SOCKET_PATH ? refusal(request, policy, true) : 'no WebSocket here';
    if (why !== null) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${why}\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attachSocket(ws, options.session));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy.port = port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
