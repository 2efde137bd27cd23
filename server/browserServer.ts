// The browser mode: one HTTP server on 127.0.0.1 that serves the built renderer and carries
// the app's API (engine/api.ts host calls and lane events) over a WebSocket at /api.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { SOCKET_MAX_MESSAGE_BYTES } from '../host/protocol.js';
import type { HostSession } from '../host/hostSession.js';
import { refusal, type AccessPolicy } from './accessPolicy.js';
import { attachSocket } from './socketConnection.js';
import { send, serveStatic } from './staticFiles.js';

export const SOCKET_PATH = '/api';

export interface BrowserServerOptions {
  session: HostSession;
  rendererRoot: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  allowRemote: boolean;
  /** Host names (besides loopback names and IP literals) the Host header may carry when remote peers are allowed. */
  allowedHosts?: readonly string[];
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<RunningServer> {
  const policy: AccessPolicy = { allowRemote: options.allowRemote, allowedHosts: options.allowedHosts ?? [], port: options.port };
  const server: Server = createServer((request, response) => {
    const why = refusal(request, policy, false);
    if (why !== null) return send(response, 403, why);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed');
    void serveStatic(options.rendererRoot, request.url ?? '/', response);
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: SOCKET_MAX_MESSAGE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    // A peer that resets the connection mid-handshake must not take the process with it.
    socket.on('error', () => socket.destroy());
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
