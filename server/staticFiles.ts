// Serves the built renderer (dist/renderer) over HTTP: read-only, path-checked, with the app's
// security headers (host/rendererFiles.ts, the part Electron's app:// scheme shares).
import type { ServerResponse } from 'node:http';
import { readRendererFile } from '../host/rendererFiles.js';

export async function serveStatic(root: string, urlPath: string, response: ServerResponse): Promise<void> {
  const file = await readRendererFile(root, urlPath.split(/[?#]/, 1)[0] ?? '/');
  if (file.status !== 200) return send(response, file.status, file.reason);
  response.writeHead(200, file.headers);
  response.end(file.body);
}

export function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(`${text}\n`);
}
