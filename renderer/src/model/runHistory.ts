// A run's place in a conversation or a fork (engine/history.ts): what its step 0 wrote, the
// groups a next turn or a fork carries, and the requests that continue a run. Pure functions
// over run records, so the controller and the views stay small and these are tested alone.
import type { EngineErrorInfo, GenerateRequestInput, MacroStep } from '../../../engine/api';
import type { TurnCache } from '../../../engine/history';
import type { RunRecord } from './runRecord';
import { feedSizes } from './tokenChecks';

type Run = Pick<RunRecord, 'started' | 'steps'>;
export type BuiltRequest = { ok: true; request: GenerateRequestInput } | { ok: false; error: EngineErrorInfo };

/** KV entries step 0 wrote: one per prompt token, or the whole context of a fork or a later turn. */
export function promptEntriesOf(run: Run): number {
  if (run.started.history === undefined) return run.started.prompt.tokenIds.length;
  return run.steps[0]?.appended.length ?? run.started.prompt.tokenIds.length;
}

/** The groups steps [0, upTo) fed back, one KV entry each (verify: the kept drafts and the baseline's token apart). */
export function fedGroups(steps: readonly MacroStep[], upTo: number): number[][] {
  return steps.slice(0, upTo).flatMap((step) => {
    let from = 0;
    return feedSizes(step).map((size) => step.tokenIds.slice(from, (from += size)));
  });
}

/** What a run generated after its prompt, as groups: a fork's replayed groups, then its own steps'. */
function generatedGroups(run: Run): number[][] {
  return [...(run.started.history?.fork?.groups ?? []), ...fedGroups(run.steps, run.steps.length)];
}

/**
 * Where `run` put the groups a fork from its step `step` replays (a fork of a fork: the first
 * fork's too): the entries that hold them, so a fork with another position convention still
 * rebuilds the original's cache.
 */
function groupPositions(run: Run, step: number): number[] {
  const forkStart = run.started.history?.forkStart;
  const replayed = forkStart === undefined ? [] : (run.steps[0]?.appended.slice(forkStart) ?? []);
  // Step s + 1 appends what step s emitted.
  return [...replayed, ...run.steps.slice(1, step + 1).flatMap((s) => s.appended)].map((entry) => entry.positionId);
}

/** The context a run carries on: a later turn's earlier turns. */
function earlierTurns(run: Run): Pick<GenerateRequestInput, 'turns' | 'turnCache'> {
  const history = run.started.history;
  return history === undefined || history.turns.length === 0 ? {} : { turns: history.turns, turnCache: history.turnCache };
}

/**
 * A fork of `run` from its step `step`: the groups before it replayed (a fork of a fork: the
 * first fork's too), then `settings` decide; `token` forces the continuation's first token.
 */
export function forkRequest(run: Run, step: number, settings: GenerateRequestInput, token: number | null): BuiltRequest {
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
export function nextTurnRequest(run: Run, message: string, settings: GenerateRequestInput, turnCache: TurnCache): BuiltRequest {
  if (!run.started.settings.chatTemplate) {
    return { ok: false, error: { code: 'invalid_turns', message: 'a conversation is rendered with the chat template: this run was not', field: 'chatTemplate', limit: 'true with turns' } };
  }
  const answer = generatedGroups(run);
  if (answer.length === 0) return { ok: false, error: { code: 'invalid_turns', message: 'the run has not answered yet: a next turn follows an answer', field: 'turns' } };
  const turns = [...(run.started.history?.turns ?? []), { user: run.started.prompt.text, answer }];
  return { ok: true, request: { ...settings, prompt: message, chatTemplate: true, turns, turnCache } };
}

export interface ContextMark {
  /** The KV entry the mark stands before. */
  entry: number;
  kind: 'turn' | 'fork';
  label: string;
}

/** Where each later turn and a fork's replayed groups start in the strip (turn 1 starts at entry 0, unmarked). */
export function contextMarks(run: Run): ContextMark[] {
  const history = run.started.history;
  if (history === undefined) return [];
  const marks: ContextMark[] = history.turnStarts.slice(1).map((entry, k) => ({ entry, kind: 'turn', label: `turn ${k + 2} starts` }));
  if (history.forkStart !== undefined) marks.push({ entry: history.forkStart, kind: 'fork', label: `forked: the original's groups${history.fork?.fromStep === undefined ? '' : ` before its step ${history.fork.fromStep}`}` });
  return marks;
}

/** Each turn's text as step 0 holds it (template tokens, the user's message, the answer), turn 1 first; the run's own answer is its stream. */
export function turnTexts(run: Run): string[] {
  const history = run.started.history;
  const entries = run.steps[0]?.appended;
  if (history === undefined || entries === undefined || history.turns.length === 0) return [];
  const starts = [...history.turnStarts, entries.length];
  return history.turnStarts.map((start, k) => entries.slice(start, starts[k + 1]).map((e) => e.text).join(''));
}
