// Who may talk to the browser-mode server. By default only this machine: the peer address
// must be loopback, and (against DNS rebinding and cross-site WebSocket hijacking by a page
// in the user's own browser) the Host and Origin headers must name this server.
import type { IncomingMessage } from 'node:http';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface AccessPolicy {
  /** Accept peers from other machines (an explicit --allow-remote). */
  allowRemote: boolean;
  port: number;
}

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}

function hostNames(policy: AccessPolicy): Set<string> {
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${policy.port}`));
}

/** Null when the request may proceed, else why not. */
export function refusal(request: IncomingMessage, policy: AccessPolicy, requireOrigin: boolean): string | null {
  if (policy.allowRemote) return null;
  if (!isLoopback(request.socket.remoteAddress)) return 'only local connections are accepted (start with --allow-remote to change this)';
  const host = request.headers.host;
  if (host === undefined || !hostNames(policy).has(host)) return `unexpected Host header ${JSON.stringify(host ?? '')}`;
  if (requireOrigin) {
    const origin = request.headers.origin;
    if (origin !== `http://${host}`) return `cross-origin WebSocket refused (Origin ${JSON.stringify(origin ?? '')})`;
  }
  return null;
}
