// The one place the main process answers the renderer. Every handler checks that the call
// comes from the app's own page in the app's own window, hands the payload to the session
// (which validates it, once, for both hosts), and answers errors as data (HostResult), so
// the UI can show them.
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { EngineErrorInfo, LoadProgress, ModelInfo } from '../../engine/api.js';
import type { HostMethod, HostResult, LaneEvent } from '../../host/protocol.js';
import { toErrorInfo } from '../../engine/errors.js';
import { createEventBatcher } from '../../host/eventBatcher.js';
import { INVOKE_CHANNELS, SEND_CHANNELS, type InvokeReplies, type SendChannel, type SendPayloads } from '../ipcChannels.js';

/** What the IPC manager needs of the engine session (HostSession has it). */
export interface EngineSessionPort {
  readonly currentModel: ModelInfo | null;
  /** `call` is untrusted; `client` names the window it came from (runs belong to it). */
  call(call: unknown, client: string): Promise<unknown>;
  /** The window went away: cancel the runs it started. */
  releaseClient(client: string): Promise<void>;
  onEvent(listener: (event: LaneEvent) => void): () => void;
  onModel(listener: (model: ModelInfo | null) => void): () => void;
  onLoadProgress(listener: (progress: LoadProgress) => void): () => void;
}

function refused(message: string): { ok: false; error: EngineErrorInfo } {
  return { ok: false, error: { code: 'invalid_request', message } };
}

export class IpcManager {
  private readonly unsubscribe: (() => void)[] = [];
  private readonly events = createEventBatcher((events) => this.send(SEND_CHANNELS.events, events));
  /** The window as the session's client: its runs are its own. */
  private readonly client: string;

  constructor(
    private readonly session: EngineSessionPort,
    private readonly window: BrowserWindow,
    /** The URL of the app's page; calls from any other document are refused. */
    private readonly pageUrl: string,
  ) {
    this.client = `window-${window.webContents.id}`;
  }

  register(): void {
    ipcMain.handle(INVOKE_CHANNELS.call, (event, payload: unknown) => this.onCall(event, payload));
    ipcMain.handle(INVOKE_CHANNELS.pickModelFolder, (event, payload: unknown) => this.onPickModelFolder(event, payload));
    // A closed window's runs would go on unseen.
    this.window.once('closed', () => void this.session.releaseClient(this.client));
    this.unsubscribe.push(
      this.session.onEvent(this.events.push),
      this.session.onModel((model) => this.send(SEND_CHANNELS.model, model)),
      this.session.onLoadProgress((progress) => this.send(SEND_CHANNELS.loadProgress, progress)),
    );
  }

  dispose(): void {
    ipcMain.removeHandler(INVOKE_CHANNELS.call);
    ipcMain.removeHandler(INVOKE_CHANNELS.pickModelFolder);
    for (const off of this.unsubscribe.splice(0)) off();
    this.events.dispose();
    void this.session.releaseClient(this.client);
  }

  /** Anything but events goes after the events queued before it, as they happened. */
  send<C extends SendChannel>(channel: C, payload: SendPayloads[C]): void {
    if (channel !== SEND_CHANNELS.events) this.events.flush();
    if (!this.window.isDestroyed()) this.window.webContents.send(channel, payload);
  }

  /** True only for the app's page in the app's window (not another frame, not a navigated page). */
  isTrustedSender(event: IpcMainInvokeEvent): boolean {
    if (this.window.isDestroyed() || event.sender !== this.window.webContents) return false;
    const frame = event.senderFrame;
    return frame !== null && frame === event.sender.mainFrame && frame.url === this.pageUrl;
  }

  async onCall(event: IpcMainInvokeEvent, payload: unknown): Promise<InvokeReplies['hamburger:call']> {
    if (!this.isTrustedSender(event)) return refused('call refused: it did not come from the app window');
    try {
      const value = (await this.session.call(payload, this.client)) as HostResult<HostMethod> extends { value: infer V } ? V : never;
      // The reply goes after the events emitted before it, as they happened.
      this.events.flush();
      return { ok: true, value };
    } catch (error) {
      this.events.flush();
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  async onPickModelFolder(event: IpcMainInvokeEvent, payload: unknown): Promise<InvokeReplies['hamburger:pick-model-folder']> {
    if (!this.isTrustedSender(event) || payload !== undefined) return null;
    const chosen = await dialog.showOpenDialog(this.window, { title: 'Open a HAMburger model package', properties: ['openDirectory'] });
    return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
  }
}
