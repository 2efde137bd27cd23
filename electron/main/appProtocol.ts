// The app's page comes from app://hamburger/, a scheme of its own, not from file://: a
// file:// page may read any file on the machine, this scheme serves dist/renderer alone,
// read-only and path-checked, with the same headers as the browser mode (host/rendererFiles.ts).
import { protocol } from 'electron';
import { readRendererFile } from '../../host/rendererFiles.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'hamburger';
/** The app's page; the IPC manager trusts calls from this document alone. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Must run before the app is ready. Standard: an origin of its own and relative URLs like
 * http; secure: a secure context; fetch support for the page's module scripts. Not CORS-enabled,
 * not exempt from CSP, no service workers.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveAppScheme(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, (request) => appResponse(rendererRoot, request));
}

/** The answer to one app:// request: a file of the renderer, or a plain-text refusal. */
export async function appResponse(rendererRoot: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return refusal(404, 'not found');
  if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'method not allowed');
  const file = await readRendererFile(rendererRoot, url.pathname);
  if (file.status !== 200) return refusal(file.status, file.reason);
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), { status: 200, headers: file.headers });
}

function refusal(status: number, reason: string): Response {
  return new Response(`${reason}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });
}
