// The KV-cache strip's cells for the first `shown` steps of a run: one per KV entry (prompt
// entries, then one smashed entry per fed-back group) plus the last group, which is pending
// until a next step would feed it back.
import type { KvEntry, MacroStep } from '../../../engine/api';

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
}

export interface KvLayout {
  cells: KvCell[];
  pending: KvCell | null;
  promptEntries: number;
  groupEntries: number;
}

function groupCell(step: MacroStep, index: number, positionId: number, kind: 'group' | 'pending'): KvCell {
  return {
    index,
    positionId,
    kind,
    tokenIds: step.tokenIds,
    texts: step.micro.map((m) => m.text),
    probs: step.micro.map((m) => m.prob),
    stopProbs: step.micro.map((m) => m.stopProb),
    emittedBy: step.index,
  };
}

// Cells per engine entry (entries are never changed once sent), so each frame of a live run
// builds only the cells of its new steps.
const cellOfEntry = new WeakMap<KvEntry, KvCell>();

function entryCell(steps: readonly MacroStep[], s: number, entry: KvEntry): KvCell {
  const cached = cellOfEntry.get(entry);
  if (cached !== undefined) return cached;
  const cell: KvCell =
    entry.kind === 'prompt'
      ? { index: entry.index, positionId: entry.positionId, kind: 'prompt', tokenIds: entry.tokenIds, texts: [entry.text], probs: [], stopProbs: [], emittedBy: null }
      : groupCell(steps[s - 1]!, entry.index, entry.positionId, 'group');
  cellOfEntry.set(entry, cell);
  return cell;
}

export function kvLayout(steps: readonly MacroStep[], shown: number): KvLayout {
  const cells: KvCell[] = [];
  let promptEntries = 0;
  const visible = Math.min(shown, steps.length);
  for (let s = 0; s < visible; s++) {
    for (const entry of steps[s]!.appended) {
      cells.push(entryCell(steps, s, entry));
      if (entry.kind === 'prompt') promptEntries += 1;
    }
  }
  let pending: KvCell | null = null;
  if (visible > 0) {
    const last = steps[visible - 1]!;
    pending = groupCell(last, last.kvEntry + 1, last.positionId + last.tokenIds.length, 'pending');
  }
  return { cells, pending, promptEntries, groupEntries: cells.length - promptEntries };
}

/** The KV entry that holds (or will hold) the tokens of macro step `step`. */
export function entryOfStep(promptEntries: number, step: number): number {
  return promptEntries + step;
}
