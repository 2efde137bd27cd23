// The browser mode in-process for tests: the shipped model behind a HostSession, served on
// a free 127.0.0.1 port. `restart` drops every WebSocket and comes back on the same port.
import { DEFAULT_MODEL_DIR } from '../../../engine/defaultModel.js';
import { HostSession } from '../../../host/hostSession.js';
import { startBrowserServer, type RunningServer } from '../../../server/browserServer.js';
import { ensureRendererBuilt, RENDERER_ROOT } from './rendererBuild.js';

const WORKER_SETTLE_MS = 1500;

export interface TestApp {
  url: string;
  session: HostSession;
  /** Closes the HTTP/WebSocket server (dropping connections) and starts it again on the same port. */
  restart(downMs: number): Promise<void>;
  /** Lets the engine workers settle, then closes the server and the session. */
  close(): Promise<void>;
}

export async function startTestApp(): Promise<TestApp> {
  await ensureRendererBuilt();
  const session = new HostSession({ defaultModelDirectory: DEFAULT_MODEL_DIR });
  await session.loadModel(null);
  const open = (port: number) => startBrowserServer({ session, rendererRoot: RENDERER_ROOT, host: '127.0.0.1', port, allowRemote: false });
  let server: RunningServer = await open(0);
  const port = server.port;
  return {
    url: server.url,
    session,
    restart: async (downMs) => {
      await server.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await open(port);
    },
    close: async () => {
      // Terminating the engine workers within about a second of a run's end has aborted the
      // test process at exit (a Napi::Error from onnxruntime-node); let them settle first.
      await new Promise((resolve) => setTimeout(resolve, WORKER_SETTLE_MS));
      await server.close();
      await session.close();
    },
  };
}
