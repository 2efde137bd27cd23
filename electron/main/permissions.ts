// What the page may ask the browser for: full screen (presentation mode), from the app's
// own page, and nothing else (no camera, microphone, notifications, clipboard reads, ...).
import { APP_HOST, APP_SCHEME } from './appProtocol.js';

const ALLOWED = new Set(['fullscreen']);

export function permissionGranted(permission: string, requestingUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(requestingUrl);
  } catch {
    return false;
  }
  return ALLOWED.has(permission) && url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
}
