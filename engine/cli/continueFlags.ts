// `generate --fork-from TRACE --fork-step K [--fork-token ID]` and `generate --reply-to TRACE
// --prompt MESSAGE [--turn-cache smashed|unmerged]`: a run that carries on from a saved trace,
// built by the same functions as the app's "Fork here" and next turn (engine/continuation.ts).
import { TRACE_FILE_MAX_BYTES, type GenerateRequestInput, type Trace } from '../api.js';
import { forkRequest, nextTurnRequest, type BuiltRequest } from '../continuation.js';
import { EngineError } from '../errors.js';
import { TURN_CACHES, turnCacheSchema } from '../history.js';
import { parseTrace } from '../traceRecorder.js';
import { readFlagFile } from './flagFile.js';
import { numberFlag } from './requestOptions.js';

export const CONTINUE_OPTIONS = {
  'fork-from': { type: 'string' },
  'fork-step': { type: 'string' },
  'fork-token': { type: 'string' },
  'reply-to': { type: 'string' },
  'turn-cache': { type: 'string' },
} as const;

/** A trace file named by `--flag`: within the app's size limit, a valid trace. */
async function readTraceFlag(file: string, flag: string): Promise<Trace> {
  return parseTrace(await readFlagFile(file, flag, TRACE_FILE_MAX_BYTES));
}

function built(result: BuiltRequest): GenerateRequestInput {
  if (result.ok) return result.request;
  const { code, message, field, limit } = result.error;
  throw new EngineError(code, message, { ...(field === undefined ? {} : { field }), ...(limit === undefined ? {} : { limit }) });
}

/** Whole numbers only: a step or a token id. */
function wholeFlag(values: Record<string, unknown>, name: string): number | undefined {
  const value = numberFlag(values, name);
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw new EngineError('invalid_request', `--${name} must be a whole number >= 0, got ${value}`, { field: name });
  return value;
}

/**
 * The request `generate` runs: `settings` as the flags give them, or a fork or the next turn of
 * a saved run with those settings. Flags that belong to neither, or to both, are named.
 */
export async function continuedRequest(values: Record<string, unknown>, settings: GenerateRequestInput): Promise<GenerateRequestInput> {
  const forkFrom = values['fork-from'] as string | undefined;
  const replyTo = values['reply-to'] as string | undefined;
  const step = wholeFlag(values, 'fork-step');
  const token = wholeFlag(values, 'fork-token');
  const turnCache = values['turn-cache'] as string | undefined;
  if (forkFrom !== undefined && replyTo !== undefined) throw new EngineError('invalid_request', 'give --fork-from or --reply-to, not both', { field: 'fork-from' });
  if (forkFrom === undefined && (step !== undefined || token !== undefined)) {
    throw new EngineError('invalid_request', `--${step !== undefined ? 'fork-step' : 'fork-token'} goes with --fork-from TRACE`, { field: step !== undefined ? 'fork-step' : 'fork-token' });
  }
  if (replyTo === undefined && turnCache !== undefined) throw new EngineError('invalid_request', '--turn-cache goes with --reply-to TRACE', { field: 'turn-cache' });
  if (forkFrom !== undefined) {
    if (step === undefined) throw new EngineError('invalid_fork', '--fork-step K is required with --fork-from: the step of the saved run to fork from', { field: 'fork-step' });
    if (values['prompt'] !== undefined || values['raw'] === true) {
      throw new EngineError('invalid_request', "a fork continues the saved run's prompt: leave out --prompt and --raw", { field: values['prompt'] !== undefined ? 'prompt' : 'raw' });
    }
    return built(forkRequest(await readTraceFlag(forkFrom, 'fork-from'), step, settings, token ?? null));
  }
  if (replyTo !== undefined) {
    const cache = turnCacheSchema.safeParse(turnCache ?? 'smashed');
    if (!cache.success) {
      throw new EngineError('invalid_request', `--turn-cache must be one of: ${TURN_CACHES.join(', ')}, got "${turnCache}"`, { field: 'turn-cache', limit: TURN_CACHES.join(' | ') });
    }
    return built(nextTurnRequest(await readTraceFlag(replyTo, 'reply-to'), settings.prompt, settings, cache.data));
  }
  return settings;
}
