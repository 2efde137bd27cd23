// Messages between an engine host (Electron main process, browser-mode server, CLI) and
// the worker thread that runs the engine. Payload types are the API types of engine/api.ts.
import { z } from 'zod';
import {
  type EncodedPromptInfo,
  controlActionSchema,
  engineErrorInfoSchema,
  engineEventSchema,
  loadProgressSchema,
  modelInfoSchema,
  traceSchema,
} from '../api.js';

export const hostRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.number(),
    kind: z.literal('load'),
    directory: z.string(),
    threads: z.number().int().positive().optional(),
    kvBudgetBytes: z.number().positive().optional(),
    context: z.number().optional(),
    /** Generations that may run at once, sharing the model (default 1). */
    runs: z.number().int().positive().optional(),
    /** Open the baseline's graphs (and the heads) when a run first needs them, not at load. */
    openOnDemand: z.boolean().optional(),
  }),
  /** `runId`: the caller's name for the run, so that it can route the run's events before the reply. The graphs the run needs are opened first. */
  z.object({ id: z.number(), kind: z.literal('generate'), request: z.unknown(), runId: z.string().min(1).optional() }),
  z.object({ id: z.number(), kind: z.literal('control'), action: controlActionSchema, runId: z.string().optional() }),
  /** A text scored by HAMburger teacher-forced: a run like `generate`'s, whose tokens are the text's. */
  z.object({ id: z.number(), kind: z.literal('analyse'), request: z.unknown(), runId: z.string().min(1).optional() }),
  z.object({ id: z.number(), kind: z.literal('trace'), runId: z.string() }),
  z.object({ id: z.number(), kind: z.literal('encode'), prompt: z.string(), chatTemplate: z.boolean() }),
  z.object({ id: z.number(), kind: z.literal('dispose') }),
  /** Stops the loads running now between graphs; each answers `load_cancelled` and the engine loaded before stays. */
  z.object({ id: z.number(), kind: z.literal('cancelLoad') }),
]);
export type HostRequest = z.infer<typeof hostRequestSchema>;

/** What each request answers with. */
export interface ReplyValues {
  load: z.infer<typeof modelInfoSchema>;
  generate: { runId: string };
  control: null;
  analyse: { runId: string };
  trace: z.infer<typeof traceSchema> | null;
  encode: EncodedPromptInfo;
  dispose: null;
  cancelLoad: null;
}

// zod 4 refuses a repeated discriminator value, so the two reply shapes are their own union on `ok`.
export const workerMessageSchema = z.discriminatedUnion('kind', [
  z.discriminatedUnion('ok', [
    z.object({ kind: z.literal('reply'), id: z.number(), ok: z.literal(true), value: z.unknown() }),
    z.object({ kind: z.literal('reply'), id: z.number(), ok: z.literal(false), error: engineErrorInfoSchema }),
  ]),
  z.object({ kind: z.literal('event'), event: engineEventSchema }),
  /** Progress of the load request `id`. */
  z.object({ kind: z.literal('loadProgress'), id: z.number(), progress: loadProgressSchema }),
]);
export type WorkerMessage = z.infer<typeof workerMessageSchema>;
