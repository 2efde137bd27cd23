// Which folders a host may load models from, when it restricts them: a folder is inside a
// root when its real path (symlinks resolved) lies under the root's real path.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInsideFolder } from './insideFolder.js';

async function realOrResolved(folder: string): Promise<string> {
  try {
    return await realpath(folder);
  } catch {
    // A folder that does not exist is judged by its name; loading it fails on its own.
    return path.resolve(folder);
  }
}

export async function isInsideRoots(directory: string, roots: readonly string[]): Promise<boolean> {
  const target = await realOrResolved(directory);
  for (const root of roots) {
    if (isInsideFolder(await realOrResolved(root), target)) return true;
  }
  return false;
}
