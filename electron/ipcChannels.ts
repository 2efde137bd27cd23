// The allow-list of IPC channels between the main process and the preload, with the payload
// each carries. Nothing else crosses: the preload can only name these, the main process
// only handles these.
import type { LoadProgress, ModelInfo } from '../engine/api.js';
import type { AppCommand, HostMethod, HostResult, LaneEvent } from '../host/protocol.js';

export const INVOKE_CHANNELS = {
  /** Renderer -> main: one HostCall; answers a HostResult. */
  call: 'hamburger:call',
  /** Renderer -> main: show the folder dialog; answers the chosen path or null. */
  pickModelFolder: 'hamburger:pick-model-folder',
} as const;

export const SEND_CHANNELS = {
  /** Lane events in order, batched (host/eventBatcher.ts). */
  events: 'hamburger:events',
  model: 'hamburger:model',
  /** A lane's model load moved on. */
  loadProgress: 'hamburger:load-progress',
  command: 'hamburger:command',
} as const;

export type InvokeChannel = (typeof INVOKE_CHANNELS)[keyof typeof INVOKE_CHANNELS];
export type SendChannel = (typeof SEND_CHANNELS)[keyof typeof SEND_CHANNELS];

export interface InvokeReplies {
  'hamburger:call': HostResult<HostMethod>;
  'hamburger:pick-model-folder': string | null;
}

export interface SendPayloads {
  'hamburger:events': LaneEvent[];
  'hamburger:model': ModelInfo | null;
  'hamburger:load-progress': LoadProgress;
  'hamburger:command': AppCommand;
}
