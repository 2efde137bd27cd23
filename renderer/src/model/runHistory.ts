// A run's place in a conversation or a fork (engine/history.ts): what its step 0 wrote, where
// its turns and a fork's replayed groups start, and each turn's text. Pure functions over run
// records, so the views stay small and these are tested alone (the requests that continue a
// run are engine/continuation.ts, which the CLI shares).
import type { RunRecord } from './runRecord';

type Run = Pick<RunRecord, 'started' | 'steps'>;

/** KV entries step 0 wrote: one per prompt token, or the whole context of a fork or a later turn. */
export function promptEntriesOf(run: Run): number {
  if (run.started.history === undefined) return run.started.prompt.tokenIds.length;
  return run.steps[0]?.appended.length ?? run.started.prompt.tokenIds.length;
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
