// Who may talk to the browser-mode server. By default only this machine: the peer address
// must be loopback. Always, whether or not other machines may connect (`--allow-remote`),
// the Host header must name this server (against DNS rebinding: a name an attacker controls
// that resolves to this machine) and a WebSocket's Origin must be this server's own page
// (against a web page in the user's browser driving the engine: cross-site WebSocket hijacking).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export interface AccessPolicy {
  /** Accept peers from other machines (an explicit --allow-remote). */
  allowRemote: boolean;
  /** Host names other machines may use to reach this server, besides IP addresses. */
  allowedHosts: readonly string[];
  port: number;
}

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}

/**
 * True when a Host header names this server: a loopback name, or for remote access an IP
 * address (a rebinding attack needs a name, never a literal address) or an allowed name,
 * with this server's port.
 */
function namesThisServer(host: string, policy: AccessPolicy): boolean {
  const suffix = `:${policy.port}`;
  if (!host.endsWith(suffix)) return false;
  const name = host.slice(0, -suffix.length).toLowerCase();
  if (LOOPBACK_NAMES.includes(name)) return true;
  if (!policy.allowRemote) return false;
  const address = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return isIP(address) !== 0 || policy.allowedHosts.some((allowed) => allowed.toLowerCase() === name);
}

/** Null when the request may proceed, else why not. */
export function refusal(request: IncomingMessage, policy: AccessPolicy, requireOrigin: boolean): string | null {
  if (!policy.allowRemote && !isLoopback(request.socket.remoteAddress)) {
    return 'only local connections are accepted (start with --allow-remote to change this)';
  }
  const host = request.headers.host;
  if (host === undefined || !namesThisServer(host, policy)) {
    const allowed = policy.allowRemote ? 'a loopback name, an IP address or an --allow-host name' : 'a loopback name';
    return `unexpected Host header ${JSON.stringify(host ?? '')} (allowed: ${allowed}, with port ${policy.port})`;
  }
  if (requireOrigin) {
    const origin = request.headers.origin;
    if (origin !== `http://${host}`) return `cross-origin WebSocket refused (Origin ${JSON.stringify(origin ?? '')}; allowed: http://${host})`;
  }
  return null;
}
