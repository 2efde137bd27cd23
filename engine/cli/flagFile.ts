// A file a command-line flag names, read whole: a regular file within a size limit, or an
// `invalid_request` naming the flag, the file and why.
import { readFile, stat } from 'node:fs/promises';
import { EngineError } from '../errors.js';

export async function readFlagFile(file: string, flag: string, maxBytes: number): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > maxBytes) throw new Error(`${info.size} bytes; at most ${maxBytes} are read`);
    return await readFile(file, 'utf8');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineError('invalid_request', `--${flag} ${file} cannot be read: ${reason}`, { field: flag, cause });
  }
}
