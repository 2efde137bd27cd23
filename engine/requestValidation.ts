// Checks a generation request against the API schema and the loaded model's limits; each
// problem becomes one EngineError with a code, the field and the limit.
import { MAX_PROMPT_CHARS, generateRequestSchema, type EngineErrorCode, type GenerateRequest } from './api.js';
import { EngineError } from './errors.js';
import type { Manifest } from './manifest.js';

const CODE_BY_FIELD: Record<string, EngineErrorCode> = {
  prompt: 'empty_prompt',
  mode: 'unknown_mode',
  confidence: 'invalid_confidence',
  maxNewTokens: 'invalid_max_new_tokens',
  minNewTokens: 'invalid_min_new_tokens',
  sampling: 'invalid_sampling',
  fork: 'invalid_fork',
  turns: 'invalid_turns',
  turnCache: 'invalid_turns',
};

export interface ValidRequest {
  request: GenerateRequest;
  confidence: number | null;
  maxNewTokens: number;
}

/** `context`: the positions a run may use (the load's context, at most max_position). */
export function validateRequest(input: unknown, manifest: Manifest, context: number): ValidRequest {
  const parsed = generateRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = unknownKeys.length > 0 ? unknownKeys.join(', ') : issue.path.join('.');
    const top = String(issue.path[0] ?? '');
    const code = unknownKeys.length > 0 ? 'invalid_request' : (CODE_BY_FIELD[top] ?? 'invalid_request');
    const message = unknownKeys.length > 0 ? `unknown request field(s): ${field}` : issue.message;
    throw new EngineError(code, message, field === '' ? {} : { field });
  }
  const request = parsed.data;
  const arch = manifest.architecture;
  if (request.prompt.trim().length === 0) {
    throw new EngineError('empty_prompt', 'prompt is empty', { field: 'prompt', limit: 'at least one non-space character' });
  }
  if (request.prompt.length > MAX_PROMPT_CHARS) {
    throw new EngineError('prompt_too_long', `prompt has ${request.prompt.length} characters; the limit is ${MAX_PROMPT_CHARS}`, {
      field: 'prompt',
      limit: `<= ${MAX_PROMPT_CHARS} characters`,
    });
  }
  const maxAllowed = context - 1;
  const maxNewTokens = request.maxNewTokens ?? Math.min(manifest.defaults.max_new_tokens, maxAllowed);
  if (maxNewTokens < 1 || maxNewTokens > maxAllowed) {
    throw new EngineError('invalid_max_new_tokens', `maxNewTokens must be in [1, ${maxAllowed}], got ${maxNewTokens}`, {
      field: 'maxNewTokens',
      limit: `1..${maxAllowed}`,
    });
  }
  if (request.minNewTokens > maxNewTokens) {
    throw new EngineError('invalid_min_new_tokens', `minNewTokens must be in [0, maxNewTokens = ${maxNewTokens}], got ${request.minNewTokens}`, {
      field: 'minNewTokens',
      limit: `0..${maxNewTokens}`,
    });
  }
  const oversized = request.forcedGroupSizes?.findIndex((size) => size > arch.max_steps) ?? -1;
  if (oversized >= 0) {
    throw new EngineError('invalid_request', `forcedGroupSizes[${oversized}] is ${request.forcedGroupSizes![oversized]}; a group holds at most max_steps = ${arch.max_steps} tokens`, {
      field: `forcedGroupSizes.${oversized}`,
      limit: `1..${arch.max_steps}`,
    });
  }
  if (request.sampling.kind === 'sample' && request.sampling.topK > arch.vocab_size) {
    throw new EngineError('invalid_sampling', `sampling.topK must be in [0, ${arch.vocab_size}], got ${request.sampling.topK}`, {
      field: 'sampling.topK',
      limit: `0..${arch.vocab_size}`,
    });
  }
  if (request.audit && request.mode !== 'hamburger') {
    throw new EngineError('invalid_request', `audit applies to hamburger mode only, not ${request.mode} (verify mode always carries the baseline's verdicts; baseline mode has nothing to check)`, {
      field: 'audit',
      limit: 'mode "hamburger"',
    });
  }
  const confidence = request.confidence === undefined ? manifest.defaults.confidence : request.confidence;
  return { request, confidence, maxNewTokens };
}

/** The prompt must leave room for at least one generated token within the context. */
export function checkPromptLength(tokenCount: number, context: number): void {
  const limit = context - 1;
  if (tokenCount > limit) {
    throw new EngineError('prompt_too_long', `prompt is ${tokenCount} tokens after the chat template; the limit is ${limit} (context - 1)`, {
      field: 'prompt',
      limit: `<= ${limit} tokens`,
    });
  }
}
