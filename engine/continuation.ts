// Requests that carry on from a recorded run (a live run's record in the app, a trace file in
// the CLI): a fork from one of its steps, and the next turn of the conversation it answered
// (engine/history.ts). Pure and browser-safe: the app's controller and the CLI build the same
// requests from the same run.
import type { EngineErrorInfo, GenerateRequestInput, MacroStep, Trace } from './api.js';
import type { TurnCache } from './history.js';

/** What a continuation reads of a run: how it started and its steps. */
export type RecordedRun = Pick<Trace, 'started' | 'steps'>;
export type BuiltRequest = { ok: true; request: GenerateRequestInput } | { ok: false; error: EngineErrorInfo };

/**
 * How a step's tokens go back into the cache: one smashed entry, or (verify) the kept drafts
 * as one entry and the baseline's own token as another ("separate last").
 */
export function feedSizes(step: MacroStep): number[] {
  const v = step.verification;
  const n = step.micro.length;
  if (v?.kind !== 'verify') return [n];
  const kept = Math.min(v.acceptedPrefix, n);
  return [kept, n - kept].filter((size) => size > 0);
}

/** The groups steps [0, upTo) fed back, one KV entry each (verify: the kept drafts and the baseline's token apart). */
export function fedGroups(steps: readonly MacroStep[], upTo: number): number[][] {
  return steps.slice(0, upTo).flatMap((step) => {
    let from = 0;
    return feedSizes(step).map((size) => step.tokenIds.slice(from, (from += size)));
  });
}

/** What a run generated after its prompt, as groups: a fork's replayed groups, then its own steps'. */
function generatedGroups(run: RecordedRun): number[][] {
  return [...(run.started.history?.fork?.groups ?? []), ...fedGroups(run.steps, run.steps.length)];
}

/**
 * Where `run` put the groups a fork from its step `step` replays (a fork of a fork: the first
 * fork's too): the entries that hold them, so a fork with another position convention still
 * rebuilds the original's cache.
 */
function groupPositions(run: RecordedRun, step: number): number[] {
  const forkStart = run.started.history?.forkStart;
  const replayed = forkStart === undefined ? [] : (run.steps[0]?.appended.slice(forkStart) ?? []);
  // Step s + 1 appends what step s emitted.
  return [...replayed, ...run.steps.slice(1, step + 1).flatMap((s) => s.appended)].map((entry) => entry.positionId);
}

/** The context a run carries on: a later turn's earlier turns. */
function earlierTurns(run: RecordedRun): Pick<GenerateRequestInput, 'turns' | 'turnCache'> {
  const history = run.started.history;
  return history === undefined || history.turns.length === 0 ? {} : { turns: history.turns, turnCache: history.turnCache };
}

/**
 * A fork of `run` from its step `step`: the groups before it replayed (a fork of a fork: the
 * first fork's too), then `settings` decide; `token` forces the continuation's first token.
 */
export function forkRequest(run: RecordedRun, step: number, settings: GenerateRequestInput, token: number | null): BuiltRequest {
  const last = run.steps.length - 1;
  if (last < 0) return { ok: false, error: { code: 'invalid_fork', message: 'the run has no step to fork from yet', field: 'fork.fromStep' } };
  if (!Number.isInteger(step) || step < 0 || step > last) {
    return { ok: false, error: { code: 'invalid_fork', message: `a fork starts at one of the run's steps 0..${last}, got ${step}`, field: 'fork.fromStep', limit: `0..${last}` } };
  }
  const groups = [...(run.started.history?.fork?.groups ?? []), ...fedGroups(run.steps, step)];
  const fork = { groups, positions: groupPositions(run, step), fromStep: step, ...(token === null ? {} : { token }) };
  return { ok: true, request: { ...settings, prompt: run.started.prompt.text, chatTemplate: run.started.settings.chatTemplate, ...earlierTurns(run), fork } };
}

/** The next turn of the conversation `run` answered: its turns so far, its own answer, then `message`. */
export function nextTurnRequest(run: RecordedRun, message: string, settings: GenerateRequestInput, turnCache: TurnCache): BuiltRequest {
  if (!run.started.settings.chatTemplate) {
    return { ok: false, error: { code: 'invalid_turns', message: 'a conversation is rendered with the chat template: this run was not', field: 'chatTemplate', limit: 'true with turns' } };
  }
  const answer = generatedGroups(run);
  if (answer.length === 0) return { ok: false, error: { code: 'invalid_turns', message: 'the run has not answered yet: a next turn follows an answer', field: 'turns' } };
  const turns = [...(run.started.history?.turns ?? []), { user: run.started.prompt.text, answer }];
  return { ok: true, request: { ...settings, prompt: message, chatTemplate: true, turns, turnCache } };
}
