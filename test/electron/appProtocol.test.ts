// The app:// scheme with `electron` mocked: registered privileged before ready (and with no
// privilege it does not need), then each request mapped to a file of the renderer folder with
// the browser mode's headers, and everything else refused: traversal (plain, encoded, through a
// symlink), directories, FIFOs, unknown hosts, other methods, malformed paths.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../host/rendererFiles.js';

const protocol = vi.hoisted(() => ({
  registerSchemesAsPrivileged: vi.fn(),
  handle: vi.fn<(scheme: string, handler: (request: Request) => Promise<Response>) => void>(),
}));
vi.mock('electron', () => ({ protocol }));

const { APP_PAGE_URL, registerAppScheme, serveAppScheme } = await import('../../electron/main/appProtocol.js');

const SECRET = 'not for the page';
let folder: string;
let fetchApp: (url: string, method?: string) => Promise<Response>;

beforeAll(() => {
  // <folder>/renderer is what the scheme serves; <folder>/secret.txt is outside it.
  folder = mkdtempSync(path.join(tmpdir(), 'app-protocol-'));
  const root = path.join(folder, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(root, 'assets', 'index.js'), 'export {};');
  writeFileSync(path.join(folder, 'secret.txt'), SECRET);
  symlinkSync(path.join(folder, 'secret.txt'), path.join(root, 'assets', 'leak.js'));
  symlinkSync(path.join(root, 'index.html'), path.join(root, 'alias.html'));
  if (process.platform !== 'win32') execFileSync('mkfifo', [path.join(root, 'assets', 'pipe.js')]);
  serveAppScheme(root);
  const [scheme, handler] = protocol.handle.mock.calls[0]!;
  expect(scheme).toBe('app');
  fetchApp = (url, method = 'GET') => handler(new Request(url, { method }));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('app:// scheme', () => {
  it('is registered as standard and secure only, and the page URL is already canonical', () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    // Chromium reports the main frame's URL canonicalised; the IPC sender check compares it to this.
    expect(new URL(APP_PAGE_URL).href).toBe(APP_PAGE_URL);
    expect(APP_PAGE_URL).toBe('app://hamburger/index.html');
  });

  it('maps URLs to the renderer\'s files with the browser mode\'s security headers', async () => {
    for (const [url, type, body] of [
      [APP_PAGE_URL, 'text/html; charset=utf-8', '<!doctype html><title>app</title>'],
      ['app://hamburger/', 'text/html; charset=utf-8', '<!doctype html><title>app</title>'],
      ['app://hamburger/assets/index.js?v=1', 'text/javascript; charset=utf-8', 'export {};'],
      ['app://hamburger/alias.html', 'text/html; charset=utf-8', '<!doctype html><title>app</title>'],
    ] as const) {
      const response = await fetchApp(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toBe(body);
    }
    const head = await fetchApp(APP_PAGE_URL, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await head.text()).toBe('');
  });

  it('refuses traversal, plain, encoded and through a symlink', async () => {
    for (const url of [
      'app://hamburger/../secret.txt',
      'app://hamburger/%2e%2e/secret.txt',
      'app://hamburger/..%2fsecret.txt',
      'app://hamburger/assets/..%2f..%2fsecret.txt',
      'app://hamburger/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://hamburger/..%5c..%5csecret.txt',
      `app://hamburger/${encodeURIComponent(path.join(folder, 'secret.txt'))}`,
    ]) {
      const response = await fetchApp(url);
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain(SECRET);
    }
    const leak = await fetchApp('app://hamburger/assets/leak.js');
    expect(leak.status).toBe(403);
    expect(await leak.text()).not.toContain(SECRET);
  });

  it('serves regular files only', async () => {
    for (const url of ['app://hamburger/assets', 'app://hamburger/assets/', 'app://hamburger/missing.js']) {
      expect((await fetchApp(url)).status, url).toBe(404);
    }
    // Opening a FIFO would wait for a writer forever: it is refused before it is opened.
    if (process.platform !== 'win32') expect((await fetchApp('app://hamburger/assets/pipe.js')).status).toBe(404);
  });

  it('refuses other hosts, other methods and malformed paths, in plain text', async () => {
    const cases: [string, string, number][] = [
      ['app://elsewhere/index.html', 'GET', 404],
      ['app://HAMBURGER.example/index.html', 'GET', 404],
      [APP_PAGE_URL, 'POST', 405],
      [APP_PAGE_URL, 'PUT', 405],
      ['app://hamburger/index.html%00.js', 'GET', 400],
      ['app://hamburger/%E0%A4%A', 'GET', 400],
    ];
    for (const [url, method, status] of cases) {
      const response = await fetchApp(url, method);
      expect(response.status, `${method} ${url}`).toBe(status);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
