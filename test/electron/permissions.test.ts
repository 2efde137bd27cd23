// The page's permission requests: full screen from the app's own page, nothing else.
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electronMock.js'));
const { permissionGranted } = await import('../../electron/main/permissions.js');

describe('permissionGranted', () => {
  it('grants full screen to the app page only', () => {
    expect(permissionGranted('fullscreen', 'app://hamburger/index.html')).toBe(true);
    expect(permissionGranted('fullscreen', 'https://evil.example/')).toBe(false);
    expect(permissionGranted('fullscreen', 'app://other/index.html')).toBe(false);
    expect(permissionGranted('fullscreen', 'not a url')).toBe(false);
  });

  it('refuses everything else, even to the app page', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'pointerLock']) {
      expect(permissionGranted(permission, 'app://hamburger/index.html')).toBe(false);
    }
  });
});
