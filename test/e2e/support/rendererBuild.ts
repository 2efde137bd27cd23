// Builds the renderer for the browser tests unless dist/renderer is newer than its sources.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RENDERER_ROOT = path.join(ROOT, 'dist/renderer');
// The renderer bundles browser-safe engine modules (the API, trace checks, positions, the
// requests that continue a run): any change under engine/ counts, rather than a list of them
// that goes stale as the page imports more.
const SOURCES = [path.join(ROOT, 'renderer'), path.join(ROOT, 'engine')];

function newestMtime(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce((newest, name) => Math.max(newest, newestMtime(path.join(target, name))), stat.mtimeMs);
}

/** The older of the app's page and the one-file replay page (built after it, by the same build). */
function builtMtime(): number {
  try {
    return Math.min(...['index.html', 'replay.html'].map((name) => statSync(path.join(RENDERER_ROOT, name)).mtimeMs));
  } catch {
    return 0;
  }
}

export async function ensureRendererBuilt(): Promise<void> {
  if (builtMtime() > Math.max(...SOURCES.map(newestMtime))) return;
  const { build } = await import('vite');
  // The build users run: vitest sets NODE_ENV=test, which Vite would bake in (React's
  // development build, several times slower per frame: npm run smoothness reuses this build).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
