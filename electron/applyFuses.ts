// `npm run fuses -- PATH`: writes the fuses of electron/fuses.ts into a packaged Electron
// binary (Linux/Windows: the executable; macOS: the .app), then reads them back and fails
// unless every one is as stated. Run it after packaging and before code signing: the
// signature is what keeps the fuses from being flipped back.
import { flipFuses, FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { FUSES } from './fuses.js';

/** Where a packaged app keeps its code, beside the given binary or inside the given bundle. */
function appArchive(binary: string): string {
  const bundle = /^(.*?[^\\/]\.app)(?:[\\/]|$)/.exec(binary)?.[1];
  return bundle !== undefined ? path.join(bundle, 'Contents', 'Resources', 'app.asar') : path.join(path.dirname(binary), 'resources', 'app.asar');
}

function fail(message: string, code = 1): never {
  console.error(`fuses: ${message}`);
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.length !== 1) fail('usage: npm run fuses -- PATH-TO-PACKAGED-ELECTRON-BINARY-OR-APP', 2);
const binary = path.resolve(args[0]!);
if (!existsSync(binary)) fail(`${binary} does not exist`);
// With OnlyLoadAppFromAsar the binary starts nothing but resources/app.asar: fusing a build
// without one (the development binary in node_modules, an unpacked app folder) would leave it
// unable to start.
const archive = appArchive(binary);
if (!existsSync(archive) || !statSync(archive).isFile()) fail(`no app archive at ${archive}: package the app as an asar first`);

const sentinels = await flipFuses(binary, { ...FUSES, resetAdHocDarwinSignature: process.platform === 'darwin' }).catch((error: unknown) =>
  fail(error instanceof Error ? error.message : String(error)),
);
const written = await getCurrentFuseWire(binary);
const wrong: string[] = [];
for (const option of Object.values(FuseV1Options).filter((value) => typeof value === 'number')) {
  const state = written[option];
  const wanted = FUSES[option] ? FuseState.ENABLE : FuseState.DISABLE;
  console.log(`  ${FuseV1Options[option]}: ${state === FuseState.ENABLE ? 'on' : state === FuseState.DISABLE ? 'off' : `byte ${String(state)}`}`);
  if (state !== wanted) wrong.push(FuseV1Options[option]);
}
if (wrong.length > 0) fail(`not as configured after writing: ${wrong.join(', ')}`);
console.log(`fuses: written and checked in ${binary} (${sentinels} fuse wire${sentinels === 1 ? '' : 's'})`);
