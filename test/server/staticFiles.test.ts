// The browser mode's static files over real HTTP, raw request paths included: the renderer's
// files with the security headers Electron's app:// scheme sends too, traversal refused; and
// renderer/index.html's CSP meta tag says what the header says, less the header-only part.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, PAGE_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../../host/rendererFiles.js';
import { serveStatic } from '../../server/staticFiles.js';

const INDEX_HTML = fileURLToPath(new URL('../../renderer/index.html', import.meta.url));
const SECRET = 'not for the page';
let folder: string;
let server: Server;

/** GET with the path sent exactly as written (no client-side normalisation). */
function get(rawPath: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'static-files-'));
  const root = path.join(folder, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(folder, 'secret.txt'), SECRET);
  symlinkSync(path.join(folder, 'secret.txt'), path.join(root, 'assets', 'leak.js'));
  server = createServer((req, res) => void serveStatic(root, req.url ?? '/', res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(folder, { recursive: true, force: true });
});

describe('static files of the browser mode', () => {
  it('serves the page with the shared security headers', async () => {
    const page = await get('/?reload=1');
    expect(page.status).toBe(200);
    expect(page.body).toBe('<!doctype html><title>app</title>');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(page.headers[name], name).toBe(value);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('refuses raw, encoded and symlinked traversal and directories', async () => {
    for (const [rawPath, status] of [
      ['/../secret.txt', 404],
      ['/%2e%2e/secret.txt', 404],
      ['/..%2f..%2fsecret.txt', 404],
      ['/assets/../../secret.txt', 404],
      ['/assets/leak.js', 403],
      ['/assets', 404],
      ['/%E0%A4%A', 400],
    ] as const) {
      const response = await get(rawPath);
      expect(response.status, rawPath).toBe(status);
      expect(response.body).not.toContain(SECRET);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('has the page carry the header\'s policy in its meta tag, less frame-ancestors (header only)', () => {
    const html = readFileSync(INDEX_HTML, 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(PAGE_CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toBe(`${PAGE_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
    expect(PAGE_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|ws:|wss:|\*/);
  });
});
