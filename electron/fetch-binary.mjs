// Runs as the project's own postinstall. npm 11 runs dependency install scripts per the
// `allowScripts` field of package.json, and there electron's is denied on purpose: on a
// machine that reaches only the npm registry its binary download can only fail, and a
// failing dependency script fails the whole `npm ci`. This script runs electron's own
// installer instead and treats failure as a note, not an error: on a normal machine the
// binary arrives exactly as with a plain `npm install`; elsewhere the engine, CLI, tests
// and the browser mode work without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
// Generous: the binary is about 100 MB, and a plain install would wait for it just as long.
const DOWNLOAD_TIMEOUT_MS = 20 * 60_000;

function electronInstallScript() {
  try {
    return require.resolve('electron/install.js');
  } catch {
    return null;
  }
}

const script = electronInstallScript();
if (script === null) {
  console.log('[electron] package not installed (production install?); nothing to fetch.');
  process.exit(0);
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('[electron] ELECTRON_SKIP_BINARY_DOWNLOAD is set; binary not fetched.');
  process.exit(0);
}

const result = spawnSync(process.execPath, [script], {
  cwd: path.dirname(script),
  stdio: ['ignore', 'inherit', 'pipe'],
  timeout: DOWNLOAD_TIMEOUT_MS,
  encoding: 'utf8',
});
const binaryPathFile = path.join(path.dirname(script), 'path.txt');
if (result.status === 0 && existsSync(binaryPathFile)) {
  console.log('[electron] binary ready.');
} else {
  const reason = (result.stderr ?? '').split('\n').find((line) => line.trim() !== '') ?? result.error?.message ?? 'unknown error';
  console.log(`[electron] binary not available (${reason.trim()}).`);
  console.log('[electron] The engine, CLI and browser mode work without it; `npm start` falls back to the browser mode.');
  console.log('[electron] To retry later: node electron/fetch-binary.mjs');
}
