// Where a run's on-screen cursor goes next frame under the pace control. Pure: the frame loop
// keeps `clockMs` per run between frames.
import type { Pace } from '../stores/paceStore';
import type { RunRecord } from './runRecord';

export interface PaceCursor {
  shown: number;
  /** Real time: the replay's clock (engine ms); N steps/s: the fraction of a step owed. */
  clockMs: number;
}

/** The replay clock that matches a cursor put somewhere by hand. */
export function clockAt(record: RunRecord, shown: number): number {
  return shown > 0 ? (record.steps[shown - 1]?.totals.elapsedMs ?? 0) : 0;
}

export function advanceCursor(record: RunRecord, pace: Pace, playing: boolean, dtMs: number, cursor: PaceCursor): PaceCursor {
  const total = record.steps.length;
  const live = record.source === 'live';
  if (pace.kind === 'manual' || (!live && !playing)) return cursor;
  if (pace.kind === 'realtime') {
    if (live) return { shown: total, clockMs: 0 };
    const clockMs = cursor.clockMs + dtMs;
    let shown = cursor.shown;
    while (shown < total && record.steps[shown]!.totals.elapsedMs <= clockMs) shown++;
    return { shown, clockMs };
  }
  if (cursor.shown >= total) return { shown: total, clockMs: 0 };
  const owed = cursor.clockMs + (dtMs * pace.stepsPerSecond) / 1000;
  // The epsilon keeps float sums of frame times (0.1 + 0.1 + ...) from losing a step.
  const steps = Math.min(Math.floor(owed + 1e-9), total - cursor.shown);
  return { shown: cursor.shown + steps, clockMs: owed - steps };
}

/** True while the cursor would still move by itself. */
export function cursorMoving(record: RunRecord, pace: Pace, playing: boolean): boolean {
  if (pace.kind === 'manual') return false;
  if (record.source === 'file' && !playing) return false;
  return record.shown < record.steps.length;
}
