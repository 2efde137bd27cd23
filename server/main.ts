// `npm run serve`: the browser mode. Loads the model, serves the app on 127.0.0.1 and
// prints the address. Options: --port N (default 5170), --host ADDR, --model DIR,
// --allow-remote (accept other machines; off by default), and with it --allow-host NAME
// (a name other machines use for this one; IP addresses always work) and --model-root DIR
// (where remote clients may load models from; default the folders of --model and the
// shipped model).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR } from '../engine/defaultModel.js';
import { engineWorkerUrl } from '../host/engineWorkerUrl.js';
import { HostSession } from '../host/hostSession.js';
import { startBrowserServer } from './browserServer.js';

export const DEFAULT_PORT = 5170;
const RENDERER_ROOT = fileURLToPath(new URL('../dist/renderer', import.meta.url));

function fail(message: string): never {
  console.error(`serve: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HAMBURGER_PORT ?? String(DEFAULT_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
    model: { type: 'string' },
    'allow-remote': { type: 'boolean', default: false },
    'allow-host': { type: 'string', multiple: true, default: [] },
    'model-root': { type: 'string', multiple: true, default: [] },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer in [0, 65535], got ${values.port}`);
if (!existsSync(`${RENDERER_ROOT}/index.html`)) fail(`the renderer is not built (${RENDERER_ROOT}); run \`npm run build:renderer\``);
const allowRemote = values['allow-remote'];
if (!allowRemote && !['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
  fail(`--host ${values.host} would expose the app to other machines; add --allow-remote to mean it`);
}
if (!allowRemote && (values['allow-host'].length > 0 || values['model-root'].length > 0)) {
  fail('--allow-host and --model-root apply only with --allow-remote');
}

const modelDirectory = values.model ?? DEFAULT_MODEL_DIR;
// Remote clients load models only from these folders; on this machine alone the user may load any.
const modelRoots = values['model-root'].length > 0 ? values['model-root'] : [path.dirname(path.resolve(modelDirectory)), path.dirname(DEFAULT_MODEL_DIR)];
const session = new HostSession({ defaultModelDirectory: modelDirectory, workerUrl: engineWorkerUrl(), ...(allowRemote ? { modelRoots } : {}) });
const server = await startBrowserServer({
  session,
  rendererRoot: RENDERER_ROOT,
  host: values.host,
  port,
  allowRemote,
  allowedHosts: values['allow-host'],
});
console.log(`HAMburger visualizer (browser mode) at ${server.url}`);
session.loadModel(values.model ?? null).then(
  (info) => console.log(`model ${info.name} loaded in ${Math.round(info.loadMs)} ms`),
  (error: unknown) => console.error(`model not loaded: ${error instanceof Error ? error.message : String(error)} (pick another in the app)`),
);

const shutdown = async (): Promise<void> => {
  await server.close();
  await session.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
