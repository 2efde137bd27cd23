// Reading a model package's files without trusting the folder. A package folder is chosen
// by a user (or, in the browser mode, by any client the server admits), so a file name in
// it may be anything: a FIFO, whose open() waits for a writer forever; a device such as
// /dev/zero, which never ends; a symlink to something huge. Every file is opened without
// blocking, checked to be a regular file (after symlinks, on the open handle, so it cannot
// change between check and read), and read only when its size is within the caller's cap.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { EngineErrorCode } from './api.js';
import { EngineError, type EngineErrorDetails } from './errors.js';

const MIB = 1024 * 1024;

export interface PackageFileRule {
  /** The manifest field (or file name) an error names. */
  field: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** What a missing file is called: the caller's own "missing" error. */
  missing: (file: string, cause: unknown) => EngineError;
}

function sizeLimit(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(0)} MiB` : `${bytes} bytes`;
}

async function openRegular(file: string, rule: PackageFileRule): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw rule.missing(file, cause);
    const details: EngineErrorDetails = { field: rule.field, limit: 'a readable regular file', cause };
    throw new EngineError('not_a_file', `${file} cannot be opened (${code ?? String(cause)})`, details);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new EngineError('not_a_file', `${file} is not a regular file (a folder, pipe, socket or device)`, { field: rule.field, limit: 'a regular file' });
    }
    if (stats.size > rule.maxBytes) {
      throw new EngineError('file_too_large', `${file} is ${sizeLimit(stats.size)}; the limit for ${rule.field} is ${sizeLimit(rule.maxBytes)}`, {
        field: rule.field,
        limit: `<= ${sizeLimit(rule.maxBytes)}`,
      });
    }
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The file's text, once it is known to be a regular file within the rule's size. */
async function readPackageText(file: string, rule: PackageFileRule): Promise<string> {
  const { handle } = await openRegular(file, rule);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The file's JSON value, read as readPackageText reads it; text that is not JSON is a `notJson` error. */
export async function readPackageJson(file: string, rule: PackageFileRule, notJson: EngineErrorCode): Promise<unknown> {
  const text = await readPackageText(file, rule);
  try {
    return JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineError(notJson, `${file} is not valid JSON (${reason})`, { field: rule.field, cause });
  }
}

/** Checks that a file another reader will open (an ONNX graph) is a regular file within the rule's size; returns its size. */
export async function checkPackageFile(file: string, rule: PackageFileRule): Promise<number> {
  const { handle, size } = await openRegular(file, rule);
  await handle.close();
  return size;
}

export const PACKAGE_FILE_LIMITS = {
  /** A manifest is a few kB. */
  manifestBytes: MIB,
  /** Llama 3's tokenizer.json is 9 MB; the largest common ones about 35 MB. */
  tokenizerBytes: 128 * MIB,
  /** ONNX's own limit for one protobuf file; larger weights go to external data files. */
  graphBytes: 2 * 1024 * MIB,
  /** One external data file: far above any model this engine can run on a CPU. */
  externalDataBytes: 1024 * 1024 * MIB,
} as const;
