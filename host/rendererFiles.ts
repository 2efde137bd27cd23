// The built renderer (dist/renderer) as both hosts serve it, the browser mode over HTTP and
// Electron over its app:// scheme: which file a URL path names (inside the root, after
// symlinks too, and only a regular file), its content type, and the headers that go with it.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInsideFolder } from './insideFolder.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/**
 * The page's policy, word for word the CSP meta tag of renderer/index.html (a test compares
 * them). Nothing inline, no eval, no plugins; the page loads its own bundle and talks to its
 * own origin only (the browser mode's WebSocket is same-origin; Electron uses IPC). Trusted
 * Types with no policy: no string ever reaches an HTML or script sink.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  'img-src data: blob:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The page's policy plus what a meta tag cannot say: no other page may frame the app. */
export const CONTENT_SECURITY_POLICY = `${PAGE_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/** Sent with every file, by both hosts. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // Other sites may neither embed the app's files nor keep a handle on its window.
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};

export type RendererFile =
  | { status: 200; body: Buffer; headers: Record<string, string> }
  | { status: 400 | 403 | 404; reason: string };

/** The file a URL path names under `root` ("/" is index.html), or why there is none. */
export async function readRendererFile(root: string, urlPath: string): Promise<RendererFile> {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, reason: 'bad request' };
  }
  if (relative.includes('\0')) return { status: 400, reason: 'bad request' };
  if (relative === '/' || relative === '') relative = '/index.html';
  try {
    const realRoot = await realpath(root);
    const requested = path.resolve(realRoot, `.${path.posix.normalize(`/${relative}`)}`);
    // Normalising removed every '..', but on Windows a backslash is a separator too.
    if (!isInsideFolder(realRoot, requested)) return { status: 403, reason: 'forbidden' };
    // A symlink inside the root must not lead out of it.
    const file = await realpath(requested);
    if (!isInsideFolder(realRoot, file)) return { status: 403, reason: 'forbidden' };
    // Checked before opening: opening a FIFO would wait for a writer forever.
    if (!(await stat(file)).isFile()) return { status: 404, reason: 'not found' };
    const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers = { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'no-cache' };
    return { status: 200, body: await readFile(file), headers };
  } catch {
    return { status: 404, reason: 'not found' };
  }
}
