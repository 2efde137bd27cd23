// The window's security settings with `electron` mocked: sandboxed, isolated, no Node,
// no middle-click windows, no navigation away from the app's page, no new windows, and no
// page-supplied URL handed to the system.
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electronMock.js'));

const { createMainWindow } = await import('../../electron/main/mainWindow.js');
const { APP_PAGE_URL } = await import('../../electron/main/appProtocol.js');
const electron = await import('./electronMock.js');

describe('createMainWindow', () => {
  const window = createMainWindow({ preloadPath: '/app/dist/electron/preload.cjs', pageUrl: APP_PAGE_URL }) as unknown as InstanceType<typeof electron.BrowserWindow>;

  it('isolates the page', () => {
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(window.options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(window.loadedUrl).toBe(APP_PAGE_URL);
  });

  it('blocks navigation to anything but the app page', () => {
    const navigate = window.webContents.listeners.get('will-navigate')!;
    for (const url of ['https://example.com/', 'file:///app/dist/renderer/index.html', 'app://hamburger/other.html', 'app://elsewhere/index.html']) {
      const away = { preventDefault: vi.fn() };
      navigate(away, url);
      expect(away.preventDefault).toHaveBeenCalled();
    }
    const reload = { preventDefault: vi.fn() };
    navigate(reload, APP_PAGE_URL);
    expect(reload.preventDefault).not.toHaveBeenCalled();
  });

  it('denies every new window and opens nothing outside the app', () => {
    for (const url of ['https://example.com/', 'http://127.0.0.1/', 'file:///etc/passwd', 'mailto:a@example.com', APP_PAGE_URL]) {
      expect(window.webContents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });
});
