// `npm start`: the Electron app when its binary is installed; otherwise says so plainly and
// starts the browser mode instead (same UI, same engine, served on 127.0.0.1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The Electron executable if electron's install script has fetched it, else null. */
function electronBinary() {
  try {
    const packageDir = path.dirname(require.resolve('electron/package.json'));
    const pathFile = path.join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}

const binary = electronBinary();
if (binary === null) {
  console.log('[start] The Electron binary is not installed (its download is not possible from this machine).');
  console.log('[start] Starting the browser mode instead: the same app, served on 127.0.0.1. Open the address printed below.');
  console.log('[start] To get the desktop app later: node electron/fetch-binary.mjs, then npm start.');
  run(npm, ['run', 'serve', '--', ...process.argv.slice(2)]);
} else {
  const built = spawnSync(process.execPath, [path.join(root, 'electron/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
  run(binary, [path.join(root, 'dist/electron/main.js'), ...process.argv.slice(2)]);
}
