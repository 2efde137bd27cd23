// The app's one window: sandboxed, context-isolated, no Node in the page; it can neither
// navigate away from the app's page nor open windows, and hands no URL to the system.
import { BrowserWindow } from 'electron';

export interface MainWindowOptions {
  preloadPath: string;
  pageUrl: string;
}

export function createMainWindow({ preloadPath, pageUrl }: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1280,
    minHeight: 720,
    title: 'HAMburger visualizer',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // A middle click on a link would ask for a new window; the page has no use for it.
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
    },
  });
  const contents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    if (url !== pageUrl) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // The page links nowhere: whatever asks for a window (window.open, a target=_blank link) is
  // refused, and no URL it names is passed to the system (shell.openExternal).
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(pageUrl);
  return window;
}
