// Finds the one HostApi of this page: Electron's preload puts it on `window.hamburger`;
// in the browser mode there is none, so the page connects to the server that served it.
import type { HostApi } from '../../../host/protocol';
import { createSocketHostApi, socketUrl } from './socketHostApi';

declare global {
  interface Window {
    hamburger?: HostApi;
  }
}

let api: HostApi | null = null;

export function hostApi(): HostApi {
  api ??= window.hamburger ?? createSocketHostApi(socketUrl(window.location));
  return api;
}
