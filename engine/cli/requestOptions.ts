// Command-line flags shared by the commands, and their translation into a GenerateRequest.
import type { GenerateRequestInput, Mode, PositionConvention, Sampling } from '../api.js';
import { EngineError } from '../errors.js';
import type { LoadOptions } from '../modelPackage.js';
import { HamburgerEngine } from '../engine.js';
import { terminalProgress } from './loadProgressBar.js';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  threads: { type: 'string' },
  context: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const SAMPLING_OPTIONS = {
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
} as const;

/** A numeric flag; absent stays undefined, text that is not a number is a usage error naming the flag. */
export function numberFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new EngineError('invalid_request', `--${name} must be a number, got "${String(raw)}"`, { field: name });
  }
  return value;
}

/** Greedy unless a sampling flag is given; then temperature 1, top-k off, top-p 1, seed 0 unless set. */
export function samplingFromFlags(values: Record<string, unknown>): Sampling {
  const temperature = numberFlag(values, 'temperature');
  const topK = numberFlag(values, 'top-k');
  const topP = numberFlag(values, 'top-p');
  const seed = numberFlag(values, 'seed');
  if (temperature === undefined && topK === undefined && topP === undefined && seed === undefined) return { kind: 'greedy' };
  return { kind: 'sample', temperature: temperature ?? 1, topK: topK ?? 0, topP: topP ?? 1, seed: seed ?? 0 };
}

export function requestFromFlags(values: Record<string, unknown>, prompt: string): GenerateRequestInput {
  const request: GenerateRequestInput = { prompt, sampling: samplingFromFlags(values) };
  if (values['mode'] !== undefined) request.mode = values['mode'] as Mode;
  const confidence = numberFlag(values, 'confidence');
  if (confidence !== undefined) request.confidence = confidence;
  const maxNewTokens = numberFlag(values, 'max-new-tokens');
  if (maxNewTokens !== undefined) request.maxNewTokens = maxNewTokens;
  const minNewTokens = numberFlag(values, 'min-new-tokens');
  if (minNewTokens !== undefined) request.minNewTokens = minNewTokens;
  if (values['raw'] === true) request.chatTemplate = false;
  if (values['audit'] === true) request.audit = true;
  // The engine checks the value and names what is allowed.
  if (values['position-convention'] !== undefined) request.positionConvention = values['position-convention'] as PositionConvention;
  const forced = values['forced-groups'];
  if (typeof forced === 'string') request.forcedGroupSizes = groupSizesFlag(forced);
  return request;
}

/** `--forced-groups 4,2,2,1`: a timing simulation's group sizes (the engine checks each against max_steps). */
export function groupSizesFlag(raw: string): number[] {
  const sizes = raw.split(',').map((part) => Number(part.trim()));
  if (raw.trim() === '' || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new EngineError('invalid_request', `--forced-groups must be comma-separated group sizes (integers >= 1), got "${raw}"`, { field: 'forced-groups' });
  }
  return sizes;
}

function threadsFlag(values: Record<string, unknown>): number | undefined {
  const threads = numberFlag(values, 'threads');
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new EngineError('invalid_request', `--threads must be a positive integer, got ${threads}`, { field: 'threads' });
  }
  return threads;
}

/**
 * Loads the engine for a command: `--threads N` and `--context N` (positions; the engine
 * checks it against the package and the memory budget), with a progress line on stderr when
 * it is a terminal. `openOnDemand`: a command that runs one mode opens only what it needs.
 */
export async function loadEngine(directory: string, values: Record<string, unknown>, extra: Pick<LoadOptions, 'openOnDemand'> = {}): Promise<HamburgerEngine> {
  const progress = terminalProgress(process.stderr);
  const options = { ...loadOptionsFromFlags(values), ...extra };
  if (progress !== null) options.onProgress = progress.onProgress;
  try {
    return await HamburgerEngine.load(directory, options);
  } finally {
    progress?.done();
  }
}

function loadOptionsFromFlags(values: Record<string, unknown>): LoadOptions {
  const options: LoadOptions = {};
  const threads = threadsFlag(values);
  if (threads !== undefined) options.threads = threads;
  const context = numberFlag(values, 'context');
  if (context !== undefined) options.context = context;
  return options;
}
