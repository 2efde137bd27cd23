// Who may talk to the browser-mode server: loopback peers only by default; with
// --allow-remote any peer, but the Host header must still name this server (a loopback name,
// an IP address or an --allow-host name: a rebinding attack needs a name it controls) and a
// WebSocket's Origin must still be this server's own page.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { refusal, type AccessPolicy } from '../../server/accessPolicy.js';

const PORT = 5170;
const local: AccessPolicy = { allowRemote: false, allowedHosts: [], port: PORT };
const remote: AccessPolicy = { allowRemote: true, allowedHosts: ['studio.lan'], port: PORT };

function request(remoteAddress: string, host: string | undefined, origin?: string): IncomingMessage {
  const headers: Record<string, string> = {};
  if (host !== undefined) headers['host'] = host;
  if (origin !== undefined) headers['origin'] = origin;
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('access policy', () => {
  it('by default admits this machine only, under its loopback names', () => {
    expect(refusal(request('127.0.0.1', `127.0.0.1:${PORT}`), local, false)).toBeNull();
    expect(refusal(request('::1', `[::1]:${PORT}`, `http://[::1]:${PORT}`), local, true)).toBeNull();
    expect(refusal(request('::ffff:127.0.0.1', `localhost:${PORT}`), local, false)).toBeNull();
    expect(refusal(request('192.168.1.20', `127.0.0.1:${PORT}`), local, false)).toMatch(/only local connections/);
    expect(refusal(request('127.0.0.1', `evil.example:${PORT}`), local, false)).toMatch(/unexpected Host header "evil.example:5170" \(allowed: a loopback name/);
    expect(refusal(request('127.0.0.1', `192.168.1.5:${PORT}`), local, false)).toMatch(/unexpected Host header/);
    expect(refusal(request('127.0.0.1', '127.0.0.1:9999'), local, false)).toMatch(/with port 5170/);
    expect(refusal(request('127.0.0.1', undefined), local, false)).toMatch(/unexpected Host header ""/);
  });

  it('with --allow-remote admits other machines by IP address or an allowed name, never a rebound name', () => {
    expect(refusal(request('192.168.1.20', `192.168.1.5:${PORT}`), remote, false)).toBeNull();
    expect(refusal(request('fe80::2', `[fe80::1]:${PORT}`), remote, false)).toBeNull();
    expect(refusal(request('192.168.1.20', `Studio.LAN:${PORT}`), remote, false)).toBeNull();
    expect(refusal(request('192.168.1.20', `attacker.example:${PORT}`), remote, false)).toMatch(/allowed: a loopback name, an IP address or an --allow-host name/);
    expect(refusal(request('127.0.0.1', `rebind.attacker.example:${PORT}`), remote, false)).toMatch(/unexpected Host header/);
  });

  it('refuses a WebSocket whose Origin is not the page of the host it names, remote or not', () => {
    for (const policy of [local, remote]) {
      const host = `127.0.0.1:${PORT}`;
      expect(refusal(request('127.0.0.1', host, `http://${host}`), policy, true)).toBeNull();
      expect(refusal(request('127.0.0.1', host, 'https://evil.example'), policy, true)).toMatch(/cross-origin WebSocket refused \(Origin "https:\/\/evil.example"; allowed: http:\/\/127.0.0.1:5170\)/);
      expect(refusal(request('127.0.0.1', host), policy, true)).toMatch(/cross-origin WebSocket refused \(Origin ""/);
    }
    expect(refusal(request('192.168.1.20', `192.168.1.5:${PORT}`, `http://192.168.1.5:${PORT}`), remote, true)).toBeNull();
    expect(refusal(request('192.168.1.20', `192.168.1.5:${PORT}`, 'http://attacker.example'), remote, true)).toMatch(/cross-origin/);
  });
});
