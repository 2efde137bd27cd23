// Copies of the shipped package to break or edit: JSON files copied (so they can be edited),
// graphs linked. Each copy lives in its own temporary folder, removed by `removeCopies`.
import { copyFile, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MODEL_DIR } from './shippedModel.js';

const copies: string[] = [];

export async function packageCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hamburger-pkg-'));
  copies.push(dir);
  for (const name of await readdir(MODEL_DIR)) {
    if (name.endsWith('.json')) await copyFile(path.join(MODEL_DIR, name), path.join(dir, name));
    else if (name.endsWith('.onnx')) await symlink(path.join(MODEL_DIR, name), path.join(dir, name));
  }
  return dir;
}

export async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, 'hamburger.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

export async function removeCopies(): Promise<void> {
  await Promise.all(copies.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
