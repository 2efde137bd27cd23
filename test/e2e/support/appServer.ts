// The browser mode in-process for tests: the shipped model behind a HostSession, served on
// a free 127.0.0.1 port. `restart` drops every WebSocket and comes back on the same port.
import { DEFAULT_MODEL_DIR } from '../../../engine/defaultModel.js';
import { HostSession } from '../../../host/hostSession.js';
import { startBrowserServer, type RunningServer } from '../../../server/browserServer.js';
import { ensureRendererBuilt, RENDERER_ROOT } from './rendererBuild.js';

export interface TestApp {
  url: string;
  session: HostSession;
  /** Closes the HTTP/WebSocket server (dropping connections) and starts it again on the same port. */
  restart(downMs: number): Promise<void>;
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
      await server.close();
      await session.close();
    },
  };
}
