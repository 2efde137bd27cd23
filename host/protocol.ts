// The app's host protocol: what the UI sends to the process that owns the engine (Electron
// main, or the browser-mode server) and what comes back, over Electron's IPC or the browser
// mode's WebSocket. Several runs go at once, one per lane (the playground, and one per race
// lane), all on one loaded model, so every run's call and event names its lane. The engine
// knows nothing of lanes or windows: this is the hosts' and the renderer's vocabulary.
import { z } from 'zod';
import {
  MAX_PROMPT_CHARS,
  controlActionSchema,
  engineErrorInfoSchema,
  engineEventSchema,
  loadProgressSchema,
  modelInfoSchema,
  type EncodedPromptInfo,
  type EngineErrorInfo,
  type LoadProgress,
  type ModelInfo,
} from '../engine/api.js';

/** `fork`: a run forked from a step of the playground's, shown beside it. */
export const LANE_IDS = ['playground', 'race-0', 'race-1', 'race-2', 'fork'] as const;
export const laneIdSchema = z.enum(LANE_IDS, { error: () => `lane must be one of: ${LANE_IDS.join(', ')}` });
export type LaneId = z.infer<typeof laneIdSchema>;

export const hostCallSchema = z.discriminatedUnion(
  'method',
  [
    /** The model the lanes run now (null before the first load). */
    z.object({ method: z.literal('currentModel') }).strict(),
    /** Loads a model package for all lanes; null = the package shipped with the app. */
    z
      .object({
        method: z.literal('loadModel'),
        directory: z.string({ error: () => 'directory must be a string or null' }).min(1, { error: () => 'directory is empty' }).nullable(),
        /** Positions (prompt + generated) runs may use; omitted: the package's max_position, as far as memory allows. */
        context: z.number({ error: () => 'context must be a number' }).int({ error: () => 'context must be a whole number of positions' }).min(2, { error: () => 'context must be at least 2 positions' }).optional(),
      })
      .strict(),
    z
      .object({
        method: z.literal('encode'),
        prompt: z
          .string({ error: () => 'prompt must be a string' })
          .max(MAX_PROMPT_CHARS, { error: (issue) => `prompt has ${String((issue.input as string).length)} characters; the limit is ${MAX_PROMPT_CHARS}` }),
        chatTemplate: z.boolean().default(true),
      })
      .strict(),
    /** Stops the model load running now; the model loaded before stays. */
    z.object({ method: z.literal('cancelLoad') }).strict(),
    /** `request` is checked by the engine, which names the field and limit at fault. */
    z.object({ method: z.literal('generate'), lane: laneIdSchema, request: z.unknown() }).strict(),
    z.object({ method: z.literal('control'), lane: laneIdSchema, action: controlActionSchema }).strict(),
    /** A text scored by HAMburger teacher-forced (a run whose tokens are forced); `request` is checked by the engine. */
    z.object({ method: z.literal('analyse'), lane: laneIdSchema, request: z.unknown() }).strict(),
  ],
  { error: () => 'method must be one of: currentModel, loadModel, cancelLoad, encode, generate, control, analyse' },
);
export type HostCall = z.input<typeof hostCallSchema>;
export type HostMethod = HostCall['method'];

/** What each host call answers with. */
export interface HostReplies {
  currentModel: ModelInfo | null;
  loadModel: ModelInfo;
  cancelLoad: null;
  encode: EncodedPromptInfo;
  generate: { runId: string };
  control: null;
  analyse: { runId: string };
}

export const laneEventSchema = z.object({ lane: laneIdSchema, event: engineEventSchema });
export type LaneEvent = z.infer<typeof laneEventSchema>;

/**
 * Largest WebSocket message a window may send. A call carries at most one prompt of
 * MAX_PROMPT_CHARS characters (an analysis: a prompt and a text of MAX_TEXT_CHARS), which JSON writes in at most 6 bytes each (`\u001f`): every
 * valid call fits, and a hostile message costs the server no more than this.
 */
export const SOCKET_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
/** Deepest nesting of arrays and objects accepted in a call (real calls nest 3 deep). */
export const MAX_CALL_DEPTH = 32;

/** Messages of the browser mode's WebSocket. Client to server: one call with an id. */
export const socketRequestSchema = z.object({ id: z.number().int().nonnegative(), call: z.unknown() }).strict();
export const socketMessageSchema = z.discriminatedUnion('kind', [
  z.discriminatedUnion('ok', [
    z.object({ kind: z.literal('reply'), id: z.number().nullable(), ok: z.literal(true), value: z.unknown() }),
    /** id null: the request was too malformed to read its id. */
    z.object({ kind: z.literal('reply'), id: z.number().nullable(), ok: z.literal(false), error: engineErrorInfoSchema }),
  ]),
  /** Lane events in the order the host emitted them, a frame's worth per message. */
  z.object({ kind: z.literal('events'), events: z.array(laneEventSchema) }),
  /** Sent whenever the model changes (and on connect), so every window shows the same model. */
  z.object({ kind: z.literal('model'), model: modelInfoSchema.nullable() }),
  /** The model load moved on (before each graph opens, and once all are open). */
  z.object({ kind: z.literal('loadProgress'), progress: loadProgressSchema }),
]);
export type SocketMessage = z.infer<typeof socketMessageSchema>;

/** A host call's answer as it crosses a bridge: errors as data, since Electron's contextBridge drops an Error's fields. */
export type HostResult<M extends HostMethod> = { ok: true; value: HostReplies[M] } | { ok: false; error: EngineErrorInfo };

export type ConnectionState = 'connecting' | 'open' | 'lost';

/** Commands from the host's own UI (Electron's menus) to the page. */
export const APP_COMMANDS = ['generate', 'stop', 'save-trace', 'open-trace', 'export-html', 'present', 'toggle-theme', 'view-playground', 'view-race', 'view-debugger'] as const;
export const appCommandSchema = z.enum(APP_COMMANDS);
export type AppCommand = z.infer<typeof appCommandSchema>;

/**
 * The one object the UI talks to (`window.hamburger`): Electron's preload, or the browser
 * mode's WebSocket client. The UI cannot tell which is behind it.
 */
export interface HostApi {
  readonly transport: 'electron' | 'websocket';
  call<M extends HostMethod>(call: Extract<HostCall, { method: M }>): Promise<HostResult<M>>;
  onEvent(listener: (event: LaneEvent) => void): () => void;
  onModel(listener: (model: ModelInfo | null) => void): () => void;
  onLoadProgress(listener: (progress: LoadProgress) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Menu commands (Electron); never fires in the browser, where the page's own keys do the same. */
  onCommand(listener: (command: AppCommand) => void): () => void;
  /** A native folder dialog (Electron); null where there is none and the user types a path. */
  readonly pickModelFolder: (() => Promise<string | null>) | null;
}
