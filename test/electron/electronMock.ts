// A stand-in for the `electron` module: just what the main process touches, recorded.
import { vi } from 'vitest';

export const handlers = new Map<string, (event: unknown, payload: unknown) => unknown>();

export const ipcMain = {
  handle: vi.fn((channel: string, handler: (event: unknown, payload: unknown) => unknown) => {
    handlers.set(channel, handler);
  }),
  removeHandler: vi.fn((channel: string) => {
    handlers.delete(channel);
  }),
};

export const dialog = { showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/chosen/model'] })) };
export const shell = { openExternal: vi.fn(async () => undefined) };
/** Menus are their templates: `buildFromTemplate` hands the template back. */
export const Menu = { buildFromTemplate: vi.fn((template: unknown[]) => ({ template })) };

type Listener = (...args: unknown[]) => void;

let nextContentsId = 1;

export class FakeWebContents {
  readonly id = nextContentsId++;
  readonly listeners = new Map<string, Listener>();
  readonly sent: [string, unknown][] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly mainFrame = { url: '' };
  on(name: string, listener: Listener): this {
    this.listeners.set(name, listener);
    return this;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class BrowserWindow {
  static created: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  destroyed = false;
  loadedUrl = '';
  constructor(readonly options: { webPreferences: Record<string, unknown> }) {
    BrowserWindow.created.push(this);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  readonly onceListeners = new Map<string, Listener>();
  once(name: string, listener: Listener): this {
    this.onceListeners.set(name, listener);
    return this;
  }
  /** What closing the window does: it is destroyed, then 'closed' fires. */
  close(): void {
    this.destroyed = true;
    this.onceListeners.get('closed')?.();
  }
  show(): void {}
}
