// The one bridge between the sandboxed page and the main process: `window.hamburger`, the
// HostApi of engine/api.ts. Only allow-listed channels; listeners get the payload alone,
// never the IPC event object (it would hand the page `sender`).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { LoadProgress, ModelInfo } from '../../engine/api.js';
import type { AppCommand, ConnectionState, HostApi, HostCall, HostMethod, HostResult, LaneEvent } from '../../host/protocol.js';
import { INVOKE_CHANNELS, SEND_CHANNELS, type SendChannel, type SendPayloads } from '../ipcChannels.js';

function subscribe<C extends SendChannel>(channel: C, listener: (payload: SendPayloads[C]) => void): () => void {
  const wrapped = (_event: IpcRendererEvent, payload: SendPayloads[C]) => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

const api: HostApi = {
  transport: 'electron',
  call<M extends HostMethod>(call: Extract<HostCall, { method: M }>): Promise<HostResult<M>> {
    return ipcRenderer.invoke(INVOKE_CHANNELS.call, call) as Promise<HostResult<M>>;
  },
  onEvent: (listener: (event: LaneEvent) => void) =>
    subscribe(SEND_CHANNELS.events, (events) => {
      for (const event of events) listener(event);
    }),
  onModel: (listener: (model: ModelInfo | null) => void) => subscribe(SEND_CHANNELS.model, listener),
  onLoadProgress: (listener: (progress: LoadProgress) => void) => subscribe(SEND_CHANNELS.loadProgress, listener),
  // IPC to the main process does not drop like a socket: always open.
  onConnection: (listener: (state: ConnectionState) => void) => {
    listener('open');
    return () => undefined;
  },
  onCommand: (listener: (command: AppCommand) => void) => subscribe(SEND_CHANNELS.command, listener),
  pickModelFolder: () => ipcRenderer.invoke(INVOKE_CHANNELS.pickModelFolder) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('hamburger', api);
