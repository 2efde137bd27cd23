// Writes a file so that it is either the whole new text or left as it was: the text goes to a
// temporary file in the same folder (a rename is atomic only within one file system), is
// flushed to disk, then renamed over the target. On any failure the temporary file is removed.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors.js';

/** `field`: the command-line option that named the file, for the error. */
export async function writeFileAtomic(file: string, text: string, field: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (cause) {
    // Removing it must not hide why the write failed.
    await rm(temporary, { force: true }).catch(() => undefined);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineError('invalid_request', `could not write ${file}: ${reason}`, { field, cause });
  }
}
