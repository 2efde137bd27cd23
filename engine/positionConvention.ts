// Where a fed-back group's KV entry sits, the one place that says it (docs/engine.md,
// "Position convention"). Prompt entries sit at their own index 0..n-1 under every convention;
// a group entry sits at the index of its last token (`last_token`, what the model was trained
// with), or one higher (`tokens_so_far`, the authors' Hugging Face generation routine).
// Browser-safe: the trace check and the renderer's KV strip place entries with it too.
import type { PositionConvention, RunSettings } from './api.js';

/** A run's convention; traces older than the option ran `last_token`. */
export function conventionOf(settings: Pick<RunSettings, 'positionConvention'>): PositionConvention {
  return settings.positionConvention ?? 'last_token';
}

/**
 * Position of a fed-back entry of a run with `promptTokens` prompt tokens, where
 * `tokensSoFar` generated tokens lie in the entries up to and including this one.
 */
export function fedEntryPosition(convention: PositionConvention, promptTokens: number, tokensSoFar: number): number {
  const lastToken = promptTokens - 1 + tokensSoFar;
  return convention === 'tokens_so_far' ? lastToken + 1 : lastToken;
}

/**
 * Position of an entry of a run's context (a fork's or a conversation's step 0) whose last
 * token is the context's token `lastToken`: a prompt token at its own index, a group an
 * earlier decode smashed where that decode put it, so the replay writes the same rows.
 */
export function contextEntryPosition(convention: PositionConvention, kind: 'prompt' | 'group', lastToken: number): number {
  return kind === 'group' && convention === 'tokens_so_far' ? lastToken + 1 : lastToken;
}
