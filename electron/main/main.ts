// Electron main process: owns the engine (in a worker thread, through the host session),
// creates the window and menu, and wires the IPC manager between them.
import { app, BrowserWindow, Menu, session as electronSession } from 'electron';
import { fileURLToPath } from 'node:url';
import { engineWorkerUrl } from '../../host/engineWorkerUrl.js';
import { HostSession } from '../../host/hostSession.js';
import { SEND_CHANNELS } from '../ipcChannels.js';
import { buildAppMenu } from './appMenu.js';
import { APP_PAGE_URL, registerAppScheme, serveAppScheme } from './appProtocol.js';
import { IpcManager } from './ipcManager.js';
import { createMainWindow } from './mainWindow.js';
import { permissionGranted } from './permissions.js';

// Built layout (electron/build.config.ts): dist/electron/{main.js, preload.cjs, engineWorker.js}
// beside dist/renderer (the page, served as app://hamburger/); the model stays in the
// repository's models/ folder.
const here = new URL('.', import.meta.url);
const RENDERER_ROOT = fileURLToPath(new URL('../renderer', here));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', here));
const MODEL_DIR = process.env.HAMBURGER_MODEL ?? fileURLToPath(new URL('../../models/hamburger-tiny', here));

const hostSession = new HostSession({ defaultModelDirectory: MODEL_DIR, workerUrl: engineWorkerUrl(new URL('./engineWorker.js', here)) });
let ipc: IpcManager | null = null;

function openWindow(): void {
  const window = createMainWindow({ preloadPath: PRELOAD, pageUrl: APP_PAGE_URL });
  ipc?.dispose();
  const manager = new IpcManager(hostSession, window, APP_PAGE_URL);
  manager.register();
  ipc = manager;
  Menu.setApplicationMenu(buildAppMenu((command) => manager.send(SEND_CHANNELS.command, command)));
  window.webContents.on('did-finish-load', () => manager.send(SEND_CHANNELS.model, hostSession.currentModel));
}

app.enableSandbox();
registerAppScheme();
app.whenReady().then(() => {
  serveAppScheme(RENDERER_ROOT);
  electronSession.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionGranted(permission, details.requestingUrl)),
  );
  hostSession.loadModel(null).catch((error: unknown) => console.error(`model not loaded: ${String(error)}`));
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  ipc?.dispose();
  void hostSession.close();
});
