// Electron main process: owns the engines (in worker threads, through the host session),
// creates the window and menu, and wires the IPC manager between them.
import { app, BrowserWindow, Menu, session as electronSession } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { engineWorkerUrl } from '../../host/engineWorkerUrl.js';
import { HostSession } from '../../host/hostSession.js';
import { SEND_CHANNELS } from '../ipcChannels.js';
import { buildAppMenu } from './appMenu.js';
import { IpcManager } from './ipcManager.js';
import { createMainWindow } from './mainWindow.js';

// Built layout (electron/build.config.ts): dist/electron/{main.js, preload.cjs, engineWorker.js}
// beside dist/renderer/index.html; the model stays in the repository's models/ folder.
const here = new URL('.', import.meta.url);
const PAGE_URL = pathToFileURL(fileURLToPath(new URL('../renderer/index.html', here))).href;
const PRELOAD = fileURLToPath(new URL('./preload.cjs', here));
const MODEL_DIR = process.env.HAMBURGER_MODEL ?? fileURLToPath(new URL('../../models/hamburger-tiny', here));

const hostSession = new HostSession({ defaultModelDirectory: MODEL_DIR, workerUrl: engineWorkerUrl(new URL('./engineWorker.js', here)) });
let ipc: IpcManager | null = null;

function openWindow(): void {
  const window = createMainWindow({ preloadPath: PRELOAD, pageUrl: PAGE_URL });
  ipc?.dispose();
  const manager = new IpcManager(hostSession, window, PAGE_URL);
  manager.register();
  ipc = manager;
  Menu.setApplicationMenu(buildAppMenu((command) => manager.send(SEND_CHANNELS.command, command)));
  window.webContents.on('did-finish-load', () => manager.send(SEND_CHANNELS.model, hostSession.currentModel));
}

app.enableSandbox();
app.whenReady().then(() => {
  // The page has no business asking for the camera, notifications or anything else.
  electronSession.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
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
