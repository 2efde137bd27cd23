// The fuse script on synthetic "binaries": files holding Electron's fuse sentinel and wire (the
// format @electron/fuses reads: sentinel, version byte, length byte, one '0'/'1' byte per fuse)
// laid out as packaged apps are. Written with the script, read back with the library's reader.
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FUSES } from '../../electron/fuses.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron 40's wire as shipped: RunAsNode, NODE_OPTIONS, --inspect, file:// privileges and Wasm trap handlers on. */
const ELECTRON_DEFAULT_WIRE = '101100011';
const folder = mkdtempSync(path.join(tmpdir(), 'fuses-'));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A binary of random bytes with one fuse wire in the middle, plus (unless told not to) its app.asar. */
function packagedApp(name: string, layout: 'linux' | 'mac', wire = ELECTRON_DEFAULT_WIRE, withAsar = true): { target: string; fuseFile: string } {
  const dir = path.join(folder, name);
  const app = path.join(dir, 'HAMburger.app');
  const [target, fuseFile, resources] =
    layout === 'linux'
      ? [path.join(dir, 'hamburger'), path.join(dir, 'hamburger'), path.join(dir, 'resources')]
      : [app, path.join(app, 'Contents', 'Frameworks', 'Electron Framework.framework', 'Electron Framework'), path.join(app, 'Contents', 'Resources')];
  mkdirSync(path.dirname(fuseFile), { recursive: true });
  mkdirSync(resources, { recursive: true });
  const header = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire)]);
  writeFileSync(fuseFile, Buffer.concat([randomBytes(200_000), header, randomBytes(100_000)]));
  if (withAsar) writeFileSync(path.join(resources, 'app.asar'), 'asar');
  return { target, fuseFile };
}

function applyFuses(target: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'electron/applyFuses.ts', target], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: `${stdout}${stderr}` }),
    );
  });
}

const wanted = (option: FuseV1Options) => (FUSES[option] ? FuseState.ENABLE : FuseState.DISABLE);
const options = Object.values(FuseV1Options).filter((value) => typeof value === 'number');

describe('electron fuses', () => {
  it('states every fuse the library knows, security-relevant ones off', () => {
    expect(options.map((option) => typeof FUSES[option])).toEqual(options.map(() => 'boolean'));
    expect(FUSES).toMatchObject({
      strictlyRequireAllFuses: true,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.EnableCookieEncryption]: true,
    });
  });

  it('writes them into a packaged Linux/Windows binary, changing nothing else', async () => {
    const { target, fuseFile } = packagedApp('linux', 'linux');
    const before = readFileSync(fuseFile);
    const run = await applyFuses(target);
    expect(run.code, run.output).toBe(0);
    const read = await getCurrentFuseWire(target);
    for (const option of options) expect(read[option], FuseV1Options[option]).toBe(wanted(option));
    const after = readFileSync(fuseFile);
    const wireAt = before.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(after.length).toBe(before.length);
    expect(after.subarray(0, wireAt).equals(before.subarray(0, wireAt))).toBe(true);
    expect(after.subarray(wireAt + ELECTRON_DEFAULT_WIRE.length).equals(before.subarray(wireAt + ELECTRON_DEFAULT_WIRE.length))).toBe(true);
  });

  it('writes them into a macOS bundle\'s framework', async () => {
    const { target } = packagedApp('mac', 'mac');
    const run = await applyFuses(target);
    expect(run.code, run.output).toBe(0);
    const read = await getCurrentFuseWire(target);
    for (const option of options) expect(read[option], FuseV1Options[option]).toBe(wanted(option));
  });

  it('refuses a build whose app is not an asar (it could not start with OnlyLoadAppFromAsar)', async () => {
    const { target, fuseFile } = packagedApp('no-asar', 'linux', ELECTRON_DEFAULT_WIRE, false);
    const before = readFileSync(fuseFile);
    const run = await applyFuses(target);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/no app archive at .*resources[\\/]app\.asar/);
    expect(readFileSync(fuseFile).equals(before)).toBe(true);
  });

  it('refuses a binary with a fuse it does not state, and leaves it untouched', async () => {
    const { target, fuseFile } = packagedApp('newer-electron', 'linux', `${ELECTRON_DEFAULT_WIRE}1`);
    const before = readFileSync(fuseFile);
    const run = await applyFuses(target);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/strictlyRequireAllFuses/);
    expect(readFileSync(fuseFile).equals(before)).toBe(true);
  });

  it('refuses an older Electron whose wire lacks a fuse it states, and leaves it untouched', async () => {
    const { target, fuseFile } = packagedApp('older-electron', 'linux', ELECTRON_DEFAULT_WIRE.slice(0, 8));
    const before = readFileSync(fuseFile);
    const run = await applyFuses(target);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/WasmTrapHandlers.*not long enough/);
    expect(readFileSync(fuseFile).equals(before)).toBe(true);
  });
});
