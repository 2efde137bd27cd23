// The window's security settings with `electron` mocked: sandboxed, isolated, no Node,
// no navigation away from the app's page, no new windows.
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electronMock.js'));

const { createMainWindow } = await import('../../../electron/main/mainWindow.js');
const electron = await import('./electronMock.js');

const PAGE = 'file:///app/dist/renderer/index.html';

describe('createMainWindow', () => {
  const window = createMainWindow({ preloadPath: '/app/dist/electron/preload.cjs', pageUrl: PAGE }) as unknown as InstanceType<typeof electron.BrowserWindow>;

  it('isolates the page', () => {
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(window.loadedUrl).toBe(PAGE);
  });

  it('blocks navigation to anything but the app page', () => {
    const navigate = window.webContents.listeners.get('will-navigate')!;
    const away = { preventDefault: vi.fn() };
    navigate(away, 'https://example.com/');
    expect(away.preventDefault).toHaveBeenCalled();
    const reload = { preventDefault: vi.fn() };
    navigate(reload, PAGE);
    expect(reload.preventDefault).not.toHaveBeenCalled();
  });

  it('denies every new window; web links go to the system browser', () => {
    expect(window.webContents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://example.com/');
    expect(window.webContents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(1);
  });
});
