// The KV-cache strip's cells for the first `shown` steps of a run: one per KV entry (prompt
// entries, then one smashed entry per fed-back group; verify runs feed a group back as two
// entries) plus the last group, which is pending until a next step would feed it back.
import type { KvEntry, MacroStep, PositionConvention } from '../../../engine/api';
import { fedEntryPosition } from '../../../engine/positionConvention';
import { feedSizes } from '../../../engine/continuation';
import { flaggedTokens, tokenChecks, type TokenCheck } from './tokenChecks';

export interface KvCell {
  /** Index in the base model's KV cache. */
  index: number;
  positionId: number;
  kind: 'prompt' | 'group' | 'pending';
  tokenIds: number[];
  texts: string[];
  /** Chosen-token probabilities (empty for prompt entries). */
  probs: number[];
  stopProbs: (number | null)[];
  /** The macro step whose tokens this entry holds (null for prompt entries). */
  emittedBy: number | null;
  /** The baseline's check of each token, in audited and verify runs (empty for prompt entries). */
  checks: (TokenCheck | null)[];
}

export interface KvLayout {
  cells: KvCell[];
  /** The last shown step's tokens, as the entries the next step would write (two in verify runs). */
  pending: KvCell[];
  /** Entries step 0 wrote: the prompt's, or a fork's or a later turn's whole context. */
  promptEntries: number;
  groupEntries: number;
}

/** Micro steps [from, to) of `step` as one entry. */
function groupCell(step: MacroStep, from: number, to: number, index: number, positionId: number, kind: 'group' | 'pending'): KvCell {
  const micro = step.micro.slice(from, to);
  return {
    index,
    positionId,
    kind,
    tokenIds: micro.map((m) => m.tokenId),
    texts: micro.map((m) => m.text),
    probs: micro.map((m) => m.prob),
    stopProbs: micro.map((m) => m.stopProb),
    emittedBy: step.index,
    checks: tokenChecks(step).slice(from, to),
  };
}

// Cells per engine entry (entries are never changed once sent), so each frame of a live run
// builds only the cells of its new steps.
const cellOfEntry = new WeakMap<KvEntry, KvCell>();

/** `from`: the first of the previous step's micro steps that this entry holds. */
function entryCell(steps: readonly MacroStep[], s: number, entry: KvEntry, from: number): KvCell {
  const cached = cellOfEntry.get(entry);
  if (cached !== undefined) return cached;
  // Live events are checked for shape only: an entry that holds tokens its step did not emit is refused here, by name.
  const emitted = s === 0 ? 0 : steps[s - 1]!.micro.length;
  if (entry.kind === 'group' && s > 0 && from + entry.tokenIds.length > emitted) {
    throw new Error(`KV entry ${entry.index} of step ${s} holds ${entry.tokenIds.length} tokens from the ${from}th on, but step ${s - 1} emitted ${emitted}`);
  }
  // Step 0's group entries are an earlier run's (a fork's prefix, an earlier turn's answer): no step of this run emitted them.
  const cell: KvCell =
    entry.kind === 'prompt' || s === 0
      ? { index: entry.index, positionId: entry.positionId, kind: entry.kind, tokenIds: entry.tokenIds, texts: [entry.text], probs: [], stopProbs: [], emittedBy: null, checks: [] }
      : groupCell(steps[s - 1]!, from, from + entry.tokenIds.length, entry.index, entry.positionId, 'group');
  cellOfEntry.set(entry, cell);
  return cell;
}

/** `convention`: the run's, which places the pending entries as the next step would. */
export function kvLayout(steps: readonly MacroStep[], shown: number, convention: PositionConvention): KvLayout {
  const cells: KvCell[] = [];
  let promptEntries = 0;
  const visible = Math.min(shown, steps.length);
  for (let s = 0; s < visible; s++) {
    let from = 0;
    for (const entry of steps[s]!.appended) {
      cells.push(entryCell(steps, s, entry, from));
      if (s === 0) promptEntries += 1;
      else from += entry.tokenIds.length;
    }
  }
  const pending: KvCell[] = [];
  if (visible > 0) {
    const last = steps[visible - 1]!;
    const fedBefore = last.totals.tokens - last.tokenIds.length;
    // The context's tokens (a fork's or a later turn's step 0 holds merged groups: entries are fewer).
    const contextTokens = steps[0]!.appended.reduce((sum, entry) => sum + entry.tokenIds.length, 0);
    let from = 0;
    for (const size of feedSizes(last)) {
      const position = fedEntryPosition(convention, contextTokens, fedBefore + from + size);
      pending.push(groupCell(last, from, from + size, last.kvEntry + 1 + pending.length, position, 'pending'));
      from += size;
    }
  }
  return { cells, pending, promptEntries, groupEntries: cells.length - promptEntries };
}

/** The KV entry that holds (or will hold) the tokens of macro step `step`. */
export function entryOfStep(promptEntries: number, step: number): number {
  return promptEntries + step;
}

/** The entry holds a token the baseline rejects (audit), or its token replaced a rejected draft (verify). */
export function holdsRejection(cell: KvCell): boolean {
  return flaggedTokens(cell.checks) > 0 || cell.checks.some((c) => c?.kind === 'verifier' && c.outcome === 'correction');
}
