// Whether a path lies inside a folder (or is the folder), by path arithmetic alone: callers
// resolve symlinks first where a link could lead out.
import path from 'node:path';

export function isInsideFolder(folder: string, target: string): boolean {
  const relative = path.relative(folder, target);
  return !path.isAbsolute(relative) && relative.split(path.sep)[0] !== '..';
}
